"""calendarView/delta: a round of nextLinks ending in a deltaLink, then changes only, with @removed."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import DANA, SAMANTHA

WINDOW = {"startDateTime": "2032-03-01T00:00:00Z", "endDateTime": "2032-03-31T00:00:00Z"}
PAGE_2 = {"Prefer": "odata.maxpagesize=2"}


def add(graph: httpx.Client, subject: str, day: str, user: str = SAMANTHA) -> dict[str, Any]:
    response = graph.post(
        f"/users/{user}/events",
        json={
            "subject": subject,
            "start": {"dateTime": f"{day}T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": f"{day}T10:00:00", "timeZone": "UTC"},
        },
    )
    assert response.status_code == 201
    return dict(response.json())


def round_trip(graph: httpx.Client, first_url: str, params: dict[str, str] | None) -> tuple[list[Any], list[Any], str]:
    """(pages, items, deltaLink) following nextLinks like a client would."""
    pages: list[Any] = []
    response = graph.get(first_url, params=params, headers=PAGE_2)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        if "@odata.deltaLink" in body:
            return pages, [i for p in pages for i in p["value"]], body["@odata.deltaLink"]
        assert "$skiptoken=" in body["@odata.nextLink"]
        response = graph.get(body["@odata.nextLink"], headers=PAGE_2)


def test_delta_round_then_changes_and_removals(graph: httpx.Client) -> None:
    a = add(graph, "a", "2032-03-02")
    b = add(graph, "b", "2032-03-03")
    c = add(graph, "c", "2032-03-04")
    add(graph, "outside", "2032-05-01")
    pages, items, delta_link = round_trip(graph, f"/users/{SAMANTHA}/calendarView/delta", WINDOW)
    # Three events in the window, two per page: a nextLink page, then the last page with the deltaLink.
    assert [len(p["value"]) for p in pages] == [2, 1]
    assert "@odata.deltaLink" not in pages[0] and "$deltatoken=" in delta_link
    assert sorted(i["subject"] for i in items) == ["a", "b", "c"]
    assert all(i["@odata.type"] == "#microsoft.graph.event" for i in items)
    assert {"start", "end", "organizer", "attendees", "body", "id"} <= set(items[0])

    # Nothing changed: the deltaLink gives an empty page and a new deltaLink.
    body = graph.get(delta_link).json()
    assert body["value"] == [] and "@odata.deltaLink" in body

    # Update a, delete b, add d: only those come back, b as @removed.
    graph.patch(f"/users/{SAMANTHA}/events/{a['id']}", json={"subject": "a2"}).raise_for_status()
    assert graph.delete(f"/users/{SAMANTHA}/events/{b['id']}").status_code == 204
    d = add(graph, "d", "2032-03-05")
    _, changes, next_delta = round_trip(graph, delta_link, None)
    removed = [i for i in changes if "@removed" in i]
    assert removed == [{"@odata.type": "#microsoft.graph.event", "id": b["id"], "@removed": {"reason": "deleted"}}]
    assert sorted((i["id"], i["subject"]) for i in changes if "@removed" not in i) == sorted(
        [(a["id"], "a2"), (d["id"], "d")]
    )
    assert c["id"] not in {i["id"] for i in changes}
    assert graph.get(next_delta).json()["value"] == []


def test_cancelled_meeting_is_removed_for_the_organizer_and_updated_for_the_attendee(graph: httpx.Client) -> None:
    window = {"startDateTime": "2032-06-01T00:00:00Z", "endDateTime": "2032-06-30T00:00:00Z"}
    _, _, organizer_link = round_trip(graph, f"/users/{DANA}/calendarView/delta", window)
    _, _, attendee_link = round_trip(graph, f"/users/{SAMANTHA}/calendarView/delta", window)
    meeting = graph.post(
        f"/users/{DANA}/events",
        json={
            "subject": "session",
            "start": {"dateTime": "2032-06-02T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2032-06-02T09:15:00", "timeZone": "UTC"},
            "attendees": [{"emailAddress": {"address": SAMANTHA}, "type": "required"}],
        },
    ).json()
    assert graph.post(f"/users/{DANA}/events/{meeting['id']}/cancel", json={}).status_code == 202
    _, organizer_changes, _ = round_trip(graph, organizer_link, None)
    stand_ups = [i for i in organizer_changes if "@removed" not in i]
    assert stand_ups == []  # the seeded stand-ups did not change since the first round
    assert {
        "id": meeting["id"],
        "@odata.type": "#microsoft.graph.event",
        "@removed": {"reason": "deleted"},
    } in organizer_changes
    _, attendee_changes, _ = round_trip(graph, attendee_link, None)
    (copy_,) = attendee_changes
    assert copy_["isCancelled"] is True and copy_["subject"] == "session"


def test_event_moved_out_of_the_window_is_reported_removed(graph: httpx.Client) -> None:
    window = {"startDateTime": "2032-08-01T00:00:00Z", "endDateTime": "2032-08-31T00:00:00Z"}
    event = add(graph, "moving", "2032-08-10")
    _, items, link = round_trip(graph, f"/users/{SAMANTHA}/calendarView/delta", window)
    assert [i["id"] for i in items] == [event["id"]]
    graph.patch(
        f"/users/{SAMANTHA}/events/{event['id']}",
        json={
            "start": {"dateTime": "2032-10-10T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2032-10-10T10:00:00", "timeZone": "UTC"},
        },
    ).raise_for_status()
    _, changes, _ = round_trip(graph, link, None)
    assert changes == [{"@odata.type": "#microsoft.graph.event", "id": event["id"], "@removed": {"reason": "deleted"}}]


def test_series_occurrences_come_through_delta(graph: httpx.Client) -> None:
    window = {"startDateTime": "2027-01-04T00:00:00Z", "endDateTime": "2027-01-09T00:00:00Z"}
    _, items, _ = round_trip(graph, f"/users/{DANA}/calendarView/delta()", window)
    # Stand-ups Mon 4, Wed 6, Fri 8 January 2027.
    assert sorted(i["start"]["dateTime"][:10] for i in items) == ["2027-01-04", "2027-01-06", "2027-01-08"]
    assert {i["type"] for i in items} == {"occurrence"}


def test_a_token_for_another_user_is_refused(graph: httpx.Client) -> None:
    _, _, link = round_trip(graph, f"/users/{SAMANTHA}/calendarView/delta", WINDOW)
    token = link.split("$deltatoken=")[1]
    response = graph.get(f"/users/{DANA}/calendarView/delta", params={"$deltatoken": token})
    assert response.status_code == 400
