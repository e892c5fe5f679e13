"""Events: the documented create examples (user-post-events.md) on seeded users, Teams meetings,
transactionId dedup, attendee copies, cancel / decline / accept, update and delete."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from .conftest import DANA, PST, SAMANTHA, assert_graph_error

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "graph-examples"  # from microsoft-graph-docs-contrib
PREFER_PST = {"Prefer": f'outlook.timezone="{PST}"'}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def doc_event(name: str, day: str, **changes: Any) -> dict[str, Any]:
    """The doc's request body, with the attendee made a seeded user and the date moved to `day`."""
    body: dict[str, Any] = copy.deepcopy(example(name)["requestBody"])
    body.pop("transactionId", None)  # the doc's value would tie unrelated tests together
    body["attendees"][0]["emailAddress"] = {"address": SAMANTHA, "name": "Samantha Booth"}
    body["start"]["dateTime"] = f"{day}T12:00:00"
    body["end"]["dateTime"] = f"{day}T14:00:00"
    body.update(changes)
    return body


def window(graph: httpx.Client, user: str, day: str) -> list[dict[str, Any]]:
    response = graph.get(
        f"/users/{user}/calendarView", params={"startDateTime": f"{day}T00:00:00Z", "endDateTime": f"{day}T23:59:59Z"}
    )
    assert response.status_code == 200
    return list(response.json()["value"])


def create(graph: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = graph.post(f"/users/{DANA}/events", json=body, headers=PREFER_PST)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_matches_the_documented_response_shape(graph: httpx.Client) -> None:
    body = doc_event("create-event.json", "2031-04-15", transactionId="tx-doc-shape")
    event = create(graph, body)
    documented = example("create-event.json")["responseBody"]
    assert set(documented) <= set(event)
    assert event["subject"] == "Let's go for lunch"
    assert event["transactionId"] == "tx-doc-shape"
    assert event["start"] == {"dateTime": "2031-04-15T12:00:00.0000000", "timeZone": PST}
    assert event["end"] == {"dateTime": "2031-04-15T14:00:00.0000000", "timeZone": PST}
    assert event["originalStartTimeZone"] == PST
    assert event["responseStatus"]["response"] == "organizer" and event["isOrganizer"] is True
    assert event["organizer"] == {"emailAddress": {"name": "Dana Swope", "address": DANA}}
    assert event["attendees"] == [
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"address": SAMANTHA, "name": "Samantha Booth"},
        }
    ]
    assert event["type"] == "singleInstance" and event["seriesMasterId"] is None
    assert event["isOnlineMeeting"] is False and event["onlineMeetingProvider"] == "unknown"
    assert event["onlineMeeting"] is None
    assert event["body"]["contentType"] == "html" and "Does noon work for you?" in event["body"]["content"]
    assert event["showAs"] == "busy" and event["categories"] == [] and event["allowNewTimeProposals"] is True
    assert event["location"]["displayName"] == "Harry's Bar"
    assert event["@odata.context"].endswith("/events/$entity")


def test_transaction_id_is_only_returned_when_set(graph: httpx.Client) -> None:
    event = create(graph, doc_event("create-event-online.json", "2031-04-14", isOnlineMeeting=False))
    assert "transactionId" not in event


def test_teams_meeting_gets_a_unique_join_url_and_a_join_block_in_the_body(graph: httpx.Client) -> None:
    first = create(graph, doc_event("create-event-online.json", "2031-04-16"))
    second = create(graph, doc_event("create-event-online.json", "2031-04-16"))
    assert set(example("create-event-online.json")["responseBody"]) <= set(first)
    for event in (first, second):
        assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
        join_url = event["onlineMeeting"]["joinUrl"]
        assert join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
        assert join_url in event["body"]["content"]
        assert "Does noon work for you?" in event["body"]["content"]
    assert first["onlineMeeting"]["joinUrl"] != second["onlineMeeting"]["joinUrl"]


def test_a_repeated_transaction_id_is_refused_and_makes_no_second_event(
    graph: httpx.Client, admin: httpx.Client
) -> None:
    body = doc_event("create-event-online.json", "2031-04-17", transactionId="7E163156-7762-4BEB-A1C6-729EA81755A7")
    first = create(graph, body)
    again = graph.post(f"/users/{DANA}/events", json=body, headers=PREFER_PST)
    assert_graph_error(again, 409, "ErrorDuplicateTransactionId")  # undocumented: the strict reading
    assert len(window(graph, DANA, "2031-04-17")) == 1
    assert len(window(graph, SAMANTHA, "2031-04-17")) == 1

    # Switched to the friendlier reading, a resend gets the first event back.
    admin.post("/config", json={"transactionResendReturnsEvent": True})
    try:
        returned = create(graph, body)
    finally:
        admin.post("/config", json={"transactionResendReturnsEvent": False})
    assert returned["id"] == first["id"]
    assert returned["onlineMeeting"]["joinUrl"] == first["onlineMeeting"]["joinUrl"]
    assert len(window(graph, DANA, "2031-04-17")) == 1


