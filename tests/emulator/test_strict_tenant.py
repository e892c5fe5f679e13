"""Where a real tenant refuses or differs, the emulator does too (emulator/access.py, emulator/README.md's
table): app roles per route, the Teams application access policy, mailboxes without Teams, attendance
records without an e-mail address, expired delta tokens, the raw query in the request log."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import SeedError, start_emulator
from emulator.seed import load_seed

from .conftest import DANA, OBJECT_ID, SAMANTHA, SEED, app_token, assert_graph_error, verify


def _event(graph: httpx.Client, organizer: str, attendee: str, day: str) -> dict[str, Any]:
    response = graph.post(
        f"/users/{organizer}/events",
        json={
            "subject": "Micro mentoring",
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "start": {"dateTime": f"{day}T17:00:00", "timeZone": "UTC"},
            "end": {"dateTime": f"{day}T17:15:00", "timeZone": "UTC"},
            "attendees": [{"emailAddress": {"address": attendee}, "type": "required"}],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _find(graph: httpx.Client, user: str, join_url: str) -> httpx.Response:
    return graph.get(f"/users/{OBJECT_ID[user]}/onlineMeetings", params={"$filter": f"JoinWebUrl eq '{join_url}'"})


@pytest.fixture()
def restore_access(admin: httpx.Client) -> Iterator[None]:
    before = admin.get("/access").json()
    yield
    admin.patch("/access", json=before)


def test_the_access_policy_decides_app_only_meeting_calls(
    graph: httpx.Client, admin: httpx.Client, restore_access: None
) -> None:
    event = _event(graph, SAMANTHA, DANA, "2034-03-01")
    join_url = event["onlineMeeting"]["joinUrl"]
    denied = assert_graph_error(_find(graph, SAMANTHA, join_url), 403, "Forbidden")
    assert denied["message"] == "No application access policy found for this app."

    granted = admin.patch("/access", json={"teamsAccessPolicy": {"users": [DANA, SAMANTHA]}})
    assert granted.json()["teamsAccessPolicy"]["users"] == sorted([DANA, SAMANTHA])
    (meeting,) = _find(graph, SAMANTHA, join_url).json()["value"]
    assert (
        graph.get(f"/users/{OBJECT_ID[SAMANTHA]}/onlineMeetings/{meeting['id']}/attendanceReports").status_code == 200
    )

    admin.patch("/access", json={"teamsAccessPolicy": {"global": True}})
    assert _find(graph, SAMANTHA, join_url).status_code == 200
    assert admin.patch("/access", json={"teamsAccessPolicy": {"users": ["nobody@x.example"]}}).status_code == 400


def test_a_token_without_the_role_is_refused_per_route(emu: Any, graph: httpx.Client, admin: httpx.Client) -> None:
    event = _event(graph, DANA, SAMANTHA, "2034-03-02")
    (meeting,) = _find(graph, DANA, event["onlineMeeting"]["joinUrl"]).json()["value"]
    reports = f"/users/{OBJECT_ID[DANA]}/onlineMeetings/{meeting['id']}/attendanceReports"
    roles = ["Calendars.ReadWrite", "MailboxSettings.Read", "OnlineMeetings.Read.All"]
    assert admin.put("/apps/micromentor-local/roles", json={"roles": roles}).status_code == 200
    try:
        headers = {"Authorization": f"Bearer {app_token(emu)}"}
        with httpx.Client(base_url=emu.graph_url, verify=verify(emu), trust_env=False, headers=headers) as weak:
            assert_graph_error(weak.get(reports), 403, "Authorization_RequestDenied")
            assert_graph_error(weak.get(f"/users/{DANA}"), 403, "Authorization_RequestDenied")
            assert weak.get(f"/users/{DANA}/mailboxSettings").status_code == 200
            assert weak.get(reports.rsplit("/", 1)[0]).status_code == 200  # the meeting itself: role held
    finally:
        admin.put(
            "/apps/micromentor-local/roles",
            json={
                "roles": [
                    "Calendars.ReadWrite",
                    "MailboxSettings.Read",
                    "User.Read.All",
                    "OnlineMeetings.ReadWrite.All",
                    "OnlineMeetingArtifact.Read.All",
                ]
            },
        )
    assert graph.get(reports).status_code == 200


def test_a_mailbox_without_teams_gets_an_event_without_a_meeting(
    graph: httpx.Client, admin: httpx.Client, restore_access: None
) -> None:
    admin.patch("/access", json={"withoutTeams": [DANA]})
    event = _event(graph, DANA, SAMANTHA, "2034-03-03")
    assert event["isOnlineMeeting"] is False
    assert event["onlineMeetingProvider"] == "unknown"
    assert event.get("onlineMeeting") is None


def test_attendance_records_carry_the_object_id_and_mail_or_nothing(
    graph: httpx.Client, admin: httpx.Client, restore_access: None
) -> None:
    event = _event(graph, DANA, SAMANTHA, "2034-03-04")
    admin.patch("/access", json={"attendanceWithoutEmail": [SAMANTHA]})
    played = admin.post(
        "/meetings/attendance",
        json={
            "joinUrl": event["onlineMeeting"]["joinUrl"],
            "start": "2034-03-04T17:00:00Z",
            "end": "2034-03-04T17:15:00Z",
            "records": [
                {"upn": DANA, "intervals": [{"join": "2034-03-04T17:00:00Z", "leave": "2034-03-04T17:15:00Z"}]},
                {"upn": SAMANTHA, "intervals": [{"join": "2034-03-04T17:00:00Z", "leave": "2034-03-04T17:15:00Z"}]},
                {
                    "upn": "guest@partner.example",
                    "intervals": [{"join": "2034-03-04T17:00:00Z", "leave": "2034-03-04T17:05:00Z"}],
                },
            ],
        },
    )
    assert played.status_code == 201, played.text
    records = {r["identity"]["displayName"]: r for r in played.json()["attendanceRecords"]}
    samantha = graph.get(f"/users/{SAMANTHA}").json()
    assert records["Samantha Booth"]["emailAddress"] == ""
    assert records["Samantha Booth"]["identity"]["id"] == samantha["id"]
    assert records["guest@partner.example"]["identity"]["id"] not in {
        u["id"] for u in graph.get("/users").json()["value"]
    }


def test_delta_tokens_expire_mid_round(graph: httpx.Client, admin: httpx.Client) -> None:
    first = graph.get(
        f"/users/{DANA}/calendarView/delta",
        params={"startDateTime": "2026-11-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"},
        headers={"Prefer": "odata.maxpagesize=1"},
    )
    next_link = first.json()["@odata.nextLink"]
    assert admin.post("/delta/expire").status_code == 204
    assert_graph_error(graph.get(next_link), 410, "SyncStateNotFound")


def test_seed_without_apps_grants_the_policy_and_declared_apps_get_only_what_they_say() -> None:
    bare = copy.deepcopy(SEED)
    del bare["apps"], bare["emulator"]
    assert load_seed(bare).apps_declared is False
    with start_emulator(bare) as emu:
        assert emu.state.access.covers(emu.state.user_id_of(SAMANTHA))
    declared = copy.deepcopy(SEED)
    del declared["emulator"]
    with start_emulator(declared) as emu:
        assert not emu.state.access.covers(emu.state.user_id_of(DANA))


def test_a_seed_naming_an_unknown_user_in_its_emulator_section_is_refused() -> None:
    bad = copy.deepcopy(SEED)
    bad["emulator"] = {"withoutTeams": [DANA, "ghost@contoso.example"]}
    with pytest.raises(SeedError) as raised:
        load_seed(bad)
    assert raised.value.path == "emulator.withoutTeams[1]"
