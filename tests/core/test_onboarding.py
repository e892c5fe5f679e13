"""The onboarding planner, worked by hand. Monday 2026-11-30 is the joiners' start date unless named;
times UTC unless named; flash sessions of 15 minutes; default policy (buffer 5, caps 3/day, 5/week)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.model import Slot
from core.onboarding import (
    NO_MENTOR,
    NO_SLOT,
    WINDOW_OVER,
    JoinerSlots,
    MentorLoad,
    NewJoiner,
    Placement,
    Unplaced,
    first_two_weeks,
    plan_onboarding,
)
from policies.model import Policy

SEATTLE = ZoneInfo("America/Los_Angeles")
MONDAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """`day` days after Monday 30 Nov, at hour:minute UTC."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=UTC) + timedelta(days=day)


def slot(start: datetime) -> Slot:
    return Slot(start, start + timedelta(minutes=15))


def joiner(upn: str, skills: tuple[str, ...] = (), **changes: object) -> NewJoiner:
    values: dict[str, object] = {"upn": upn, "start_date": MONDAY, "zone": UTC, "skills": frozenset(skills)}
    values.update(changes)
    return NewJoiner(**values)  # type: ignore[arg-type]


def mentor(upn: str, skills: tuple[str, ...] = (), **changes: object) -> MentorLoad:
    values: dict[str, object] = {"upn": upn, "zone": UTC, "policy": Policy(), "skills": frozenset(skills)}
    values.update(changes)
    return MentorLoad(**values)  # type: ignore[arg-type]


def every_pair(joiners: list[str], mentors: list[str], starts: list[datetime]) -> list[JoinerSlots]:
    return [JoinerSlots(j, m, tuple(slot(s) for s in starts)) for j in joiners for m in mentors]


def booked(plan_placements: tuple[Placement, ...]) -> list[tuple[str, str, datetime]]:
    return [(p.joiner, p.mentor, p.start) for p in plan_placements]


WEEKDAYS_9 = [at(d, 9) for d in range(5)]  # Mon-Fri 09:00


def test_each_joiner_meets_three_different_mentors_and_the_load_is_spread() -> None:
    plan = plan_onboarding(
        [joiner("b@x"), joiner("a@x")],
        [mentor("m1@x"), mentor("m2@x"), mentor("m3@x")],
        every_pair(["a@x", "b@x"], ["m1@x", "m2@x", "m3@x"], WEEKDAYS_9),
        now=NOW,
    )
    # Round 1: a (UPN first) takes m1 Mon; b the least loaded m2, Mon. Round 2: a: m3 (load 0), on a fresh
    # day, Tue; b: m1 and m3 both have 1, m1 by UPN, Tue. Round 3: a: m2, Wed; b: m3, Wed.
    assert booked(plan.placements) == [
        ("b@x", "m2@x", at(0, 9)),
        ("b@x", "m1@x", at(1, 9)),
        ("b@x", "m3@x", at(2, 9)),
        ("a@x", "m1@x", at(0, 9)),
        ("a@x", "m3@x", at(1, 9)),
        ("a@x", "m2@x", at(2, 9)),
    ]
    assert plan.unplaced == ()
    for j in ("a@x", "b@x"):
        assert len({p.mentor for p in plan.of(j)}) == 3
    per_mentor = {m: sum(1 for p in plan.placements if p.mentor == m) for m in ("m1@x", "m2@x", "m3@x")}
    assert per_mentor == {"m1@x": 2, "m2@x": 2, "m3@x": 2}


def test_the_least_loaded_mentor_comes_first_then_shared_skills() -> None:
    pairs = every_pair(["a@x"], ["amy@x", "zed@x", "bob@x"], WEEKDAYS_9)
    # Equal loads: zed shares "python" with a, so zed first although last by UPN; then amy, bob by UPN.
    plan = plan_onboarding(
        [joiner("a@x", ("python",))],
        [mentor("amy@x", ("sales",)), mentor("zed@x", ("python",)), mentor("bob@x")],
        pairs,
        now=NOW,
    )
    assert booked(plan.placements) == [
        ("a@x", "zed@x", at(0, 9)),
        ("a@x", "amy@x", at(1, 9)),
        ("a@x", "bob@x", at(2, 9)),
    ]
    # zed already has two scheduled sessions, amy and bob none: the load wins over the skill.
    plan = plan_onboarding(
        [joiner("a@x", ("python",))],
        [mentor("amy@x", ("sales",)), mentor("zed@x", ("python",), load=2), mentor("bob@x")],
        pairs,
        now=NOW,
    )
    assert booked(plan.placements) == [
        ("a@x", "amy@x", at(0, 9)),
        ("a@x", "bob@x", at(1, 9)),
        ("a@x", "zed@x", at(2, 9)),
    ]


