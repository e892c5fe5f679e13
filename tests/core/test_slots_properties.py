"""Property tests: find_slots against a brute-force oracle written from policy.md, and against check_slot.

The oracle below re-implements "A valid slot" the slow, obvious way (it does not use core.slots): it
samples the slot every 5 minutes and asks each attendee's local clock whether that moment is inside the
day window and the working hours. 5-minute sampling is exact here because every zone used has offsets in
whole quarter hours, every generated boundary is on a 5-minute mark and every step is a multiple of 5.

Window boundaries are generated outside 01:00-03:59 local, where DST changes happen: what a boundary
*inside* a skipped or repeated hour means is a documented decision of core.slots that unit tests cover.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.model import MENTORING_CATEGORY, Attendee, CalendarItem, WorkingHours
from core.ranking import rank_slots
from core.slots import check_slot, find_slots
from graph.timezones import CustomTimeZone
from policies.model import WEEKDAYS, Policy

CUSTOM = CustomTimeZone.from_graph(
    {
        "bias": 480,
        "name": "Customized Time Zone",
        "standardOffset": {"time": "02:00:00", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11},
        "daylightOffset": {
            "daylightBias": -60,
            "time": "02:00:00",
            "dayOccurrence": 2,
            "dayOfWeek": "sunday",
            "month": 3,
        },
    }
)
ZONES: list[tzinfo] = [
    UTC,
    ZoneInfo("America/Los_Angeles"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/London"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Asia/Kathmandu"),
    ZoneInfo("Pacific/Auckland"),
    CUSTOM,
]
# Fridays before the 2026 DST changes (US, EU, NZ; `now` adds up to 3 days) and one quiet Wednesday.
BASES = [
    datetime(2026, 3, 6, tzinfo=UTC),
    datetime(2026, 3, 27, tzinfo=UTC),
    datetime(2026, 4, 3, tzinfo=UTC),
    datetime(2026, 9, 25, tzinfo=UTC),
    datetime(2026, 10, 23, tzinfo=UTC),
    datetime(2026, 10, 30, tzinfo=UTC),
    datetime(2026, 6, 10, tzinfo=UTC),
]
SETTINGS = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIVE = timedelta(minutes=5)


def _times(hours: list[int]) -> st.SearchStrategy[time]:
    return st.builds(lambda hour, five: time(hour, 5 * five), st.sampled_from(hours), st.integers(0, 11))


# Early boundaries (00:xx or 04:00-10:59) and late ones (14:00-23:59), so that windows usually overlap.
early_times = _times([0, 0, 0, 4, 5, 6, 7, 8, 9, 10])
late_times = _times(list(range(14, 24)))
any_times = _times([0, *range(4, 24)])


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    allowed = draw(st.sampled_from([(15,), (10, 15), (15, 30), (30, 45), (10, 20, 45)]))
    if draw(st.integers(0, 4)):
        day_start, day_end = draw(early_times), draw(late_times)
    else:
        day_start, day_end = sorted(draw(st.lists(any_times, min_size=2, max_size=2, unique=True)))
    paused = 0 if draw(st.integers(0, 19)) == 0 else 1  # now and then a cap of 0
    return Policy(
        session_minutes=allowed[0],
        allowed_session_minutes=allowed,
        slot_step_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60])),
        min_notice_minutes=draw(st.integers(0, 600)),
        horizon_days=draw(st.integers(1, 2)),
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 15, 30])),
        day_start=day_start,
        day_end=day_end,
        respect_working_hours=draw(st.booleans()),
        no_meeting_days=tuple(draw(st.lists(st.sampled_from(WEEKDAYS), max_size=2, unique=True))),
        tentative_is_busy=draw(st.booleans()),
        focus_markers=draw(st.sampled_from([("Focus time", "Focus", "Deep work"), (), ("Heads-down",)])),
        max_sessions_per_day=draw(st.sampled_from([1, 2, 3, 3, 3])) * paused,
        max_sessions_per_week=draw(st.sampled_from([1, 2, 3, 5, 5])),
        max_sessions_per_month=draw(st.sampled_from([2, 4, 8, 8, 8])),
    )


CATEGORIES = [MENTORING_CATEGORY, "micro-mentoring", "deep work", *"ABCDEFGHIJ"]


@st.composite
def items(draw: st.DrawFn, now: datetime, zone: tzinfo) -> CalendarItem:
    all_day = draw(st.integers(0, 5)) == 0
    if all_day:  # midnight to midnight in the owner's zone, as Graph returns them
        day = (now + timedelta(days=draw(st.integers(-1, 3)))).astimezone(zone).date()
        start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    else:
        start = now + timedelta(minutes=draw(st.integers(-1440, 4 * 1440)))
        start += timedelta(seconds=draw(st.sampled_from([0, 0, 0, 0, 1, 30, 59])))
        end = start + timedelta(minutes=draw(st.sampled_from([-5, 0, 5, 15, 30, 45, 60, 120, 300, 1440])))
    return CalendarItem(
        start=start,
        end=end,
        show_as=draw(st.sampled_from(["busy", "tentative", "free", "oof", "workingElsewhere", "unknown", "Busy"])),
        subject=draw(st.sampled_from(["", "Focus time", "focus: review", "Stand-up", "Heads-down", "Refocus"])),
        categories=tuple(draw(st.lists(st.sampled_from(CATEGORIES), max_size=2))),
        is_all_day=all_day,
        is_cancelled=draw(st.integers(0, 5)) == 0,
    )


@st.composite
def attendees(draw: st.DrawFn, upn: str, now: datetime, near: tzinfo | None = None) -> Attendee:
    zone = near if near is not None and draw(st.integers(0, 2)) else draw(st.sampled_from(ZONES))
    hours = None
    if draw(st.integers(0, 3)):
        shape = draw(st.integers(0, 5))
        if shape == 0:  # anything: overnight, short, ...
            start, end = draw(any_times), draw(any_times)
        elif shape == 1:  # the whole day (start == end)
            start = end = draw(any_times)
        else:
            start, end = draw(early_times), draw(late_times)
        hours = WorkingHours(
            days=draw(
                st.sampled_from([frozenset(range(5)), frozenset({6, 0, 1, 2, 3}), frozenset(range(7))])
                | st.frozensets(st.integers(0, 6), min_size=1)
            ),
            start=start,
            end=end,
            tz=draw(st.sampled_from([zone, zone, zone, *ZONES])),
        )
    calendar = tuple(draw(st.lists(items(now, zone), max_size=8)))
    return Attendee(upn=upn, tz=zone, working_hours=hours, items=calendar)


@dataclass(frozen=True)
class Case:
    mentor: Attendee
    mentees: tuple[Attendee, ...]
    policy: Policy
    now: datetime
    minutes: int


@st.composite
def cases(draw: st.DrawFn) -> Case:
    now = draw(st.sampled_from(BASES)) + timedelta(minutes=draw(st.integers(0, 3 * 1440)))
    if draw(st.booleans()):
        now += timedelta(seconds=draw(st.integers(1, 59)))
    policy = draw(policies())
    mentor = draw(attendees("mentor@x", now))
    count = draw(st.integers(0, 2))
    mentees = tuple(draw(attendees(f"mentee{i}@x", now, near=mentor.tz)) for i in range(count))
    return Case(mentor, mentees, policy, now, draw(st.sampled_from(policy.allowed_session_minutes)))


# --- the oracle ------------------------------------------------------------------------------------------


def blocks(item: CalendarItem, policy: Policy, mentor: bool) -> bool:
    if item.is_cancelled or item.end <= item.start:
        return False
    # policy.md rule 4: the mentor's focus holds block whatever their showAs (all-day ones too) and
    # whatever tentative_is_busy says; a mentee's block as their showAs says.
    markers = [m.strip().lower() for m in policy.focus_markers if m.strip()]
    subject = item.subject.strip().lower()
    focus = any(subject.startswith(m) for m in markers) or any(c.strip().lower() in markers for c in item.categories)
    if mentor and focus:
        return True
    show = item.show_as.strip().lower()
    if show in ("free", "workingelsewhere"):
        return False
    if show == "tentative":
        return policy.tentative_is_busy
    return True


def in_working_hours(moment: datetime, hours: WorkingHours) -> bool:
    wall = moment.astimezone(hours.tz)
    today, clock = wall.date(), wall.time().replace(tzinfo=None)
    yesterday = today - timedelta(days=1)
    if hours.end > hours.start:
        return today.weekday() in hours.days and hours.start <= clock < hours.end
    # overnight (end < start) or the whole day (end == start)
    if today.weekday() in hours.days and clock >= hours.start:
        return True
    return yesterday.weekday() in hours.days and clock < hours.end


def sessions_in(mentor: Attendee, same: Any) -> int:
    return sum(
        1
        for item in mentor.items
        if not item.is_cancelled
        and any(c.lower() == MENTORING_CATEGORY.lower() for c in item.categories)
        and same(item.start.astimezone(mentor.tz).date())
    )


def oracle(case: Case, start: datetime) -> bool:
    policy, mentor = case.policy, case.mentor
    end = start + timedelta(minutes=case.minutes)
    local = start.astimezone(mentor.tz)
    if local.second or local.microsecond or (local.hour * 60 + local.minute) % policy.slot_step_minutes:
        return False
    if start < case.now + timedelta(minutes=policy.min_notice_minutes):
        return False
    if start >= case.now + timedelta(days=policy.horizon_days):
        return False
    day = local.date()
    if WEEKDAYS[day.weekday()] in policy.no_meeting_days:
        return False
    if sessions_in(mentor, lambda d: d == day) + 1 > policy.max_sessions_per_day:
        return False
    if sessions_in(mentor, lambda d: d.isocalendar()[:2] == day.isocalendar()[:2]) + 1 > policy.max_sessions_per_week:
        return False
    if sessions_in(mentor, lambda d: (d.year, d.month) == (day.year, day.month)) + 1 > policy.max_sessions_per_month:
        return False
    buffer = timedelta(minutes=policy.buffer_minutes)
    for item in mentor.items:
        if blocks(item, policy, True) and item.start < end + buffer and item.end > start - buffer:
            return False
    for person in case.mentees:
        for item in person.items:
            if blocks(item, policy, False) and item.start < end and item.end > start:
                return False
    for person in (mentor, *case.mentees):
        first_day = start.astimezone(person.tz).date()
        hours = person.working_hours or WorkingHours(frozenset(range(5)), time(8), time(17), person.tz)
        moment = start
        while moment < end:
            wall = moment.astimezone(person.tz)
            if wall.date() != first_day or not policy.day_start <= wall.time().replace(tzinfo=None) < policy.day_end:
                return False
            if policy.respect_working_hours and not in_working_hours(moment, hours):
                return False
            moment += FIVE
    return True


def candidates(case: Case) -> list[datetime]:
    """Every 5-minute UTC instant from a little before the notice to a little after the horizon."""
    low = case.now + timedelta(minutes=case.policy.min_notice_minutes) - timedelta(minutes=10)
    low = low.replace(minute=low.minute - low.minute % 5, second=0, microsecond=0)
    high = case.now + timedelta(days=case.policy.horizon_days) + timedelta(minutes=10)
    found = []
    while low < high:
        found.append(low)
        low += FIVE
    return found


def _search(case: Case) -> list[datetime]:
    result = find_slots(
        mentor=case.mentor, mentees=case.mentees, policy=case.policy, now=case.now, minutes=case.minutes
    )
    starts = [slot.start for slot in result.slots]
    assert starts == sorted(set(starts)), "ascending, no duplicates"
    assert all(slot.end - slot.start == timedelta(minutes=case.minutes) for slot in result.slots)
    assert (result.reasons == ()) == bool(result.slots)
    return starts


@settings(SETTINGS, max_examples=100)
@given(cases())
def test_find_slots_and_check_slot_agree_with_the_oracle(case: Case) -> None:
    # Over every 5-minute candidate: offered by find_slots <=> accepted by the oracle <=> no rejection
    # from check_slot. This covers "no offered slot overlaps a blocking event (mentor incl. buffers),
    # leaves a day window or working hours, is off grid or breaks a cap", and its converse.
    offered = set(_search(case))
    every = candidates(case)
    assert offered <= set(every)
    for start in every:
        valid = oracle(case, start)
        assert (start in offered) == valid, (start, valid)
        rejections = check_slot(
            start=start,
            minutes=case.minutes,
            mentor=case.mentor,
            mentees=case.mentees,
            policy=case.policy,
            now=case.now,
        )
        assert (rejections == ()) == valid, (start, rejections)


# Local dates of the 2026 DST changes, per zone: used to aim searches right at the gaps and repeats.
CHANGES: list[tuple[tzinfo, list[date]]] = [
    (ZoneInfo("America/Los_Angeles"), [date(2026, 3, 8), date(2026, 11, 1)]),
    (ZoneInfo("America/New_York"), [date(2026, 3, 8), date(2026, 11, 1)]),
    (CUSTOM, [date(2026, 3, 8), date(2026, 11, 1)]),
    (ZoneInfo("Europe/London"), [date(2026, 3, 29), date(2026, 10, 25)]),
    (ZoneInfo("Europe/Berlin"), [date(2026, 3, 29), date(2026, 10, 25)]),
    (ZoneInfo("Pacific/Auckland"), [date(2026, 4, 5), date(2026, 9, 27)]),
]


@st.composite
def dst_cases(draw: st.DrawFn) -> Case:
    """A search over a DST change day in the mentor's zone, with a day window covering the night."""
    zone, days = draw(st.sampled_from(CHANGES))
    midnight = datetime.combine(draw(st.sampled_from(days)), time(0), tzinfo=zone).astimezone(UTC)
    now = midnight - timedelta(minutes=draw(st.integers(0, 600)))
    allowed = draw(st.sampled_from([(15,), (10, 30), (30, 45), (20, 60)]))
    policy = Policy(
        session_minutes=allowed[0],
        allowed_session_minutes=allowed,
        slot_step_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60])),
        min_notice_minutes=draw(st.integers(0, 120)),
        horizon_days=1,
        buffer_minutes=draw(st.sampled_from([0, 5, 15])),
        day_start=draw(_times([0])),
        day_end=draw(late_times),
        respect_working_hours=draw(st.booleans()),
        tentative_is_busy=draw(st.booleans()),
        max_sessions_per_day=draw(st.sampled_from([1, 3, 10])),
        max_sessions_per_week=10,
        max_sessions_per_month=20,
    )
    whole_day = WorkingHours(frozenset(range(7)), time(0), time(0), zone)

    def person(upn: str, person_zone: tzinfo) -> Attendee:
        hours = draw(st.sampled_from([whole_day, replace(whole_day, tz=person_zone)]))
        calendar = tuple(draw(st.lists(items(now, person_zone), max_size=6)))
        return Attendee(upn, person_zone, hours, calendar)

    mentor = person("mentor@x", zone)
    mentees = tuple(person(f"mentee{i}@x", draw(st.sampled_from([zone, UTC]))) for i in range(draw(st.integers(0, 1))))
    return Case(mentor, mentees, policy, now, draw(st.sampled_from(allowed)))