def test_attendee_gets_a_tentative_copy_that_blocks_free_busy(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event-online.json", "2031-04-18"))
    (copy_,) = window(graph, SAMANTHA, "2031-04-18")
    assert copy_["id"] != master["id"] and copy_["iCalUId"] == master["iCalUId"]
    assert copy_["isOrganizer"] is False
    assert copy_["responseStatus"]["response"] == "notResponded"
    assert copy_["organizer"]["emailAddress"]["address"] == DANA
    assert copy_["onlineMeeting"]["joinUrl"] == master["onlineMeeting"]["joinUrl"]
    schedule = graph.post(
        f"/users/{DANA}/calendar/getSchedule",
        json={
            "schedules": [SAMANTHA],
            "availabilityViewInterval": 60,
            "startTime": {"dateTime": "2031-04-18T11:00:00", "timeZone": PST},
            "endTime": {"dateTime": "2031-04-18T15:00:00", "timeZone": PST},
        },
    ).json()
    # 11-12 free, 12-14 the pending invitation (tentative), 14-15 free.
    assert schedule["value"][0]["availabilityView"] == "0110"


def test_organizer_cancel_is_202_removes_it_and_cancels_the_copy(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event-online.json", "2031-04-21"))
    (copy_,) = window(graph, SAMANTHA, "2031-04-21")
    documented_body = example("cancel-event.json")["requestBody"]  # {"Comment": …}, capitalised as in the doc
    response = graph.post(f"/users/{DANA}/events/{master['id']}/cancel", json=documented_body)
    assert response.status_code == 202 and response.content == b""
    assert_graph_error(graph.get(f"/users/{DANA}/events/{master['id']}"), 404, "ErrorItemNotFound")
    assert master["id"] not in {e["id"] for e in window(graph, DANA, "2031-04-21")}  # (a stand-up remains)
    cancelled = graph.get(f"/users/{SAMANTHA}/events/{copy_['id']}").json()
    assert cancelled["isCancelled"] is True
    schedule = graph.post(
        f"/users/{DANA}/calendar/getSchedule",
        json={
            "schedules": [SAMANTHA],
            "availabilityViewInterval": 60,
            "startTime": {"dateTime": "2031-04-21T12:00:00", "timeZone": PST},
            "endTime": {"dateTime": "2031-04-21T14:00:00", "timeZone": PST},
        },
    ).json()["value"][0]
    assert schedule["availabilityView"] == "00" and schedule["scheduleItems"] == []


def test_attendee_cannot_cancel(graph: httpx.Client) -> None:
    create(graph, doc_event("create-event-online.json", "2031-04-22"))
    (copy_,) = window(graph, SAMANTHA, "2031-04-22")
    error = assert_graph_error(
        graph.post(f"/users/{SAMANTHA}/events/{copy_['id']}/cancel", json={"comment": "no"}), 400, "ErrorInvalidRequest"
    )
    assert "organizer" in error["message"]


def test_decline_updates_the_organizer_and_clears_the_attendee_calendar(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event-online.json", "2031-04-23"))
    (copy_,) = window(graph, SAMANTHA, "2031-04-23")
    response = graph.post(f"/users/{SAMANTHA}/events/{copy_['id']}/decline", json={"comment": "Sorry"})
    assert response.status_code == 202 and response.content == b""
    organizer_view = graph.get(f"/users/{DANA}/events/{master['id']}").json()
    assert organizer_view["attendees"][0]["status"]["response"] == "declined"
    assert organizer_view["lastModifiedDateTime"] >= master["lastModifiedDateTime"]
    assert window(graph, SAMANTHA, "2031-04-23") == []


def test_accept_and_tentative_update_both_sides(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event-online.json", "2031-04-24"))
    (copy_,) = window(graph, SAMANTHA, "2031-04-24")
    assert graph.post(f"/users/{SAMANTHA}/events/{copy_['id']}/tentativelyAccept", json={}).status_code == 202
    assert (
        graph.get(f"/users/{DANA}/events/{master['id']}").json()["attendees"][0]["status"]["response"]
        == "tentativelyAccepted"
    )
    assert graph.post(f"/users/{SAMANTHA}/events/{copy_['id']}/accept", json={"sendResponse": True}).status_code == 202
    mine = graph.get(f"/users/{SAMANTHA}/events/{copy_['id']}").json()
    assert mine["responseStatus"]["response"] == "accepted" and mine["showAs"] == "busy"
    assert graph.get(f"/users/{DANA}/events/{master['id']}").json()["attendees"][0]["status"]["response"] == "accepted"


def test_decline_with_a_proposal_needs_allow_new_time_proposals(graph: httpx.Client) -> None:
    create(graph, doc_event("create-event.json", "2031-04-25", allowNewTimeProposals=False))
    (copy_,) = window(graph, SAMANTHA, "2031-04-25")
    proposal = {
        "proposedNewTime": {
            "start": {"dateTime": "2031-04-26T18:00:00", "timeZone": PST},
            "end": {"dateTime": "2031-04-26T19:00:00", "timeZone": PST},
        }
    }
    response = graph.post(f"/users/{SAMANTHA}/events/{copy_['id']}/decline", json=proposal)
    assert_graph_error(response, 400, "ErrorInvalidRequest")


def test_organizer_cannot_respond_to_own_meeting(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event.json", "2031-04-28"))
    assert_graph_error(graph.post(f"/users/{DANA}/events/{master['id']}/accept", json={}), 400, "ErrorInvalidRequest")


def test_moving_a_meeting_moves_the_copy_keeps_the_body_and_resets_answers(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event-online.json", "2031-04-29"))
    (copy_,) = window(graph, SAMANTHA, "2031-04-29")
    graph.post(f"/users/{SAMANTHA}/events/{copy_['id']}/accept", json={}).raise_for_status()
    moved = graph.patch(
        f"/users/{DANA}/events/{master['id']}",
        headers=PREFER_PST,
        json={
            "start": {"dateTime": "2031-04-30T15:00:00", "timeZone": PST},
            "end": {"dateTime": "2031-04-30T15:30:00", "timeZone": PST},
        },
    )
    assert moved.status_code == 200
    updated = moved.json()
    assert updated["start"]["dateTime"] == "2031-04-30T15:00:00.0000000"
    assert updated["body"] == master["body"]  # the Teams join block survives
    assert updated["attendees"][0]["status"]["response"] == "none"
    assert window(graph, SAMANTHA, "2031-04-29") == []
    (moved_copy,) = window(graph, SAMANTHA, "2031-04-30")
    assert moved_copy["id"] == copy_["id"]
    assert moved_copy["start"] == {"dateTime": "2031-04-30T22:00:00.0000000", "timeZone": "UTC"}  # PDT is UTC-7
    assert moved_copy["responseStatus"]["response"] == "notResponded"


def test_transaction_id_cannot_change(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event.json", "2031-05-01", transactionId="tx-fixed"))
    response = graph.patch(f"/users/{DANA}/events/{master['id']}", json={"transactionId": "tx-other"})
    assert_graph_error(response, 400, "ErrorInvalidRequest")


def test_delete_by_the_organizer_cancels_for_attendees(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event.json", "2031-05-02"))
    (copy_,) = window(graph, SAMANTHA, "2031-05-02")
    assert graph.delete(f"/users/{DANA}/events/{master['id']}").status_code == 204
    assert graph.get(f"/users/{SAMANTHA}/events/{copy_['id']}").json()["isCancelled"] is True


def test_bad_time_zone_and_missing_start_are_400(graph: httpx.Client) -> None:
    body = doc_event("create-event.json", "2031-05-05")
    body["start"]["timeZone"] = "Atlantis Time"
    assert_graph_error(graph.post(f"/users/{DANA}/events", json=body), 400, "TimeZoneNotSupportedException")
    body = doc_event("create-event.json", "2031-05-05")
    del body["start"]
    assert graph.post(f"/users/{DANA}/events", json=body).status_code == 400


def test_events_can_be_created_under_calendar_events_too(graph: httpx.Client) -> None:
    response = graph.post(f"/users/{DANA}/calendar/events", json=doc_event("create-event.json", "2031-05-06"))
    assert response.status_code == 201
    event_id = response.json()["id"]
    assert graph.get(f"/users/{DANA}/calendar/events/{event_id}").json()["id"] == event_id
