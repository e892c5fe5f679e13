"""find_slots, rule by rule, on UTC calendars (time zones have their own file).

Unless a test says otherwise: mentor and mentee are in UTC with working hours Mon-Fri 09:00-12:00 UTC,
the policy has no notice, no buffer and a one-day horizon, and `now` is Monday 2026-06-01 00:00 UTC, so
the search covers Monday only and the free answer for 15 minutes is 09:00, 09:15, ..., 11:45 (12 slots).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import pytest

from core.errors import InputError
from core.model import MENTORING_CATEGORY, Attendee, CalendarItem, WorkingHours
from core.slots import SlotSearch, find_slots
from policies.model import Policy

MON = date(2026, 6, 1)  # 2026-06-01 is a Monday
TUE, WED, THU, FRI, SAT, SUN = (MON + timedelta(days=n) for n in range(1, 7))
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0, zone: tzinfo = UTC) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def event(
    start: datetime,
    end: datetime,
    show_as: str = "busy",
    subject: str = "",
    categories: Iterable[str] = (),
    *,
    all_day: bool = False,
    cancelled: bool = False,
) -> CalendarItem:
    return CalendarItem(
        start=start,
        end=end,
        show_as=show_as,
        subject=subject,
        categories=tuple(categories),
        is_all_day=all_day,
        is_cancelled=cancelled,
    )


def person(
    upn: str,
    items: Iterable[CalendarItem] = (),
    *,
    zone: tzinfo = UTC,
    hours: tuple[int, int] | None = (9, 12),
    days: Iterable[int] = range(5),
) -> Attendee:
    working = None if hours is None else WorkingHours(frozenset(days), time(hours[0]), time(hours[1]), zone)
    return Attendee(upn=upn, tz=zone, working_hours=working, items=tuple(items))


def policy(**changes: object) -> Policy:
    return replace(Policy(min_notice_minutes=0, horizon_days=1, buffer_minutes=0), **changes)


def search(
    mentor: Attendee | None = None,
    mentees: Iterable[Attendee] | None = None,
    *,
    rules: Policy | None = None,
    now: datetime = NOW,
    minutes: int = 15,
) -> SlotSearch:
    return find_slots(
        mentor=mentor or person("mentor@x"),
        mentees=list(mentees) if mentees is not None else [person("mentee@x")],
        policy=rules or policy(),
        now=now,
        minutes=minutes,
    )


def clock(result: SlotSearch) -> list[str]:
    """Slot starts as "HH:MM" UTC (for single-day searches)."""
    return [f"{slot.start:%H:%M}" for slot in result.slots]


def quarter_hours(first: str, last: str) -> list[str]:
    h, m = map(int, first.split(":"))
    start = h * 60 + m
    h, m = map(int, last.split(":"))
    return [f"{t // 60:02d}:{t % 60:02d}" for t in range(start, h * 60 + m + 1, 15)]


FREE_MONDAY = quarter_hours("09:00", "11:45")


def without(*removed: str) -> list[str]:
    return [s for s in FREE_MONDAY if s not in removed]


# --- the free baseline and the search window -----------------------------------------------------------


def test_free_calendars_give_every_quarter_hour_of_the_common_working_hours() -> None:
    result = search()
    assert clock(result) == FREE_MONDAY
    assert all(slot.end - slot.start == timedelta(minutes=15) for slot in result.slots)
    assert all(slot.start.tzinfo == UTC and slot.why is None for slot in result.slots)
    assert result.reasons == ()
    assert result.searched_from == NOW and result.searched_to == NOW + timedelta(days=1)


def test_a_thirty_minute_session_must_end_by_the_end_of_working_hours() -> None:
    # 11:30-12:00 is the last 30-minute slot; 11:45-12:15 would run past 12:00.
    result = search(minutes=30)
    assert clock(result) == quarter_hours("09:00", "11:30")
    assert result.slots[-1].end == at(MON, 12)


def test_minutes_must_be_an_allowed_length() -> None:
    with pytest.raises(InputError) as caught:
        search(minutes=25)
    assert caught.value.field == "minutes"
    with pytest.raises(InputError):
        search(minutes=True)  # type: ignore[arg-type]
    assert clock(search(rules=policy(allowed_session_minutes=(15, 25), session_minutes=15), minutes=25))[-1] == (
        "11:30"
    )


def test_now_must_be_aware() -> None:
    with pytest.raises(InputError) as caught:
        search(now=datetime(2026, 6, 1))  # noqa: DTZ001 - the point of the test
    assert caught.value.field == "now"


def test_min_notice_rounds_up_to_the_grid() -> None:
    # now 08:50 + 30 min notice = 09:20, next quarter hour 09:30.
    result = search(rules=policy(min_notice_minutes=30), now=at(MON, 8, 50))
    assert clock(result) == quarter_hours("09:30", "11:45")
    assert result.searched_from == at(MON, 9, 20)


def test_a_start_exactly_at_now_plus_notice_is_offered() -> None:
    # now 08:30 + 30 = 09:00 exactly: 09:00 is allowed (start >= now + notice).
    assert clock(search(rules=policy(min_notice_minutes=30), now=at(MON, 8, 30)))[0] == "09:00"
    # now with seconds: 08:30:01 + 30 min = 09:00:01 -> 09:00 is too early.
    assert clock(search(rules=policy(min_notice_minutes=30), now=at(MON, 8, 30) + timedelta(seconds=1)))[0] == ("09:15")


def test_horizon_excludes_a_start_at_now_plus_horizon() -> None:
    # now Mon 09:00, horizon 1 day: the window ends Tue 09:00, so Tue 09:00 itself is not offered.
    result = search(now=at(MON, 9))
    assert [s.start for s in result.slots] == [at(MON, 9) + timedelta(minutes=15 * k) for k in range(12)]
    assert result.searched_to == at(TUE, 9)
    # one day more reaches all of Tuesday's slots and none of Wednesday's
    result = search(now=at(MON, 9), rules=policy(horizon_days=2))
    assert {s.start.date() for s in result.slots} == {MON, TUE}
    assert len(result.slots) == 24


def test_horizon_shorter_than_notice() -> None:
    result = search(rules=policy(min_notice_minutes=2 * 24 * 60))
    assert result.slots == ()
    assert result.reasons == ("horizon shorter than minimum notice",)


def test_slot_step_grid() -> None:
    # step 20 from midnight: 09:00, 09:20, 09:40, ... 11:40 (11:40-11:55 still ends by 12:00)
    result = search(rules=policy(slot_step_minutes=20))
    assert clock(result) == [f"{h:02d}:{m:02d}" for h in (9, 10, 11) for m in (0, 20, 40)]
    # step 45 from midnight: 00:00, 00:45, ..., 09:00, 09:45, 10:30, 11:15 (11:15-11:30 fits)
    assert clock(search(rules=policy(slot_step_minutes=45))) == ["09:00", "09:45", "10:30", "11:15"]


# --- what blocks -----------------------------------------------------------------------------------------


def test_overlap_is_strict_at_both_edges() -> None:
    # Mentee busy 10:00-10:30: 09:45-10:00 ends as it starts and 10:30 starts as it ends: both offered.
    mentee = person("mentee@x", [event(at(MON, 10), at(MON, 10, 30))])
    assert clock(search(mentees=[mentee])) == without("10:00", "10:15")


def test_busy_oof_and_unknown_block_free_and_working_elsewhere_do_not() -> None:
    for show_as, blocks in [
        ("busy", True),
        ("oof", True),
        ("unknown", True),
        ("somethingNew", True),  # unrecognised value: assume busy
        ("Busy", True),
        ("free", False),
        ("workingElsewhere", False),
        ("workingelsewhere", False),
    ]:
        mentee = person("mentee@x", [event(at(MON, 10), at(MON, 10, 30), show_as)])
        expected = without("10:00", "10:15") if blocks else FREE_MONDAY
        assert clock(search(mentees=[mentee])) == expected, show_as


@pytest.mark.parametrize("tentative_is_busy", [True, False])
def test_tentative_follows_the_policy(tentative_is_busy: bool) -> None:
    # Mentee tentative 10:00-11:00 blocks 10:00, 10:15, 10:30, 10:45 only when tentative_is_busy.
    mentee = person("mentee@x", [event(at(MON, 10), at(MON, 11), "tentative")])
    mentor = person("mentor@x", [event(at(MON, 11), at(MON, 11, 15), "tentative")])
    expected = without("10:00", "10:15", "10:30", "10:45", "11:00") if tentative_is_busy else FREE_MONDAY
    assert clock(search(mentor, [mentee], rules=policy(tentative_is_busy=tentative_is_busy))) == expected


def test_cancelled_events_never_block() -> None:
    mentee = person("mentee@x", [event(at(MON, 9), at(MON, 12), "busy", cancelled=True)])
    mentor = person("mentor@x", [event(at(MON, 9), at(MON, 12), "oof", "Focus time", cancelled=True)])
    assert clock(search(mentor, [mentee])) == FREE_MONDAY


def test_an_event_ending_before_it_starts_never_blocks() -> None:
    mentee = person("mentee@x", [event(at(MON, 10, 30), at(MON, 10, 30)), event(at(MON, 11), at(MON, 10))])
    assert clock(search(mentees=[mentee])) == FREE_MONDAY


def test_mentor_focus_holds_block_even_when_free_mentee_ones_do_not() -> None:
    holds = [
        event(at(MON, 9), at(MON, 9, 30), "free", "Focus time: roadmap"),  # subject starts with a marker
        event(at(MON, 10), at(MON, 10, 30), "free", "Writing", ["Deep Work"]),  # category equals one
        event(at(MON, 11), at(MON, 11, 15), "free", "  focus"),  # case and spaces ignored
        event(at(MON, 11, 30), at(MON, 11, 45), "free", "Refocus the team"),  # only *starts with* counts
    ]
    mentor_result = search(person("mentor@x", holds), [person("mentee@x")])
    assert clock(mentor_result) == without("09:00", "09:15", "10:00", "10:15", "11:00")
    # The same items on the mentee's calendar are free and block nothing.
    assert clock(search(person("mentor@x"), [person("mentee@x", holds)])) == FREE_MONDAY


def test_mentee_focus_hold_blocks_as_its_show_as_says() -> None:
    mentee = person("mentee@x", [event(at(MON, 9), at(MON, 10), "busy", "Focus time")])
    assert clock(search(mentees=[mentee])) == quarter_hours("10:00", "11:45")


def test_custom_focus_markers() -> None:
    mentor = person("mentor@x", [event(at(MON, 9), at(MON, 10), "free", "Heads-down: taxes")])
    assert clock(search(mentor, rules=policy(focus_markers=("Heads-down",)))) == quarter_hours("10:00", "11:45")
    assert clock(search(mentor, rules=policy(focus_markers=()))) == FREE_MONDAY


def test_all_day_events_block_only_if_their_show_as_blocks() -> None:
    # All-day items arrive as Monday 00:00 to Tuesday 00:00 (UTC calendars).
    day = (at(MON, 0), at(TUE, 0))
    busy_day = person("mentee@x", [event(*day, "busy", "Offsite", all_day=True)])
    free_day = person("mentee@x", [event(*day, "free", "Public holiday in Denmark", all_day=True)])
    oof_day = person("mentee@x", [event(*day, "oof", "Vacation", all_day=True)])
    assert clock(search(mentees=[busy_day])) == []
    assert clock(search(mentees=[oof_day])) == []
    assert clock(search(mentees=[free_day])) == FREE_MONDAY
    # policy.md rule 4: an all-day "Focus time" on the mentor's calendar is a focus day, whatever its showAs.
    focus_day = person("mentor@x", [event(*day, "free", "Focus day", all_day=True)])
    assert clock(search(focus_day)) == []
    # The same day on a mentee's calendar blocks as its showAs (free) says.
    assert clock(search(mentees=[person("mentee@x", [event(*day, "free", "Focus day", all_day=True)])])) == FREE_MONDAY


def test_an_event_crossing_midnight_blocks_the_next_morning() -> None:
    # Sunday 22:00 to Monday 09:30: Monday starts at 09:30.
    mentee = person("mentee@x", [event(at(SUN - timedelta(days=7), 22), at(MON, 9, 30))])
    assert clock(search(mentees=[mentee])) == quarter_hours("09:30", "11:45")


def test_each_occurrence_of_a_recurring_event_blocks_like_a_single_event() -> None:
    # Daily stand-up 10:00-10:15 Mon-Wed arrives as three items; search Mon-Wed (3 days).
    standups = [event(at(day, 10), at(day, 10, 15), "busy", "Stand-up") for day in (MON, TUE, WED)]
    result = search(person("mentor@x", standups), rules=policy(horizon_days=3))
    for day in (MON, TUE, WED):
        starts = [f"{s.start:%H:%M}" for s in result.slots if s.start.date() == day]
        assert starts == without("10:00"), day


def test_sub_second_event_end_still_blocks_the_slot_it_reaches_into() -> None:
    mentee = person("mentee@x", [event(at(MON, 9), at(MON, 10) + timedelta(microseconds=1))])
    assert clock(search(mentees=[mentee]))[0] == "10:15"


# --- buffers -------------------------------------------------------------------------------------------


def test_mentor_buffer_around_meetings() -> None:
    # Mentor busy 10:00-10:30, buffer 5: [start-5, end+5) must be free.
    # 09:45-10:00 -> [09:40, 10:05) overlaps; 09:30 -> [09:25, 09:50) is fine;
    # 10:30 -> [10:25, 10:50) overlaps; 10:45 -> [10:40, 11:05) is fine.
    mentor = person("mentor@x", [event(at(MON, 10), at(MON, 10, 30))])
    assert clock(search(mentor, rules=policy(buffer_minutes=5))) == without("09:45", "10:00", "10:15", "10:30")


def test_buffer_overlap_is_strict_too() -> None:
    # Buffer 15: 09:30-09:45 -> [09:15, 10:00) touches 10:00: fine. 10:45 -> [10:30, 11:15) touches 10:30: fine.
    mentor = person("mentor@x", [event(at(MON, 10), at(MON, 10, 30))])
    assert clock(search(mentor, rules=policy(buffer_minutes=15))) == without("09:45", "10:00", "10:15", "10:30")
    # Buffer 16 reaches into both: 09:30 and 10:45 go too.
    assert clock(search(mentor, rules=policy(buffer_minutes=16))) == without(
        "09:30", "09:45", "10:00", "10:15", "10:30", "10:45"
    )


def test_mentees_get_no_buffer() -> None:
    mentee = person("mentee@x", [event(at(MON, 10), at(MON, 10, 30))])
    assert clock(search(mentees=[mentee], rules=policy(buffer_minutes=5))) == without("10:00", "10:15")


def test_buffer_includes_mentor_focus_holds_and_ignores_free_items() -> None:
    mentor = person(
        "mentor@x",
        [
            event(at(MON, 9), at(MON, 9, 30), "free", "Focus time"),  # blocks, with buffer: 09:30 goes
            event(at(MON, 11), at(MON, 11, 30), "free", "Lunch walk"),  # free, no buffer either
        ],
    )
    assert clock(search(mentor, rules=policy(buffer_minutes=5))) == without("09:00", "09:15", "09:30")


# --- day window and working hours ------------------------------------------------------------------------


def test_missing_working_hours_default_to_monday_to_friday_eight_to_five_utc() -> None:
    # Both without working hours, mailbox zone UTC: 08:00-17:00 -> 08:00 ... 16:45 (36 slots).
    nobody = [person("mentee@x", hours=None)]
    result = search(person("mentor@x", hours=None), nobody)
    assert clock(result) == quarter_hours("08:00", "16:45")
    # and nothing on a Saturday
    assert search(person("mentor@x", hours=None), nobody, now=at(SAT, 0)).slots == ()


def test_day_window_cuts_wider_working_hours() -> None:
    # Working hours 06:00-20:00 but day window 08:00-18:00: 08:00 ... 17:45.
    wide = {"hours": (6, 20)}
    result = search(person("mentor@x", **wide), [person("mentee@x", **wide)])  # type: ignore[arg-type]
    assert clock(result) == quarter_hours("08:00", "17:45")
    narrow = policy(day_start=time(9, 30), day_end=time(10, 30))
    result = search(person("mentor@x", **wide), [person("mentee@x", **wide)], rules=narrow)  # type: ignore[arg-type]
    assert clock(result) == ["09:30", "09:45", "10:00", "10:15"]


def test_ignoring_working_hours_keeps_the_day_window_every_day() -> None:
    # respect_working_hours false: 08:00-18:00 on any day, Saturday included.
    rules = policy(respect_working_hours=False)
    assert clock(search(rules=rules)) == quarter_hours("08:00", "17:45")
    assert clock(search(rules=rules, now=at(SAT, 0))) == quarter_hours("08:00", "17:45")


def test_common_hours_of_several_mentees() -> None:
    # mentor 09-12, mentee A 10-17, mentee B 08-11 -> 10:00-11:00 -> 10:00 ... 10:45
    mentees = [person("a@x", hours=(10, 17)), person("b@x", hours=(8, 11))]
    assert clock(search(mentees=mentees)) == ["10:00", "10:15", "10:30", "10:45"]


def test_overnight_and_whole_day_working_hours() -> None:
    # Mentee working 22:00-06:00 (overnight) Mon-Fri with day window 00:00-23:59: on Monday the mentee
    # works 00:00-06:00 only if Sunday were a working day (it is not) and 22:00-23:59 from Monday's shift.
    rules = policy(
        day_start=time(0, 0),
        day_end=time(23, 59),
        slot_step_minutes=60,
        allowed_session_minutes=(60,),
        session_minutes=60,
    )
    mentor = person("mentor@x", hours=(0, 0), days=range(7))  # start == end: the whole day, every day
    night = person("mentee@x", hours=(22, 6))
    # 22:00-23:00 fits; 23:00-24:00 leaves the mentor's and the mentee's local day (day_end 23:59).
    assert clock(search(mentor, [night], rules=rules, minutes=60)) == ["22:00"]
    # Tuesday: 00:00-06:00 belongs to Monday's shift -> 00:00 ... 05:00, then 22:00
    result = search(mentor, [night], rules=rules, minutes=60, now=at(TUE, 0))
    assert clock(result) == ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00", "22:00"]


def test_whole_day_working_hours_merge_across_midnight_but_the_day_window_does_not() -> None:
    # 24h working hours every day and day window 00:00-23:59: a slot may not cross local midnight.
    rules = policy(
        day_start=time(0, 0),
        day_end=time(23, 59),
        slot_step_minutes=60,
        allowed_session_minutes=(60,),
        session_minutes=60,
    )
    everyone = [person("mentee@x", hours=(0, 0), days=range(7))]
    result = search(person("mentor@x", hours=(0, 0), days=range(7)), everyone, rules=rules, minutes=60)
    assert clock(result) == [f"{h:02d}:00" for h in range(23)]  # 23:00-24:00 crosses midnight


# --- no-meeting days and caps ------------------------------------------------------------------------------


def session(
    day: date,
    hour: int,
    minute: int = 0,
    *,
    cancelled: bool = False,
    show_as: str = "busy",
    category: str = MENTORING_CATEGORY,
) -> CalendarItem:
    """A micromentor session at 08:00-ish, outside the 09-12 working hours so that it blocks no slot."""
    start = at(day, hour, minute)
    return event(start, start + timedelta(minutes=15), show_as, "Micro mentoring", [category], cancelled=cancelled)


def test_no_meeting_days_are_the_mentors_weekdays() -> None:
    rules = policy(no_meeting_days=("monday",), horizon_days=2)
    result = search(rules=rules)
    assert {s.start.date() for s in result.slots} == {TUE}
    # a mentee's no-meeting day is not a thing: the policy is the mentor's
    assert search(rules=policy(no_meeting_days=("tuesday",))).slots != ()


def test_daily_cap() -> None:
    # cap 3 per day: three sessions on Monday (07:00-07:45, outside the working hours) close Monday only.
    three = [session(MON, 7), session(MON, 7, 15), session(MON, 7, 30)]
    result = search(person("mentor@x", three), rules=policy(horizon_days=2))
    assert {s.start.date() for s in result.slots} == {TUE}
    # two sessions leave room for one more
    assert search(person("mentor@x", three[:2])).slots != ()


def test_what_counts_as_a_session() -> None:
    # cap 1 per day; none of these count: cancelled, another category. Shown as free still counts;
    # the category matches case-insensitively.
    not_counted = [session(MON, 7, cancelled=True), session(MON, 7, 15, category="Mentoring")]
    assert clock(search(person("mentor@x", not_counted), rules=policy(max_sessions_per_day=1))) == FREE_MONDAY
    for counted in (session(MON, 7, show_as="free"), session(MON, 7, category="micro-MENTORING")):
        assert search(person("mentor@x", [counted]), rules=policy(max_sessions_per_day=1)).slots == ()


def test_a_mentee_s_sessions_do_not_count() -> None:
    mentee = person("mentee@x", [session(MON, 7)])
    assert clock(search(mentees=[mentee], rules=policy(max_sessions_per_day=1))) == FREE_MONDAY


def test_weekly_cap_closes_the_rest_of_the_iso_week() -> None:
    # cap 2 per week; sessions Mon and Tue -> Mon..Sun closed; search 8 days Mon..next Mon -> next Mon only.
    mentor = person("mentor@x", [session(MON, 7), session(TUE, 7)])
    result = search(mentor, rules=policy(max_sessions_per_week=2, horizon_days=8))
    assert {s.start.date() for s in result.slots} == {MON + timedelta(days=7)}
    # sessions of the previous week do not count (Sun 2026-05-31 is in ISO week 22, Mon in week 23)
    mentor = person("mentor@x", [session(SUN - timedelta(days=7), 7), session(SUN - timedelta(days=7), 8)])
    assert clock(search(mentor, rules=policy(max_sessions_per_week=2))) == FREE_MONDAY


def test_monthly_cap() -> None:
    # cap 2 per month, sessions on 2026-06-02 and 2026-06-03: every June day is closed, July is open.
    mentor = person("mentor@x", [session(TUE, 7), session(WED, 7)])
    result = search(mentor, rules=policy(max_sessions_per_month=2, horizon_days=31), now=at(date(2026, 6, 29), 0))
    days = sorted({s.start.date() for s in result.slots})
    assert days[0] == date(2026, 7, 1)  # Mon 29 and Tue 30 June are closed by the monthly cap
    assert date(2026, 6, 29) not in days and date(2026, 7, 2) in days


def test_a_week_spanning_two_months() -> None:
    # ISO week Mon 2026-06-29 .. Sun 2026-07-05.
    june29, june30, july1 = date(2026, 6, 29), date(2026, 6, 30), date(2026, 7, 1)
    now = at(june29, 0)
    # Monthly cap 2 with two June sessions: June 29/30 closed, July 1-3 open (July has none yet).
    mentor = person("mentor@x", [session(june29, 7), session(june30, 7)])
    result = search(mentor, rules=policy(max_sessions_per_month=2, horizon_days=5), now=now)
    assert sorted({s.start.date() for s in result.slots}) == [july1, date(2026, 7, 2), date(2026, 7, 3)]
    # Weekly cap 3 with sessions June 29, June 30 and July 1: the whole week is closed, though July has one.
    mentor = person("mentor@x", [session(june29, 7), session(june30, 7), session(july1, 7)])
    result = search(mentor, rules=policy(max_sessions_per_week=3, horizon_days=7), now=now)
    assert result.slots == ()
    assert result.reasons == ("mentor weekly cap reached",)


def test_cap_zero_pauses_the_mentor() -> None:
    result = search(rules=policy(max_sessions_per_month=0))
    assert result.slots == () and result.reasons == ("mentor monthly cap reached",)


# --- reasons -------------------------------------------------------------------------------------------


def test_reason_no_overlap_of_working_hours() -> None:
    # mentor 09-12, mentee 13-17: nothing in common.
    result = search(mentees=[person("mentee@x", hours=(13, 17))])
    assert result.slots == () and result.reasons == ("no overlap of working hours",)


def test_reason_day_windows_when_working_hours_are_ignored() -> None:
    rules = policy(respect_working_hours=False, day_start=time(8), day_end=time(8, 10))
    result = search(rules=rules)
    assert result.reasons == ("no overlap of the day_start-day_end windows",)


def test_reason_weekly_cap() -> None:
    # cap 1 per week with a Monday session; search Mon..Fri (horizon 5 days).
    result = search(person("mentor@x", [session(MON, 7)]), rules=policy(max_sessions_per_week=1, horizon_days=5))
    assert result.slots == () and result.reasons == ("mentor weekly cap reached",)


def test_reason_daily_cap_on_every_searched_day() -> None:
    result = search(person("mentor@x", [session(MON, 7)]), rules=policy(max_sessions_per_day=1))
    assert result.reasons == ("mentor daily cap reached on every searched day",)


def test_reason_no_meeting_days() -> None:
    assert search(rules=policy(no_meeting_days=("monday",))).reasons == ("no-meeting days cover the window",)


def test_reasons_who_is_busy() -> None:
    mentor_busy = person("mentor@x", [event(at(MON, 9), at(MON, 10, 30))])
    mentee_busy = person("mentee@x", [event(at(MON, 10, 30), at(MON, 12))])
    everyone = search(mentor_busy, [mentee_busy])
    assert everyone.slots == () and everyone.reasons == ("everyone is busy",)
    assert search(person("mentor@x", [event(at(MON, 9), at(MON, 12))])).reasons == ("mentor is busy",)
    lonely = person("mentee@x", [event(at(MON, 9), at(MON, 12))])
    assert search(mentees=[lonely, person("other@x")]).reasons == ("mentee@x is busy",)
    both = [person("a@x", [event(at(MON, 9), at(MON, 10))]), person("b@x", [event(at(MON, 10), at(MON, 12))])]
    assert search(mentees=both).reasons == ("mentees are busy",)


def test_reason_buffer() -> None:
    # Working hours 09:00-09:30: candidates 09:00 and 09:15. Mentor busy 08:55-09:00 and 09:30-09:35:
    # neither overlaps a candidate but both fall inside the 5-minute buffer.
    mentor = person(
        "mentor@x", [event(at(MON, 8, 55), at(MON, 9)), event(at(MON, 9, 30), at(MON, 9, 35))], hours=(9, 10)
    )
    rules = policy(buffer_minutes=5, day_end=time(9, 30))
    result = search(mentor, rules=rules)
    assert result.slots == () and result.reasons == ("mentor needs 5 free minutes around other meetings",)


def test_reasons_are_ranked_by_how_many_candidates_each_rule_removed() -> None:
    # Mon..Wed (3 days x 12 candidates). Monday is a no-meeting day (12), Tue and Wed are fully busy for
    # the mentee (24): busy first, then no-meeting days.
    mentee = person("mentee@x", [event(at(TUE, 0), at(THU, 0))])
    result = search(mentees=[mentee], rules=policy(no_meeting_days=("monday",), horizon_days=3))
    assert result.reasons == ("mentee@x is busy", "no-meeting days")


def test_reasons_are_empty_when_there_are_slots() -> None:
    assert search().reasons == ()


_SHOW_AS = ("busy", "oof", "tentative", "free", "workingElsewhere", "unknown", "Tentative")
_MARKED = {"none": ("Planning", ()), "subject": ("Deep work: API", ()), "category": ("Writing", ("Focus",))}


@pytest.mark.parametrize("show_as", _SHOW_AS)
@pytest.mark.parametrize("tentative_is_busy", [True, False])
@pytest.mark.parametrize("all_day", [True, False])
@pytest.mark.parametrize("marked", sorted(_MARKED))
@pytest.mark.parametrize("owner", ["mentor", "mentee"])
def test_blocking_over_the_show_as_tentative_all_day_and_marker_matrix(
    show_as: str, tentative_is_busy: bool, all_day: bool, marked: str, owner: str
) -> None:
    # policy.md: busy/oof block; tentative iff tentative_is_busy; free/workingElsewhere never; rule 4:
    # the mentor's focus holds block whatever their showAs and tentative_is_busy, all-day ones included.
    subject, categories = _MARKED[marked]
    span = (at(MON, 0), at(TUE, 0)) if all_day else (at(MON, 10), at(MON, 11))
    item = event(*span, show_as, subject, categories, all_day=all_day)
    folded = show_as.casefold()
    by_show_as = folded not in ("free", "workingelsewhere") and (folded != "tentative" or tentative_is_busy)
    blocks = by_show_as or (owner == "mentor" and marked != "none")
    rules = policy(tentative_is_busy=tentative_is_busy)
    if owner == "mentor":
        result = search(person("mentor@x", [item]), rules=rules)
    else:
        result = search(mentees=[person("mentee@x", [item])], rules=rules)
    free = clock(result) == FREE_MONDAY
    assert free is not blocks