@settings(SETTINGS, max_examples=50)
@given(dst_cases())
def test_dst_days_agree_with_the_oracle(case: Case) -> None:
    offered = set(_search(case))
    for start in candidates(case):
        valid = oracle(case, start)
        assert (start in offered) == valid, (start, valid)
        found = check_slot(
            start=start,
            minutes=case.minutes,
            mentor=case.mentor,
            mentees=case.mentees,
            policy=case.policy,
            now=case.now,
        )
        assert (found == ()) == valid, (start, found)


@SETTINGS
@given(cases(), st.integers(1, 5), st.integers(1, 299))
def test_off_grid_starts_are_rejected_for_the_grid(case: Case, minutes: int, seconds: int) -> None:
    start = case.now.replace(second=0, microsecond=0) + timedelta(minutes=minutes, seconds=seconds)
    found = check_slot(
        start=start, minutes=case.minutes, mentor=case.mentor, mentees=case.mentees, policy=case.policy, now=case.now
    )
    assert ("slot_step_minutes", None) in [(r.rule, r.who) for r in found]


@SETTINGS
@given(cases(), st.integers(1, 6))
def test_ranking_is_a_deterministic_choice_among_the_offered_slots(case: Case, limit: int) -> None:
    result = find_slots(
        mentor=case.mentor, mentees=case.mentees, policy=case.policy, now=case.now, minutes=case.minutes
    )
    ranked = rank_slots(result, mentor=case.mentor, policy=case.policy, limit=limit)
    assert len(ranked) == min(limit, len(result.slots))
    assert {(s.start, s.end) for s in ranked} <= {(s.start, s.end) for s in result.slots}
    assert len({s.start for s in ranked}) == len(ranked)
    assert all(s.why for s in ranked)
    assert ranked == rank_slots(result, mentor=case.mentor, policy=case.policy, limit=limit)


def test_oracle_sanity() -> None:
    # The oracle itself, on one hand-worked case: UTC people, 09-12 working hours, Monday 2026-06-01.
    hours = WorkingHours(frozenset(range(5)), time(9), time(12), UTC)
    case = Case(
        Attendee("m@x", UTC, hours),
        (Attendee("e@x", UTC, hours),),
        Policy(min_notice_minutes=0, horizon_days=1, buffer_minutes=0),
        datetime(2026, 6, 1, tzinfo=UTC),
        15,
    )
    accepted = [s for s in candidates(case) if oracle(case, s)]
    assert accepted[0] == datetime(2026, 6, 1, 9, tzinfo=UTC)
    assert accepted[-1] == datetime(2026, 6, 1, 11, 45, tzinfo=UTC)
    assert len(accepted) == 12
    assert date(2026, 6, 1).weekday() == 0
