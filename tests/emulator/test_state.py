"""The per-user start index behind calendarView and getSchedule: it must find exactly the overlapping events."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from emulator.eventinput import parse_event_input
from emulator.occurrences import overlaps
from emulator.seed import load_seed
from emulator.state import TenantState

BASE = datetime(2030, 1, 1, tzinfo=UTC)


def event_body(start: datetime, minutes: int, subject: str) -> dict[str, object]:
    end = start + timedelta(minutes=minutes)
    return {
        "subject": subject,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
    }


def test_a_long_event_that_started_before_the_window_is_found() -> None:
    state = TenantState(load_seed({"tenantId": "t", "users": [{"userPrincipalName": "a@x.example"}]}))
    user = state.find_user("a@x.example")
    assert user is not None
    # A three-day offsite from 1 January, and many short events later in the month.
    state.create_event(user, parse_event_input(event_body(BASE, 3 * 24 * 60, "offsite")))
    for day in range(5, 25):
        state.create_event(user, parse_event_input(event_body(BASE + timedelta(days=day), 30, f"d{day}")))
    found = state.view(user, BASE + timedelta(days=2), BASE + timedelta(days=2, hours=1))
    assert [o.event.subject for o in found] == ["offsite"]
    # A zero-length reminder at the window's start belongs to it; one at its end does not.
    state.create_event(user, parse_event_input(event_body(BASE + timedelta(days=30), 0, "at start")))
    state.create_event(user, parse_event_input(event_body(BASE + timedelta(days=31), 0, "at end")))
    found = state.view(user, BASE + timedelta(days=30), BASE + timedelta(days=31))
    assert [o.event.subject for o in found] == ["at start"]


def test_index_agrees_with_a_full_scan_after_moves_and_deletes() -> None:
    rng = random.Random(7)
    state = TenantState(load_seed({"tenantId": "t", "users": [{"userPrincipalName": "a@x.example"}]}))
    user = state.find_user("a@x.example")
    assert user is not None
    ids = []
    for i in range(300):
        start = BASE + timedelta(minutes=15 * rng.randrange(0, 4 * 24 * 30))
        event, _ = state.create_event(user, parse_event_input(event_body(start, rng.choice([0, 15, 60, 600]), str(i))))
        ids.append(event.id)
    for event_id in rng.sample(ids, 60):
        moved = BASE + timedelta(minutes=15 * rng.randrange(0, 4 * 24 * 30))
        state.update_event(user, event_id, parse_event_input(event_body(moved, 45, "moved")))
    for event_id in rng.sample(ids, 40):
        state.delete_event(user, event_id)
    for _ in range(50):
        start = BASE + timedelta(minutes=15 * rng.randrange(0, 4 * 24 * 30))
        end = start + timedelta(hours=rng.choice([1, 8, 48]))
        expected = sorted(e.id for e in state.events_of(user) if overlaps(e.start, e.end, start, end))
        assert sorted(o.id for o in state.view(user, start, end)) == expected
