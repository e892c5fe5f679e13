"""PATCH of an event's `attendees` alone (api-reference/v1.0/api/event-update.md): the collection is
replaced, an added attendee gets an invitation, a removed one's copy is cancelled, and those who stay
get no meeting update (their copy is left exactly as it was)."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import ADELE, DANA, SAMANTHA
from .test_events import PREFER_PST, create, doc_event, window


def people(*addresses: str) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": a, "name": a}, "type": "required"} for a in addresses]


def test_patching_attendees_replaces_them_and_updates_only_those_who_changed(graph: httpx.Client) -> None:
    master = create(graph, doc_event("create-event-online.json", "2031-05-06"))
    (samantha_copy,) = window(graph, SAMANTHA, "2031-05-06")

    added = graph.patch(f"/users/{DANA}/events/{master['id']}", json={"attendees": people(SAMANTHA, ADELE)})
    assert added.status_code == 200, added.text
    assert [a["emailAddress"]["address"] for a in added.json()["attendees"]] == [SAMANTHA, ADELE]
    (adele_copy,) = window(graph, ADELE, "2031-05-06")
    assert adele_copy["responseStatus"]["response"] == "notResponded"
    (unchanged,) = window(graph, SAMANTHA, "2031-05-06")
    # No update for Samantha: her copy (and its change key) is as it was, with the old attendee list.
    assert unchanged["changeKey"] == samantha_copy["changeKey"]
    assert [a["emailAddress"]["address"] for a in unchanged["attendees"]] == [SAMANTHA]

    removed = graph.patch(f"/users/{DANA}/events/{master['id']}", json={"attendees": people(ADELE)})
    assert [a["emailAddress"]["address"] for a in removed.json()["attendees"]] == [ADELE]  # replaced, not merged
    (cancelled,) = window(graph, SAMANTHA, "2031-05-06")
    assert cancelled["isCancelled"] is True
    # A PATCH that also changes something else updates everyone still invited.
    graph.patch(
        f"/users/{DANA}/events/{master['id']}", headers=PREFER_PST, json={"attendees": people(ADELE), "subject": "New"}
    ).raise_for_status()
    (adele_after,) = window(graph, ADELE, "2031-05-06")
    assert adele_after["subject"] == "New"
