"""Users and mailbox settings: default properties, $select, Graph's 404 codes for unknown users."""

from __future__ import annotations

import httpx

from emulator import RunningEmulator

from .conftest import DANA, MEGAN, MEGAN_HOURS_ZONE, PST, assert_graph_error


def test_get_user_by_upn_case_insensitively_and_by_id(graph: httpx.Client, emu: RunningEmulator) -> None:
    body = graph.get("/users/Dana@Contoso.Example").json()
    assert body["@odata.context"] == f"{emu.graph_url}/$metadata#users/$entity"
    assert body["id"] == "dc17674c-81d9-4adb-bfb2-8f6a442e4622"
    assert body["userPrincipalName"] == DANA and body["mail"] == DANA
    assert body["displayName"] == "Dana Swope" and body["officeLocation"] == "Seattle"
    # department is not in Graph's default user property set.
    assert "department" not in body
    assert graph.get(f"/users/{body['id']}").json()["userPrincipalName"] == DANA


def test_select_returns_only_the_chosen_properties(graph: httpx.Client, emu: RunningEmulator) -> None:
    body = graph.get(f"/users/{DANA}", params={"$select": "displayName,department"}).json()
    assert body == {
        "@odata.context": f"{emu.graph_url}/$metadata#users(displayName,department)/$entity",
        "displayName": "Dana Swope",
        "department": "Product",
    }


def test_unknown_user_directory_404_is_request_resource_not_found(graph: httpx.Client) -> None:
    error = assert_graph_error(graph.get("/users/ghost@contoso.example"), 404, "Request_ResourceNotFound")
    assert "ghost@contoso.example" in error["message"]


def test_unknown_user_mailbox_404_is_error_invalid_user(graph: httpx.Client) -> None:
    assert_graph_error(graph.get("/users/ghost@contoso.example/mailboxSettings"), 404, "ErrorInvalidUser")
    assert_graph_error(
        graph.get(
            "/users/ghost@contoso.example/calendarView",
            params={"startDateTime": "2026-12-01T00:00:00Z", "endDateTime": "2026-12-02T00:00:00Z"},
        ),
        404,
        "ErrorInvalidUser",
    )


def test_mailbox_settings_and_working_hours(graph: httpx.Client, emu: RunningEmulator) -> None:
    settings = graph.get(f"/users/{DANA}/mailboxSettings").json()
    assert settings["timeZone"] == PST
    assert settings["workingHours"] == {
        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "startTime": "08:00:00.0000000",
        "endTime": "17:00:00.0000000",
        "timeZone": {"name": PST},
    }
    assert settings["language"]["locale"] == "en-US"
    hours = graph.get(f"/users/{MEGAN}/mailboxSettings/workingHours").json()
    assert hours["@odata.context"].endswith("/mailboxSettings/workingHours")
    assert hours["timeZone"] == MEGAN_HOURS_ZONE


def test_list_users_with_a_mail_filter(graph: httpx.Client) -> None:
    body = graph.get("/users", params={"$filter": f"mail eq '{DANA}'"}).json()
    assert [u["userPrincipalName"] for u in body["value"]] == [DANA]


def test_unknown_segment_is_a_graph_bad_request(graph: httpx.Client) -> None:
    assert_graph_error(graph.get(f"/users/{DANA}/planner/tasks"), 400, "BadRequest")