def test_caps_count_what_this_plan_gave_the_mentor_across_joiners() -> None:
    weekly_one = Policy(max_sessions_per_week=1)
    plan = plan_onboarding(
        [joiner("a@x"), joiner("b@x")],
        [mentor("m1@x", policy=weekly_one), mentor("m2@x", policy=weekly_one)],
        every_pair(["a@x", "b@x"], ["m1@x", "m2@x"], [at(0, 9), at(1, 9)]),
        now=NOW,
    )
    # Round 1: a gets m1 Mon, b gets m2 Mon; round 2: each mentor's one session of week 49 is planned, so
    # neither joiner gets a second. Both give theirs back; a (first) then takes m1 Mon and m2 Tue (Mon
    # 09:00 is a's own), which fills both weeks: b is left out.
    assert booked(plan.placements) == [("a@x", "m1@x", at(0, 9)), ("a@x", "m2@x", at(1, 9))]
    assert plan.unplaced == (
        Unplaced(
            "b@x",
            "fewer than 2 sessions fit: the free slots and caps of the 2 mentors available went to other joiners",
        ),
    )


def test_sessions_already_on_the_calendar_count_toward_the_caps() -> None:
    # m1 has 2 sessions on Monday on the calendar and a cap of 3 a day: one more on Monday, not two.
    daily = mentor("m1@x", sessions=(at(0, 7), at(0, 8)))
    plan = plan_onboarding(
        [joiner("a@x"), joiner("b@x")],
        [daily, mentor("m2@x", load=5), mentor("m3@x", load=5)],
        every_pair(["a@x", "b@x"], ["m1@x", "m2@x", "m3@x"], [at(0, 9), at(0, 10)]),
        now=NOW,
        target=2,
    )
    # Round 1: a takes m1 (load 0) at 09:00, Monday's third; b: m1 09:00 is a's and 10:00 would be a fourth,
    # so m2 (5, by UPN) 09:00. Round 2: a: m3 (5 against m2's 6) at 10:00 (a is busy at 09:00); b: m1 is
    # full, m3's 09:00 clashes with b's own 09:00 and its 10:00 is a's. b gives m2 back, tries alone, gets
    # m2 09:00 again and nothing more: not placed.
    assert booked(plan.placements) == [("a@x", "m1@x", at(0, 9)), ("a@x", "m3@x", at(0, 10))]
    assert plan.unplaced == (
        Unplaced(
            "b@x",
            "fewer than 2 sessions fit: the free slots and caps of the 3 mentors available went to other joiners",
        ),
    )


def test_the_first_two_weeks_are_the_joiners_own_local_days() -> None:
    assert first_two_weeks(MONDAY, SEATTLE) == (at(0, 8), at(14, 8))  # PST, UTC-8
    assert first_two_weeks(MONDAY, UTC) == (at(0, 0), at(14, 0))
    pairs = [JoinerSlots(j, "m1@x", (slot(at(0, 7)), slot(at(14, 1)))) for j in ("lon@x", "sea@x")] + [
        JoinerSlots(j, "m2@x", (slot(at(0, 7, 30)), slot(at(14, 2)))) for j in ("lon@x", "sea@x")
    ]
    plan = plan_onboarding(
        [joiner("sea@x", zone=SEATTLE), joiner("lon@x")], [mentor("m1@x"), mentor("m2@x")], pairs, now=NOW
    )
    # Monday 07:00Z and 07:30Z are Sunday 23:00 and 23:30 in Seattle, before sea's start; Monday 14 Dec
    # 01:00Z and 02:00Z are Sunday 13 Dec 17:00 and 18:00 in Seattle, inside sea's two weeks but after
    # lon's. lon goes first (UPN), takes m1 07:00; sea the least loaded m2, 02:00 on the 14th; then lon
    # m2 07:30 and sea m1 01:00.
    assert booked(plan.placements) == [
        ("sea@x", "m1@x", at(14, 1)),
        ("sea@x", "m2@x", at(14, 2)),
        ("lon@x", "m1@x", at(0, 7)),
        ("lon@x", "m2@x", at(0, 7, 30)),
    ]


