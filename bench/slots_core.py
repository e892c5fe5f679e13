"""CPU time of the pure slot search: 1 mentor + 5 mentees, 14 days, 200 events each.

Run: `.venv/bin/python bench/slots_core.py [--runs N]`. Prints the median and 90th percentile of
`time.process_time` per call, for the search, the "no slot" path (with reasons), ranking and a re-check.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from core.model import MENTORING_CATEGORY, Attendee, CalendarItem, WorkingHours
from core.ranking import rank_slots
from core.slots import check_slot, find_slots
from policies.model import Policy

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
# Mentees whose day windows overlap the London mentor's for about two hours (13:00-15:00 UTC).
ZONES = ("Europe/Berlin", "UTC", "America/New_York", "Europe/Lisbon", "Africa/Nairobi")
SHOW_AS = ("busy", "busy", "busy", "tentative", "free", "oof", "workingElsewhere")


def _items(rng: random.Random, count: int, mentor: bool) -> tuple[CalendarItem, ...]:
    items = []
    for index in range(count):
        start = NOW + timedelta(minutes=15 * rng.randrange(0, 14 * 96))
        length = timedelta(minutes=rng.choice((15, 15, 30, 30, 45, 60)))
        categories: tuple[str, ...] = ()
        if mentor and index % 40 == 0:
            categories = (MENTORING_CATEGORY,)
        subject = "Focus time" if index % 17 == 0 else f"Meeting {index}"
        items.append(
            CalendarItem(start, start + length, rng.choice(SHOW_AS), subject, categories, is_cancelled=index % 29 == 0)
        )
    return tuple(items)


def _person(rng: random.Random, upn: str, zone_name: str, mentor: bool) -> Attendee:
    zone: tzinfo = ZoneInfo(zone_name)
    hours = WorkingHours(frozenset(range(5)), time(6, 0), time(20, 0), zone)
    return Attendee(upn, zone, hours, _items(rng, 200, mentor))


def _scenario(wide: bool) -> tuple[Attendee, list[Attendee]]:
    rng = random.Random(20261130)
    mentor = _person(rng, "mentor@contoso.example", "Europe/London", True)
    mentees = [_person(rng, f"mentee{i}@contoso.example", ZONES[i], False) for i in range(5)]
    if not wide:  # a mentee on the other side of the world: no overlap, the explaining path runs
        far = ZoneInfo("Pacific/Auckland")
        mentees[0] = Attendee(
            mentees[0].upn, far, WorkingHours(frozenset(range(5)), time(9), time(17), far), mentees[0].items
        )
    return mentor, mentees


def _measure(call: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = clock.process_time()
        call()
        samples.append((clock.process_time() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    policy = Policy(max_sessions_per_week=50, max_sessions_per_month=100)
    mentor, mentees = _scenario(wide=True)
    search = find_slots(mentor=mentor, mentees=mentees, policy=policy, now=NOW, minutes=15)
    far_mentor, far_mentees = _scenario(wide=False)
    empty = find_slots(mentor=far_mentor, mentees=far_mentees, policy=policy, now=NOW, minutes=15)
    chosen = search.slots[len(search.slots) // 2].start if search.slots else NOW

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "find_slots (6 people, 14 d, 200 ev each)",
            lambda: find_slots(mentor=mentor, mentees=mentees, policy=policy, now=NOW, minutes=15),
        ),
        (
            "find_slots, no slot (reasons path)",
            lambda: find_slots(mentor=far_mentor, mentees=far_mentees, policy=policy, now=NOW, minutes=15),
        ),
        ("rank_slots (limit 5)", lambda: rank_slots(search, mentor=mentor, policy=policy, limit=5)),
        (
            "check_slot (one re-check)",
            lambda: check_slot(start=chosen, minutes=15, mentor=mentor, mentees=mentees, policy=policy, now=NOW),
        ),
    ]
    print(f"slots found: {len(search.slots)}; no-slot reasons: {list(empty.reasons)}; runs: {runs}")
    print(f"{'case':<44} {'median ms':>10} {'p90 ms':>8}")
    for name, call in cases:
        median, p90 = _measure(call, runs)
        print(f"{name:<44} {median:>10.3f} {p90:>8.3f}")


if __name__ == "__main__":
    main()
