"""check_slot (the booking re-check): rule names, who, order; and cap_window.

Setup unless said otherwise: mentor and mentee in UTC, working hours Mon-Fri 09:00-12:00 UTC, default
policy except no buffer, now = Mon 2026-06-01 00:00 UTC (so the 2h notice ends at 02:00 and the 14-day
horizon at Mon 06-15 00:00).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import InputError
from core.model import MENTORING_CATEGORY, Attendee, CalendarItem, WorkingHours
from core.slots import (
    CAP_RULES,
    CONFLICT_RULES,
    INPUT_RULES,
    RULES,
    Rule,
    cap_span,
    cap_window,
    caps_broken,
    check_slot,
)
from policies.model import Policy

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LA = ZoneInfo("America/Los_Angeles")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, second, tzinfo=UTC)


def person(upn: str, *items: CalendarItem, zone: ZoneInfo | None = None) -> Attendee:
    tz = zone or UTC
    return Attendee(upn, tz, WorkingHours(frozenset(range(5)), time(9), time(12), tz), items)


def busy(start: datetime, minutes: int, show_as: str = "busy", categories: tuple[str, ...] = ()) -> CalendarItem:
    return CalendarItem(start, start + timedelta(minutes=minutes), show_as, "", categories)


POLICY = Policy(buffer_minutes=0)


def rules(
    start: datetime,
    *,
    minutes: int = 15,
    mentor: Attendee | None = None,
    mentees: list[Attendee] | None = None,
    policy: Policy = POLICY,
    now: datetime = NOW,
) -> list[tuple[str, str | None]]:
    found = check_slot(
        start=start,
        minutes=minutes,
        mentor=mentor or person("mentor@x"),
        mentees=mentees if mentees is not None else [person("mentee@x")],
        policy=policy,
        now=now,
    )
    assert all(r.message for r in found)
    return [(r.rule, r.who) for r in found]


def test_rule_names_are_stable() -> None:
    assert RULES == (
        "allowed_session_minutes",
        "slot_step_minutes",
        "min_notice_minutes",
        "horizon_days",
        "busy",
        "buffer_minutes",
        "day_window",
        "working_hours",
        "office_hours",
        "no_meeting_days",
        "max_sessions_per_day",
        "max_sessions_per_week",
        "max_sessions_per_month",
    )
    # A length or start no search offers is the request's fault (400); too soon and past the horizon are
    # policy rules like the rest (422): decided once in core/slots.py's table.
    assert {"allowed_session_minutes", "slot_step_minutes"} == INPUT_RULES
    assert {"busy"} == CONFLICT_RULES
    assert CAP_RULES == ("max_sessions_per_day", "max_sessions_per_week", "max_sessions_per_month")


def test_a_valid_slot_has_no_rejection() -> None:
    assert rules(at(1, 9)) == []
    assert rules(at(1, 11, 45)) == []
    assert rules(at(1, 11, 30), minutes=30) == []


def test_grid() -> None:
    assert rules(at(1, 9, 7)) == [("slot_step_minutes", None)]
    assert rules(at(1, 9, 0, 30)) == [("slot_step_minutes", None)]
    assert rules(at(1, 9) + timedelta(microseconds=1)) == [("slot_step_minutes", None)]
    # the grid is the mentor's: for a Kathmandu mentor (+05:45) 09:00Z is 14:45 local, on a 15 grid
    # but not on a 60 grid; 09:15Z is 15:00 local.
    nepal = ZoneInfo("Asia/Kathmandu")
    mentor = Attendee("mentor@x", nepal, None)
    hourly = replace(POLICY, slot_step_minutes=60, respect_working_hours=False)
    assert rules(at(1, 9), mentor=mentor, mentees=[], policy=hourly) == [("slot_step_minutes", None)]
    assert rules(at(1, 9, 15), mentor=mentor, mentees=[], policy=hourly) == []


def test_minutes() -> None:
    assert rules(at(1, 9), minutes=25) == [("allowed_session_minutes", None)]
    assert rules(at(1, 9), minutes=0) == [("allowed_session_minutes", None)]


def test_notice_and_horizon_edges() -> None:
    # notice 120: now 07:00 -> 09:00 is exactly 2h later (ok); now 07:01 -> too early.
    assert rules(at(1, 9), now=at(1, 7)) == []
    assert rules(at(1, 9), now=at(1, 7, 1)) == [("min_notice_minutes", None)]
    # horizon 14 days: now Mon 06-01 09:15 -> Mon 06-15 09:15 is out, 09:00 of that day is not.
    now = at(1, 9, 15)
    horizon = now + timedelta(days=14)
    assert rules(horizon, now=now) == [("horizon_days", None)]
    assert rules(horizon - timedelta(minutes=15), now=now) == []
    # in the past: the notice rule says so
    assert rules(at(1, 9), now=at(2, 0)) == [("min_notice_minutes", None)]


def test_busy_names_each_attendee_in_order() -> None:
    mentor = person("mentor@x", busy(at(1, 9), 30))
    mentees = [person("a@x"), person("b@x", busy(at(1, 9, 10), 5)), person("c@x", busy(at(1, 8), 60))]
    # c's event ends at 09:00: no overlap (strict).
    assert rules(at(1, 9), mentor=mentor, mentees=mentees) == [("busy", "mentor@x"), ("busy", "b@x")]


def test_buffer_only_when_not_busy() -> None:
    buffered = replace(POLICY, buffer_minutes=5)
    mentor = person("mentor@x", busy(at(1, 9, 15), 15))
    # 09:00-09:15: the meeting starts as the slot ends, but within the 5 min buffer.
    assert rules(at(1, 9), mentor=mentor, policy=buffered) == [("buffer_minutes", "mentor@x")]
    # 09:15: busy itself; the buffer rule is not repeated.
    assert rules(at(1, 9, 15), mentor=mentor, policy=buffered) == [("busy", "mentor@x")]
    # 09:35 would be off-grid; 09:45: [09:40, 10:05) is clear of 09:15-09:30.
    assert rules(at(1, 9, 45), mentor=mentor, policy=buffered) == []
    # a mentee's meeting next to the slot is fine
    mentee = person("mentee@x", busy(at(1, 9, 15), 15))
    assert rules(at(1, 9), mentees=[mentee], policy=buffered) == []


def test_day_window_and_working_hours_name_the_attendee() -> None:
    # 12:00Z: outside both people's 09-12 working hours, inside their 08-18 day windows.
    assert rules(at(1, 12)) == [("working_hours", "mentor@x"), ("working_hours", "mentee@x")]
    # 07:00Z: outside working hours and day windows.
    assert rules(at(1, 7)) == [
        ("day_window", "mentor@x"),
        ("day_window", "mentee@x"),
        ("working_hours", "mentor@x"),
        ("working_hours", "mentee@x"),
    ]
    # Los Angeles mentee (PDT): 09:00Z = 02:00 PDT.
    la = person("la@x", zone=LA)
    assert rules(at(1, 9), mentees=[la]) == [("day_window", "la@x"), ("working_hours", "la@x")]
    # working hours not respected: only the day windows count
    relaxed = replace(POLICY, respect_working_hours=False)
    assert rules(at(1, 12), policy=relaxed) == []
    assert rules(at(6, 12), policy=relaxed) == []  # a Saturday


def test_slot_crossing_the_end_of_the_window() -> None:
    # 11:45 for 30 minutes runs to 12:15, past the 12:00 end of working hours.
    assert rules(at(1, 11, 45), minutes=30) == [("working_hours", "mentor@x"), ("working_hours", "mentee@x")]


def test_no_meeting_day_is_the_mentors_local_weekday() -> None:
    # Los Angeles mentor with working hours 00:00-00:00 (whole day) and day window 00:00-23:59:
    # Mon 06-01 02:00Z is still Sunday 19:00 PDT -> a "sunday" no-meeting day applies, "monday" does not.
    mentor = Attendee("mentor@x", LA, WorkingHours(frozenset(range(7)), time(0), time(0), LA))
    policy = replace(POLICY, day_start=time(0), day_end=time(23, 59), respect_working_hours=True)
    on_sunday = replace(policy, no_meeting_days=("sunday",))
    on_monday = replace(policy, no_meeting_days=("monday",))
    assert rules(at(1, 2), mentor=mentor, mentees=[], policy=on_sunday) == [("no_meeting_days", "mentor@x")]
    assert rules(at(1, 2), mentor=mentor, mentees=[], policy=on_monday) == []


def session(start: datetime) -> CalendarItem:
    return busy(start, 15, categories=(MENTORING_CATEGORY,))


def test_caps_report_each_cap_broken() -> None:
    # Sessions (at 08:00, outside the slot) on Mon 06-01 x2 and Tue 06-02 x1, caps day 2, week 3, month 3:
    # a Monday slot breaks all three; a Wednesday slot breaks week and month; Monday next week only month.
    mentor = person("mentor@x", session(at(1, 8)), session(at(1, 8, 15)), session(at(2, 8)))
    policy = replace(POLICY, max_sessions_per_day=2, max_sessions_per_week=3, max_sessions_per_month=3)
    assert rules(at(1, 9), mentor=mentor, policy=policy) == [
        ("max_sessions_per_day", "mentor@x"),
        ("max_sessions_per_week", "mentor@x"),
        ("max_sessions_per_month", "mentor@x"),
    ]
    assert rules(at(3, 9), mentor=mentor, policy=policy) == [
        ("max_sessions_per_week", "mentor@x"),
        ("max_sessions_per_month", "mentor@x"),
    ]
    assert rules(at(8, 9), mentor=mentor, policy=policy) == [("max_sessions_per_month", "mentor@x")]
    found = check_slot(start=at(1, 9), minutes=15, mentor=mentor, mentees=[], policy=policy, now=NOW)
    assert "already has 2 session(s) on 2026-06-01 (cap 2)" in found[0].message


def test_everything_at_once_comes_in_rule_order() -> None:
    # Saturday 06-06 07:07, 25 min, with the mentor busy and a "saturday" no-meeting day, now 07:00:
    mentor = person("mentor@x", busy(at(6, 7), 60))
    policy = replace(POLICY, no_meeting_days=("saturday",), max_sessions_per_day=0)
    assert rules(at(6, 7, 7), minutes=25, mentor=mentor, mentees=[], policy=policy, now=at(6, 7)) == [
        ("allowed_session_minutes", None),
        ("slot_step_minutes", None),
        ("min_notice_minutes", None),
        ("busy", "mentor@x"),
        ("day_window", "mentor@x"),
        ("working_hours", "mentor@x"),
        ("no_meeting_days", "mentor@x"),
        ("max_sessions_per_day", "mentor@x"),
    ]


def test_naive_datetimes_are_input_errors() -> None:
    with pytest.raises(InputError) as caught:
        check_slot(
            start=datetime(2026, 6, 1, 9),  # noqa: DTZ001 - the point of the test
            minutes=15,
            mentor=person("mentor@x"),
            mentees=[],
            policy=POLICY,
            now=NOW,
        )
    assert caught.value.field == "start"


def test_start_in_another_zone_is_the_same_instant() -> None:
    # 11:00 CEST = 09:00Z.
    assert rules(datetime(2026, 6, 1, 11, tzinfo=ZoneInfo("Europe/Berlin"))) == []


# --- cap_window ---------------------------------------------------------------------------------------


def test_cap_window_for_the_example_tenant() -> None:
    # now 2026-11-30T00:00Z = Sun 11-29 16:00 PST. Start: min(ISO week Mon 11-23, month 11-01) = 11-01
    # 00:00 PDT (DST ends later that night) = 07:00Z. End: now + 14 d = Sun 12-13 16:00 PST; its week
    # ends Mon 12-14 00:00 PST, its month 2027-01-01 00:00 PST = 08:00Z -> the later one.
    start, end = cap_window(now=datetime(2026, 11, 30, tzinfo=UTC), policy=Policy(), mentor_tz=LA)
    assert start == datetime(2026, 11, 1, 7, tzinfo=UTC)
    assert end == datetime(2027, 1, 1, 8, tzinfo=UTC)


def test_cap_window_when_the_week_runs_into_the_next_month() -> None:
    # UTC mentor, now Sat 06-20, horizon 10 -> Tue 06-30: week ends Mon 07-06, month Wed 07-01.
    # Start: week of 06-20 starts Mon 06-15, month 06-01 -> 06-01.
    policy = Policy(horizon_days=10)
    start, end = cap_window(now=datetime(2026, 6, 20, 12, tzinfo=UTC), policy=policy, mentor_tz=UTC)
    assert (start, end) == (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 6, tzinfo=UTC))


def test_cap_window_when_the_week_starts_in_the_previous_month() -> None:
    # now Wed 2026-07-01: week from Mon 06-29, month from 07-01 -> 06-29. Horizon 14 -> 07-15: week ends
    # Mon 07-20, month 08-01 -> 08-01.
    start, end = cap_window(now=datetime(2026, 7, 1, 12, tzinfo=UTC), policy=Policy(), mentor_tz=UTC)
    assert (start, end) == (datetime(2026, 6, 29, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))


def test_cap_window_in_december_rolls_the_year() -> None:
    # now 2026-12-20, horizon 14 -> 2027-01-03 (a Sunday): week ends Mon 2027-01-04, month 2027-02-01.
    start, end = cap_window(now=datetime(2026, 12, 20, tzinfo=UTC), policy=Policy(), mentor_tz=UTC)
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))


# --- caps_broken / cap_span (the booking's race check counts with these) --------------------------------


def test_caps_count_the_mentors_local_day_not_the_utc_one() -> None:
    # Wed 2026-11-25 in Los Angeles (PST, -8): 08:00, 12:00 and 23:30 local; the last is Thu 07:30Z.
    others = [
        datetime(2026, 11, 25, 16, tzinfo=UTC),
        datetime(2026, 11, 25, 20, tzinfo=UTC),
        datetime(2026, 11, 26, 7, 30, tzinfo=UTC),
    ]
    start = datetime(2026, 11, 25, 17, tzinfo=UTC)  # Wed 09:00 PST: a fourth that day, over the cap of 3
    assert caps_broken(others, start=start, mentor_tz=LA, policy=Policy()) == [(Rule.MAX_SESSIONS_PER_DAY, 3, 3)]
    # In UTC the same start's day (11-25) holds two of them: no cap broken.
    assert caps_broken(others, start=start, mentor_tz=UTC, policy=Policy()) == []


def test_caps_count_the_iso_week_and_the_month() -> None:
    monday_to_friday = [datetime(2026, 6, day, 10, tzinfo=UTC) for day in range(1, 6)]  # ISO week 23
    last_sunday = datetime(2026, 5, 31, 10, tzinfo=UTC)  # week 22 and May: counts for neither
    saturday = datetime(2026, 6, 6, 10, tzinfo=UTC)
    found = caps_broken([*monday_to_friday, last_sunday], start=saturday, mentor_tz=UTC, policy=Policy())
    assert found == [(Rule.MAX_SESSIONS_PER_WEEK, 5, 5)]
    month_full = replace(Policy(), max_sessions_per_week=100, max_sessions_per_month=5)
    found = caps_broken(monday_to_friday, start=saturday, mentor_tz=UTC, policy=month_full)
    assert found == [(Rule.MAX_SESSIONS_PER_MONTH, 5, 5)]


def test_cap_span_is_the_local_week_and_month_of_the_start() -> None:
    # Mon 2026-11-02 09:00 PST. Week Mon 11-02..11-09, month 11-01..12-01: from 11-01 00:00 PDT (07:00Z,
    # DST ended at 02:00 that day) to 12-01 00:00 PST (08:00Z).
    low, high = cap_span(datetime(2026, 11, 2, 17, tzinfo=UTC), mentor_tz=LA)
    assert (low, high) == (datetime(2026, 11, 1, 7, tzinfo=UTC), datetime(2026, 12, 1, 8, tzinfo=UTC))


def test_a_start_with_fractions_of_a_second_is_shown_with_them() -> None:
    """10:00:00.5 used to read "start 10:00:00 ... is not on the 15-minute grid", which looks on the grid."""
    [fraction] = check_slot(
        start=at(1, 10) + timedelta(milliseconds=500), minutes=15, mentor=person("m@x"), mentees=[], policy=POLICY,
        now=NOW,
    )
    assert fraction.message == (
        "10:00:00.5 in the mentor's zone is not on the 15-minute grid (a start is a whole minute)"
    )
    [off] = check_slot(start=at(1, 10, 7), minutes=15, mentor=person("m@x"), mentees=[], policy=POLICY, now=NOW)
    assert off.message == "10:07:00 in the mentor's zone is not on the 15-minute grid"