def test_who_cannot_be_placed_gets_the_reason() -> None:
    pairs = [
        JoinerSlots("one@x", "m1@x", (slot(at(0, 9)),)),  # one mentor only
        JoinerSlots("late@x", "m1@x", (slot(at(0, 9)),)),
        JoinerSlots("late@x", "m2@x", (slot(at(1, 9)),)),
    ]
    plan = plan_onboarding(
        [
            joiner("none@x"),
            joiner("one@x"),
            joiner("late@x", start_date=date(2026, 11, 2)),  # its two weeks ended 16 Nov
        ],
        [mentor("m1@x"), mentor("m2@x")],
        pairs,
        now=NOW,
    )
    assert plan.placements == ()
    assert plan.unplaced == (
        Unplaced("none@x", NO_SLOT),
        Unplaced("one@x", "fewer than 2 mentors available: only 1 mentor has a free slot in the first two weeks"),
        Unplaced("late@x", WINDOW_OVER),
    )
    alone = plan_onboarding([joiner("m1@x")], [mentor("m1@x")], [], now=NOW)
    assert alone.unplaced == (Unplaced("m1@x", NO_MENTOR),)


def test_a_joiner_with_booked_sessions_is_topped_up_with_another_mentor_on_a_fresh_day() -> None:
    earlier = Placement("a@x", "m1@x", at(0, 9), at(0, 9, 15))
    plan = plan_onboarding(
        [joiner("a@x", booked=(earlier,))],
        [mentor("m1@x"), mentor("m2@x", load=3)],
        every_pair(["a@x"], ["m1@x", "m2@x"], [at(0, 10), at(1, 9)]),
        now=NOW,
        target=2,
    )
    # m1 is less loaded but already met; m2 on Tuesday, a day a has no session yet.
    assert booked(plan.placements) == [("a@x", "m2@x", at(1, 9))]
    assert plan.unplaced == ()


def test_two_joiners_never_share_a_mentors_time_nor_its_buffer() -> None:
    # m1 is everyone's least loaded; slots 09:00 and 09:15 would sit back to back without the 5 minutes.
    plan = plan_onboarding(
        [joiner("a@x"), joiner("b@x")],
        [mentor("m1@x"), mentor("m2@x", load=1), mentor("m3@x", load=1)],
        every_pair(["a@x", "b@x"], ["m1@x", "m2@x", "m3@x"], [at(0, 9), at(0, 9, 15), at(0, 9, 30)]),
        now=NOW,
        target=2,
    )
    m1 = sorted(p.start for p in plan.placements if p.mentor == "m1@x")
    assert m1 == [at(0, 9), at(0, 9, 30)]
    assert len(plan.placements) == 4


def test_the_plan_does_not_depend_on_the_order_of_the_input() -> None:
    joiners = [joiner("c@x"), joiner("a@x", ("python",)), joiner("b@x")]
    mentors = [mentor("m3@x"), mentor("m1@x", ("python",)), mentor("m2@x", load=1)]
    pairs = every_pair(["a@x", "b@x", "c@x"], ["m1@x", "m2@x", "m3@x"], WEEKDAYS_9)
    first = plan_onboarding(joiners, mentors, pairs, now=NOW)
    again = plan_onboarding(list(reversed(joiners)), list(reversed(mentors)), list(reversed(pairs)), now=NOW)
    assert sorted(booked(first.placements)) == sorted(booked(again.placements))


def test_a_session_across_utc_midnight_blocks_slots_on_either_day() -> None:
    """`fits` scans a person's sessions by UTC day (the slot's, the day before and after): Ana's sessions
    Mon 23:50-Tue 00:05 and Wed 00:00-00:15 (buffer 5) rule out Tue 00:05 (the day before's session ends at
    00:05, plus the buffer) and Tue 23:45 (ends 00:00, the next day's starts 00:00, minus the buffer); both are
    on a fresh day, so either would win if it were missed. Her third session is Thu 09:00."""
    ana = joiner(
        "ana",
        booked=(
            Placement("ana", "m0", at(0, 23, 50), at(1, 0, 5)),
            Placement("ana", "m9", at(2, 0), at(2, 0, 15)),
        ),
    )
    pairs = [JoinerSlots("ana", "m1", (slot(at(1, 0, 5)), slot(at(1, 23, 45)), slot(at(3, 9))))]
    plan = plan_onboarding([ana], [mentor("m1")], pairs, now=NOW)
    assert booked(plan.placements) == [("ana", "m1", at(3, 9))]
    assert plan.unplaced == ()
