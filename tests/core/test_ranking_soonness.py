"""Soonness before shape: a slot in the first calendar week with a free slot outranks a better-shaped one
the week after (review of issue 14: the demo's `slots --limit 5` showed later weeks' slots first).

Setup: the mentor of tests/core/test_ranking.py (UTC, Mon-Fri 09:00-17:00, buffer 5, step 15, 15-minute
slots), now Mon 1 Jun 2026 00:00Z, horizon 14 days. Week one (1-5 Jun): busy every weekday but for
14:55-16:05, a 1h10 free block, so the valid starts are 15:00, 15:15, 15:30 and 15:45 (the 5-minute buffers).
Week two (8-12 Jun): free, an 8h block a day.

Scores (minutes the day's longest block loses, slack, start), before soonness counted:
- week one, 15:00: the block 14:55-16:05 is the day's only one: it keeps max(5, 50) = 50 of 70: loses 20;
  15:45 also 20 (55 and 5 around it); 15:15 and 15:30 lose 70 - 35 = 35 and 70 - 40 = 30.
- week two, 09:00 or 16:45 of any day: the 8h block keeps 7h45: loses 15, slack 0.
So without soonness the ten edge slots of week two (loss 15) came before all of week one (loss 20+).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from core.model import CalendarItem
from core.ranking import rank_slots
from core.slots import find_slots
from tests.core.test_ranking import NOW, POLICY, mentor


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def test_the_first_free_week_comes_before_better_shaped_slots_the_week_after() -> None:
    busy = []
    for day in (1, 2, 3, 4, 5):
        busy += [
            CalendarItem(at(day, 9), at(day, 14, 55), "busy", "Workshop"),
            CalendarItem(at(day, 16, 5), at(day, 17), "busy", "Workshop"),
        ]
    person = mentor(*busy)
    policy = replace(POLICY, horizon_days=14)
    search = find_slots(mentor=person, mentees=[], policy=policy, now=NOW, minutes=15)
    ranked = [s.start for s in rank_slots(search, mentor=person, policy=policy, limit=5)]
    # Week one by (loss, slack, start): Mon 15:00 (20, 0), Mon 15:45 (20, 0), Tue 15:00, Tue 15:45, Wed 15:00.
    assert ranked == [at(1, 15), at(1, 15, 45), at(2, 15), at(2, 15, 45), at(3, 15)]
    everything = [s.start for s in rank_slots(search, mentor=person, policy=policy, limit=100)]
    first_of_week_two = everything.index(at(8, 9))
    assert all(start < at(8, 0) for start in everything[:first_of_week_two])
    assert len(everything[:first_of_week_two]) == 20  # 4 starts x 5 days of week one
