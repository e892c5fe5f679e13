"""Online meetings by joinWebUrl (onlinemeeting-get.md example 3) and attendance reports / records
(meetingattendancereport-list.md, -get.md, attendancerecord-list.md), played out via the admin surface."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from .conftest import DANA, OBJECT_ID, SAMANTHA, assert_graph_error

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "graph-examples"  # from microsoft-graph-docs-contrib


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def meeting(graph: httpx.Client, admin: httpx.Client) -> dict[str, Any]:
    event = graph.post(
        f"/users/{DANA}/events",
        json={
            "subject": "Micro mentoring",
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "start": {"dateTime": "2033-02-01T17:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2033-02-01T17:15:00", "timeZone": "UTC"},
            "attendees": [{"emailAddress": {"address": SAMANTHA}, "type": "required"}],
        },
    ).json()
    join_url = event["onlineMeeting"]["joinUrl"]
    report = admin.post(
        "/meetings/attendance",
        json={
            "joinUrl": join_url,
            "start": "2033-02-01T17:00:05Z",
            "end": "2033-02-01T17:16:00Z",
            "records": [
                {"upn": DANA, "intervals": [{"join": "2033-02-01T17:00:05Z", "leave": "2033-02-01T17:16:00Z"}]},
                {
                    "upn": SAMANTHA,
                    "intervals": [
                        {"join": "2033-02-01T17:01:00Z", "leave": "2033-02-01T17:05:00Z"},
                        {"join": "2033-02-01T17:06:00Z", "leave": "2033-02-01T17:15:30Z"},
                    ],
                },
            ],
        },
    )
    assert report.status_code == 201, report.text
    return {"event": event, "joinUrl": join_url, "report": report.json()}


def find(graph: httpx.Client, user: str, value: str) -> httpx.Response:
    return graph.get(f"/users/{OBJECT_ID[user]}/onlineMeetings", params={"$filter": f"JoinWebUrl eq '{value}'"})


def test_find_by_join_url_encoded_as_the_doc_shows(
    graph: httpx.Client, admin: httpx.Client, meeting: dict[str, Any]
) -> None:
    admin.post("/requests/reset")
    response = find(graph, DANA, meeting["joinUrl"])  # httpx encodes the query once, as the doc's example
    assert response.status_code == 200
    (logged,) = admin.get("/requests").json()["requests"]
    assert quote(meeting["joinUrl"], safe="") in logged["query"]  # once: its own %3a went as %253a
    (found,) = response.json()["value"]
    documented = example("onlinemeeting-by-joinurl.json")["responseBody"]["value"][0]
    assert set(documented) <= set(found)
    assert found["joinWebUrl"] == meeting["joinUrl"]
    assert found["participants"]["organizer"]["upn"] == DANA
    assert found["participants"]["organizer"]["identity"]["user"]["id"] == "dc17674c-81d9-4adb-bfb2-8f6a442e4622"
    assert found["startDateTime"].startswith("2033-02-01T17:00:00")


def test_the_join_url_matches_only_exactly_after_one_decoding(graph: httpx.Client, meeting: dict[str, Any]) -> None:
    join_url = meeting["joinUrl"]
    # Not found is a 404 "3004" in Graph, not an empty collection.
    for wrong in (quote(join_url, safe=""), join_url.replace("%3a", "%3A"), "https://teams.microsoft.com/l/x"):
        error = assert_graph_error(find(graph, DANA, wrong), 404, "NotFound")
        assert error["message"].startswith("3004")


def test_onlinemeetings_name_the_user_by_object_id(graph: httpx.Client, meeting: dict[str, Any]) -> None:
    by_upn = graph.get(f"/users/{DANA}/onlineMeetings", params={"$filter": f"JoinWebUrl eq '{meeting['joinUrl']}'"})
    assert by_upn.status_code == 403


def test_an_attendee_cannot_look_the_meeting_up(graph: httpx.Client, meeting: dict[str, Any]) -> None:
    # docs-contrib #436: only the organizer finds a meeting by its join URL. Samantha is also outside the
    # access policy, which Graph checks first for an app-only token.
    assert_graph_error(find(graph, SAMANTHA, meeting["joinUrl"]), 403, "Forbidden")


def test_get_meeting_by_id(graph: httpx.Client, meeting: dict[str, Any]) -> None:
    (found,) = find(graph, DANA, meeting["joinUrl"]).json()["value"]
    body = graph.get(f"/users/{OBJECT_ID[DANA]}/onlineMeetings/{found['id']}").json()
    assert body["id"] == found["id"] and body["@odata.context"].endswith("/onlineMeetings/$entity")


def test_reports_list_records_and_expand(graph: httpx.Client, meeting: dict[str, Any]) -> None:
    (found,) = find(graph, DANA, meeting["joinUrl"]).json()["value"]
    base = f"/users/{OBJECT_ID[DANA]}/onlineMeetings/{found['id']}/attendanceReports"
    listing = graph.get(base).json()
    (report,) = listing["value"]
    assert set(report) == set(example("attendance-reports-list.json")["responseBody"]["value"][0])
    assert report["attendanceRecords"] == [] and report["totalParticipantCount"] == 2
    assert report["meetingStartDateTime"].startswith("2033-02-01T17:00:05")

    expanded = graph.get(f"{base}/{report['id']}", params={"$expand": "attendanceRecords"}).json()
    assert set(example("attendance-report-expand.json")["responseBody"]) <= set(expanded)
    by_mail = {r["emailAddress"]: r for r in expanded["attendanceRecords"]}
    organizer, mentee = by_mail[DANA], by_mail[SAMANTHA]
    assert set(organizer) == set(example("attendanceRecords-response.json")["value"][0])
    assert organizer["role"] == "Organizer" and mentee["role"] == "Attendee"
    assert organizer["totalAttendanceInSeconds"] == 955  # 17:00:05 → 17:16:00
    assert mentee["totalAttendanceInSeconds"] == 240 + 570  # 4 min + 9 min 30 s
    assert [i["durationInSeconds"] for i in mentee["attendanceIntervals"]] == [240, 570]
    assert mentee["identity"]["displayName"] == "Samantha Booth"

    plain = graph.get(f"{base}/{report['id']}").json()
    assert "attendanceRecords" not in plain
    records = graph.get(f"{base}/{report['id']}/attendanceRecords").json()["value"]
    assert sorted(r["emailAddress"] for r in records) == sorted([DANA, SAMANTHA])


def test_only_the_organizer_reads_attendance(graph: httpx.Client, admin: httpx.Client, meeting: dict[str, Any]) -> None:
    (found,) = find(graph, DANA, meeting["joinUrl"]).json()["value"]
    admin.patch("/access", json={"teamsAccessPolicy": {"global": True}})
    try:
        response = graph.get(f"/users/{OBJECT_ID[SAMANTHA]}/onlineMeetings/{found['id']}/attendanceReports")
    finally:
        admin.patch("/access", json={"teamsAccessPolicy": {"users": [DANA]}})
    assert_graph_error(response, 403, "General")


def test_list_without_filter_and_unknown_meeting(graph: httpx.Client) -> None:
    assert graph.get(f"/users/{OBJECT_ID[DANA]}/onlineMeetings").status_code == 400
    assert_graph_error(graph.get(f"/users/{OBJECT_ID[DANA]}/onlineMeetings/nope"), 404, "NotFound")


def test_attendance_for_an_unknown_meeting_is_404(admin: httpx.Client) -> None:
    response = admin.post(
        "/meetings/attendance",
        json={
            "joinUrl": "https://teams.microsoft.com/x",
            "start": "2033-01-01T00:00:00Z",
            "end": "2033-01-01T01:00:00Z",
            "records": [],
        },
    )
    assert response.status_code == 404
