"""rank_slots: which slots keep the mentor's long free blocks intact, and the `why` for each.

Setup: mentor in UTC, working hours Mon-Fri 09:00-17:00, buffer 5, step 15, 15-minute slots, no mentee,
now = Mon 2026-06-01 00:00Z. Monday: "Team stand-up" 10:00-10:15 and "Customer call" 13:00-14:00, so
Monday's free blocks are 09:00-10:00 (1h), 10:15-13:00 (2h45) and 14:00-17:00 (3h, the longest).
Valid Monday starts: 09:00-09:30 (09:40 would touch the buffer), 10:30-12:30, 14:15-16:45.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from core.errors import InputError
from core.model import Attendee, CalendarItem, WorkingHours
from core.ranking import format_minutes, rank_slots
from core.slots import SlotSearch, find_slots
from policies.model import Policy

POLICY = Policy(min_notice_minutes=0, horizon_days=1, buffer_minutes=5)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def mentor(*items: CalendarItem) -> Attendee:
    hours = WorkingHours(frozenset(range(5)), time(9), time(17), UTC)
    return Attendee("mentor@x", UTC, hours, items)


MONDAY = mentor(
    CalendarItem(at(1, 10), at(1, 10, 15), "busy", "Team stand-up"),
    CalendarItem(at(1, 13), at(1, 14), "busy", "Customer call"),
)


def ranked(person: Attendee, policy: Policy, limit: int) -> list[tuple[str, str | None]]:
    search = find_slots(mentor=person, mentees=[], policy=policy, now=NOW, minutes=15)
    return [(f"{s.start:%a %H:%M}", s.why) for s in rank_slots(search, mentor=person, policy=policy, limit=limit)]


def test_edges_next_to_meetings_and_the_day_start_come_first() -> None:
    # Scores (minutes the day's longest block loses, slack to the nearer edge beyond the buffer, start):
    # 09:00 (0, 0): at the start of the day.            09:30 (0, 0): 09:45 + 5 min buffer = the stand-up.
    # 10:30 (0, 0): stand-up ends 10:15 + 5 -> 10:20.   12:30 (0, 0): ends 12:45, + 5 before the call.
    # 09:15 (0, 15) and 10:45 (0, 25) are inside their blocks. Every 14:00-17:00 slot costs the longest
    # block 15 minutes at least (it drops to the 2h45 of the second block).
    keeps = "keeps the 3h free block on Mon 1 Jun intact"
    assert ranked(MONDAY, POLICY, 6) == [
        ("Mon 09:00", f"first thing in the working day, {keeps}"),
        ("Mon 09:30", f"right before another meeting, {keeps}"),
        ("Mon 10:30", f"right after another meeting, {keeps}"),
        ("Mon 12:30", f"right before another meeting, {keeps}"),
        ("Mon 09:15", f"inside a 1h free block, {keeps}"),
        ("Mon 10:45", f"inside a 2h45 free block, {keeps}"),
    ]


def test_full_order_over_two_days() -> None:
    # Tuesday is free: 09:00-17:00 (8h). Any Tuesday slot costs at least 15 minutes of it.
    # After Monday's 12 slots in the short blocks (by slack: 0, 0, 0, 0, 15, 25, 25, 40, 40, 55, 55, 70)
    # come the 15-minute losses at an edge: Mon 14:15 (after the call), Mon 16:45 (end of day),
    # Tue 09:00, Tue 16:45. Then Mon 16:30 (loss 15, slack 15).
    order = [start for start, _ in ranked(MONDAY, replace(POLICY, horizon_days=2), 17)]
    assert order == [
        "Mon 09:00", "Mon 09:30", "Mon 10:30", "Mon 12:30",
        "Mon 09:15", "Mon 10:45", "Mon 12:15", "Mon 11:00", "Mon 12:00", "Mon 11:15", "Mon 11:45", "Mon 11:30",
        "Mon 14:15", "Mon 16:45", "Tue 09:00", "Tue 16:45",
        "Mon 16:30",
    ]  # fmt: skip
    whys = dict(ranked(MONDAY, replace(POLICY, horizon_days=2), 16))
    shortens = "shortens the longest free block on"
    assert whys["Mon 14:15"] == f"right after another meeting, {shortens} Mon 1 Jun from 3h to 2h45"
    assert whys["Tue 16:45"] == f"last thing in the working day, {shortens} Tue 2 Jun from 8h to 7h45"


def test_focus_holds_shape_the_free_blocks() -> None:
    # "Focus time" shown as free 09:00-11:00 still blocks the mentor: the only free block is 11:00-12:00
    # (working hours 09-12 here). Candidates 11:15, 11:30, 11:45 (11:00 is inside the buffer).
    # 11:45 leaves 11:00-11:45: the block shrinks from 1h to 45 min (loss 15).
    # 11:15 leaves 11:00-11:15 and 11:30-12:00 (loss 30) but sits right after the hold (slack 10 < 15).
    # 11:30 leaves 30 and 15 minutes (loss 30), 15 minutes of slack to the end of the day.
    person = replace(
        MONDAY,
        working_hours=WorkingHours(frozenset(range(5)), time(9), time(12), UTC),
        items=(CalendarItem(at(1, 9), at(1, 11), "free", "Focus time"),),
    )
    assert ranked(person, POLICY, 3) == [
        ("Mon 11:45", "last thing in the working day, shortens the longest free block on Mon 1 Jun from 1h to 45 min"),
        ("Mon 11:15", "right after another meeting, shortens the longest free block on Mon 1 Jun from 1h to 30 min"),
        ("Mon 11:30", "inside a 1h free block, shortens the longest free block on Mon 1 Jun from 1h to 30 min"),
    ]


def test_meetings_without_subject_and_long_subjects() -> None:
    long_subject = "Quarterly business review with the whole regional leadership team"
    person = mentor(
        CalendarItem(at(1, 9), at(1, 9, 45), "busy", ""), CalendarItem(at(1, 12), at(1, 17), "busy", long_subject)
    )
    result = dict(ranked(person, POLICY, 3))
    assert result["Mon 10:00"].startswith("right after another meeting, ")
    # never the meeting's subject: mentees read `why`, and the mentor's subjects may be private
    assert all(long_subject[:12] not in why for why in result.values())
    assert result["Mon 11:30"].startswith("right before another meeting, ")


def test_limit_and_empty_searches() -> None:
    search = find_slots(mentor=MONDAY, mentees=[], policy=POLICY, now=NOW, minutes=15)
    assert len(rank_slots(search, mentor=MONDAY, policy=POLICY, limit=100)) == len(search.slots) == 23
    for bad in (0, -1, True):
        with pytest.raises(InputError) as caught:
            rank_slots(search, mentor=MONDAY, policy=POLICY, limit=bad)
        assert caught.value.field == "limit"
    empty = SlotSearch(slots=(), searched_from=NOW, searched_to=NOW, reasons=("mentor is busy",))
    assert rank_slots(empty, mentor=MONDAY, policy=POLICY, limit=3) == ()


def test_ranking_is_deterministic_and_keeps_slot_times() -> None:
    search = find_slots(mentor=MONDAY, mentees=[], policy=POLICY, now=NOW, minutes=15)
    first = rank_slots(search, mentor=MONDAY, policy=POLICY, limit=5)
    assert first == rank_slots(search, mentor=MONDAY, policy=POLICY, limit=5)
    offered = {(s.start, s.end) for s in search.slots}
    assert all((s.start, s.end) in offered and s.why for s in first)


def test_format_minutes() -> None:
    assert [format_minutes(m) for m in (15, 45, 60, 90, 165, 480)] == ["15 min", "45 min", "1h", "1h30", "2h45", "8h"]
