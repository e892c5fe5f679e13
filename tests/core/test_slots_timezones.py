"""find_slots across time zones: DST on both sides of the Atlantic, half- and quarter-hour offsets,
Sunday-start weeks, working hours in another zone than the mailbox, Graph's custom time zone.

Each expectation is worked out by hand in the comment above it (all slot times are UTC unless marked).
2026 changes: US 03-08 and 11-01, EU 03-29 and 10-25 (between them New York - London is 4h, not 5h).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.model import Attendee, WorkingHours
from core.slots import SlotSearch, find_slots
from graph.timezones import CustomTimeZone
from policies.model import Policy

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
AUCKLAND = ZoneInfo("Pacific/Auckland")
WEEKDAYS = range(5)
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "graph-examples" / "getSchedule-example.json"


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def person(
    upn: str,
    zone: tzinfo,
    hours: tuple[time, time] | None,
    days: Iterable[int] = WEEKDAYS,
    hours_zone: tzinfo | None = None,
) -> Attendee:
    working = None if hours is None else WorkingHours(frozenset(days), hours[0], hours[1], hours_zone or zone)
    return Attendee(upn=upn, tz=zone, working_hours=working)


def rules(**changes: Any) -> Policy:
    return replace(Policy(min_notice_minutes=0, buffer_minutes=0), **changes)


def run(mentor: Attendee, mentees: list[Attendee], policy: Policy, now: str, minutes: int) -> SlotSearch:
    return find_slots(mentor=mentor, mentees=mentees, policy=policy, now=z(now), minutes=minutes)


def on(result: SlotSearch, day: date) -> list[str]:
    """Starts (HH:MM UTC) of the slots starting on that UTC date."""
    return [f"{s.start:%H:%M}" for s in result.slots if s.start.date() == day]


def every(first: str, last: str, step: int) -> list[str]:
    h, m = map(int, first.split(":"))
    lo = h * 60 + m
    h, m = map(int, last.split(":"))
    return [f"{t // 60:02d}:{t % 60:02d}" for t in range(lo, h * 60 + m + 1, step)]


NINE_TO_FIVE = (time(9), time(17))


# --- London <-> New York around the DST changes ------------------------------------------------------------


def test_spring_us_changes_three_weeks_before_europe() -> None:
    # London mentor 09-17 London, New York mentee 09-17 New York, day windows 08-18 each, 30 min, step 30.
    # Fri 03-06: London GMT 09:00-17:00Z; NY EST 14:00-22:00Z (day window 13:00-23:00Z) -> 14:00-17:00Z.
    # Mon 03-09: NY now EDT 13:00-21:00Z, London still GMT 09:00-17:00Z -> 13:00-17:00Z (4h overlap).
    # Sat/Sun: nobody works.
    mentor = person("mentor@x", LONDON, NINE_TO_FIVE)
    mentee = person("mentee@x", NEW_YORK, NINE_TO_FIVE)
    result = run(mentor, [mentee], rules(slot_step_minutes=30), "2026-03-06T00:00:00Z", 30)
    assert on(result, date(2026, 3, 6)) == every("14:00", "16:30", 30)
    assert on(result, date(2026, 3, 7)) == on(result, date(2026, 3, 8)) == []
    assert on(result, date(2026, 3, 9)) == every("13:00", "16:30", 30)
    assert on(result, date(2026, 3, 19)) == every("13:00", "16:30", 30)

    # Fri 03-27: still GMT/EDT -> 13:00-17:00Z. Mon 03-30: London BST 08:00-16:00Z -> 13:00-16:00Z.
    result = run(mentor, [mentee], rules(slot_step_minutes=30, horizon_days=4), "2026-03-27T00:00:00Z", 30)
    assert on(result, date(2026, 3, 27)) == every("13:00", "16:30", 30)
    assert on(result, date(2026, 3, 30)) == every("13:00", "15:30", 30)


def test_autumn_europe_changes_a_week_before_the_us() -> None:
    # Fri 10-23: London BST 08:00-16:00Z, NY EDT 13:00-21:00Z -> 13:00-16:00Z.
    # Mon 10-26: London GMT 09:00-17:00Z, NY EDT -> 13:00-17:00Z.
    # Mon 11-02: NY EST 14:00-22:00Z -> 14:00-17:00Z.
    mentor = person("mentor@x", LONDON, NINE_TO_FIVE)
    mentee = person("mentee@x", NEW_YORK, NINE_TO_FIVE)
    result = run(mentor, [mentee], rules(slot_step_minutes=30, horizon_days=11), "2026-10-23T00:00:00Z", 30)
    assert on(result, date(2026, 10, 23)) == every("13:00", "15:30", 30)
    assert on(result, date(2026, 10, 26)) == every("13:00", "16:30", 30)
    assert on(result, date(2026, 10, 30)) == every("13:00", "16:30", 30)
    assert on(result, date(2026, 11, 2)) == every("14:00", "16:30", 30)


def test_day_window_follows_the_local_clock_across_the_change() -> None:
    # Los Angeles mentor alone, working hours ignored, day window 08:00-18:00 local, 15 min, step 15.
    # Sat 03-07 PST: 16:00Z-02:00Z -> first 16:00Z, last 01:45Z (03-08). Sun 03-08 PDT: 15:00Z-01:00Z.
    mentor = person("mentor@x", LOS_ANGELES, None)
    result = run(mentor, [], rules(respect_working_hours=False, horizon_days=3), "2026-03-07T00:00:00Z", 15)
    starts = [s.start for s in result.slots]
    saturday = [s for s in starts if s.astimezone(LOS_ANGELES).date() == date(2026, 3, 7)]
    sunday = [s for s in starts if s.astimezone(LOS_ANGELES).date() == date(2026, 3, 8)]
    assert (saturday[0], saturday[-1], len(saturday)) == (z("2026-03-07T16:00Z"), z("2026-03-08T01:45Z"), 40)
    assert (sunday[0], sunday[-1], len(sunday)) == (z("2026-03-08T15:00Z"), z("2026-03-09T00:45Z"), 40)


# --- the step grid on DST change days ----------------------------------------------------------------------

WHOLE_DAY = {"respect_working_hours": False, "day_start": time(0, 0), "day_end": time(23, 59)}


def test_grid_skips_the_spring_gap_and_restarts_on_the_local_clock() -> None:
    # New York mentor alone, step 45 from local midnight, 30 min, day window 00:00-23:59.
    # Sun 03-08 local grid 00:00, 00:45, 01:30, [02:15 does not exist], 03:00, 03:45, ... 23:15 (31 starts):
    # 00:00 EST = 05:00Z, 00:45 = 05:45Z, 01:30 EST = 06:30Z (ends 07:00Z = 03:00 EDT), 03:00 EDT = 07:00Z,
    # 03:45 EDT = 07:45Z, ..., 23:15 EDT = 03:15Z (ends 23:45 local). Horizon: now 05:00Z + 1 day = 05:00Z
    # on 03-09 = 01:00 EDT, so Monday adds 00:00 EDT = 04:00Z and 00:45 EDT = 04:45Z. 33 slots.
    mentor = person("mentor@x", NEW_YORK, None)
    policy = rules(slot_step_minutes=45, horizon_days=1, **WHOLE_DAY)
    result = run(mentor, [], policy, "2026-03-08T05:00:00Z", 30)
    starts = [f"{s.start:%d %H:%M}" for s in result.slots]
    assert starts[:6] == ["08 05:00", "08 05:45", "08 06:30", "08 07:00", "08 07:45", "08 08:30"]
    assert starts[-3:] == ["09 03:15", "09 04:00", "09 04:45"]
    assert len(starts) == 33


def test_grid_offers_both_instants_of_a_repeated_fall_back_time() -> None:
    # Sun 11-01 in New York: 01:00-02:00 happens twice (EDT 05:00-06:00Z, then EST 06:00-07:00Z).
    # Step 45: 00:00 EDT = 04:00Z, 00:45 EDT = 04:45Z, 01:30 EDT = 05:30Z, 01:30 EST = 06:30Z,
    # 02:15 EST = 07:15Z, 03:00 EST = 08:00Z, ... 22:30 EST = 03:30Z; 23:15 EST = 04:15Z is at/after
    # now + 24h = 04:00Z. 31 local grid times, one of them twice: 32 slots.
    mentor = person("mentor@x", NEW_YORK, None)
    policy = rules(slot_step_minutes=45, horizon_days=1, **WHOLE_DAY)
    result = run(mentor, [], policy, "2026-11-01T04:00:00Z", 30)
    starts = [f"{s.start:%d %H:%M}" for s in result.slots]
    assert starts[:6] == ["01 04:00", "01 04:45", "01 05:30", "01 06:30", "01 07:15", "01 08:00"]
    assert starts[-1] == "02 03:30"
    assert len(starts) == 32


# --- half- and quarter-hour zones, Sunday-start weeks ------------------------------------------------------


def test_kolkata_mentor_grid_is_on_the_half_hour_in_utc() -> None:
    # Mentor Kolkata 10:00-19:00 IST = 04:30-13:30Z, day window 08-18 IST = 02:30-12:30Z.
    # Mentee UTC 09:00-17:00Z (day window 08-18Z). Common: 09:00-12:30Z.
    # Step 60 from IST midnight -> UTC hh:30: 09:30, 10:30, 11:30 (12:30 would start at the end).
    mentor = person("mentor@x", KOLKATA, (time(10), time(19)))
    mentee = person("mentee@x", UTC, NINE_TO_FIVE)
    result = run(mentor, [mentee], rules(slot_step_minutes=60, horizon_days=1), "2026-06-01T00:00:00Z", 30)
    assert on(result, date(2026, 6, 1)) == ["09:30", "10:30", "11:30"]


def test_kolkata_mentee_ends_the_common_window_on_the_half_hour() -> None:
    # Mentor UTC 09-17Z; mentee IST day window ends 18:00 IST = 12:30Z -> 09:00 ... 12:15 (14 slots).
    mentor = person("mentor@x", UTC, NINE_TO_FIVE)
    mentee = person("mentee@x", KOLKATA, (time(10), time(19)))
    result = run(mentor, [mentee], rules(horizon_days=1), "2026-06-01T00:00:00Z", 15)
    assert on(result, date(2026, 6, 1)) == every("09:00", "12:15", 15)


def test_kathmandu_mentor_with_a_sunday_to_thursday_week() -> None:
    # Mentor Kathmandu (+05:45) Sun-Thu 09:00-17:00 NPT = 03:15-11:15Z (day window 02:15-12:15Z).
    # Mentee UTC without working hours: Mon-Fri 08:00-17:00Z. Common 08:00-11:15Z.
    # Step 60 from NPT midnight -> UTC hh:15: 08:15, 09:15, 10:15 (10:15-10:45 fits).
    # Sun 05-31: the mentee does not work; Fri 06-05: the mentor does not; Mon-Thu: 3 each.
    sunday_week = [6, 0, 1, 2, 3]
    mentor = person("mentor@x", KATHMANDU, NINE_TO_FIVE, days=sunday_week)
    mentee = person("mentee@x", UTC, None)
    result = run(mentor, [mentee], rules(slot_step_minutes=60, horizon_days=7), "2026-05-31T00:00:00Z", 30)
    assert on(result, date(2026, 5, 31)) == []
    for day in range(1, 5):
        assert on(result, date(2026, 6, day)) == ["08:15", "09:15", "10:15"]
    assert on(result, date(2026, 6, 5)) == on(result, date(2026, 6, 6)) == []
    assert len(result.slots) == 12


def test_kathmandu_mentee_works_on_sunday() -> None:
    # Mentor UTC working every day 08-18Z, mentee Kathmandu Sun-Thu 09:00-17:00 NPT = 03:15-11:15Z.
    # Sunday 05-31: 08:00 ... 10:45 for 30 minutes (10:45-11:15 fits). Friday 06-05: nothing.
    mentor = person("mentor@x", UTC, (time(8), time(18)), days=range(7))
    mentee = person("mentee@x", KATHMANDU, NINE_TO_FIVE, days=[6, 0, 1, 2, 3])
    result = run(mentor, [mentee], rules(horizon_days=7), "2026-05-31T00:00:00Z", 30)
    assert on(result, date(2026, 5, 31)) == every("08:00", "10:45", 15)
    assert on(result, date(2026, 6, 5)) == []


# --- working hours in another zone ---------------------------------------------------------------------


def test_working_hours_in_another_zone_than_the_mailbox() -> None:
    # Mentee mailbox Berlin (day window 08-18 CEST = 06:00-16:00Z), working hours 09-17 New York
    # (EDT: 13:00-21:00Z). Mentor UTC 06-20Z, day window 08-18Z. Common: 13:00-16:00Z.
    mentor = person("mentor@x", UTC, (time(6), time(20)))
    mentee = person("mentee@x", BERLIN, NINE_TO_FIVE, hours_zone=NEW_YORK)
    result = run(mentor, [mentee], rules(slot_step_minutes=30, horizon_days=1), "2026-06-01T00:00:00Z", 30)
    assert on(result, date(2026, 6, 1)) == every("13:00", "15:30", 30)


def test_working_days_are_weekdays_of_the_working_hours_zone() -> None:
    # Mentee mailbox UTC, working hours Mon-Fri 09-17 Auckland (NZST +12): NZ Monday 09:00 is Sunday
    # 21:00Z; NZ Friday ends Friday 05:00Z; NZ Saturday 09:00 = Friday 21:00Z is not a working day.
    # Mentor UTC working the whole day (start == end) every day; day window 00:00-23:59; 60 min, step 60.
    # Sun 05-31: 21:00, 22:00 (23:00-24:00 leaves the local day). Mon-Thu: 00:00-04:00 and 21:00, 22:00.
    # Fri 06-05: 00:00-04:00 only. Sat 06-06: nothing.
    mentor = person("mentor@x", UTC, (time(0), time(0)), days=range(7))
    mentee = person("mentee@x", UTC, NINE_TO_FIVE, hours_zone=AUCKLAND)
    policy = rules(slot_step_minutes=60, allowed_session_minutes=(60,), session_minutes=60, horizon_days=7, **WHOLE_DAY)
    policy = replace(policy, respect_working_hours=True)
    result = run(mentor, [mentee], policy, "2026-05-31T00:00:00Z", 60)
    weekday = ["00:00", "01:00", "02:00", "03:00", "04:00", "21:00", "22:00"]
    assert on(result, date(2026, 5, 31)) == ["21:00", "22:00"]
    for day in range(1, 5):
        assert on(result, date(2026, 6, day)) == weekday
    assert on(result, date(2026, 6, 5)) == weekday[:5]
    assert on(result, date(2026, 6, 6)) == []


def _graph_custom_zone() -> CustomTimeZone:
    if EXAMPLE.exists():
        example = json.loads(EXAMPLE.read_text())
        value = example["responseBody"]["value"][1]["workingHours"]["timeZone"]
    else:  # the same block as the Graph doc example
        value = {
            "@odata.type": "#microsoft.graph.customTimeZone",
            "bias": 480,
            "name": "Customized Time Zone",
            "standardOffset": {"time": "02:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11},
            "daylightOffset": {
                "daylightBias": -60,
                "time": "02:00:00.0000000",
                "dayOccurrence": 2,
                "dayOfWeek": "sunday",
                "month": 3,
            },
        }
    return CustomTimeZone.from_graph(value)


@pytest.mark.parametrize("hours_zone", [_graph_custom_zone(), LOS_ANGELES], ids=["custom", "iana"])
def test_custom_time_zone_from_graph(hours_zone: tzinfo) -> None:
    # The doc's custom zone: UTC-8, daylight UTC-7 from the 2nd Sunday of March to the 1st of November.
    # Mentee mailbox Los Angeles, working hours 08-17 in the custom zone, day window 00:00-23:59.
    # Mentor UTC, whole day every day. 60 minutes, step 60.
    # Thu 03-05 (PST) 08-17 = 16:00Z-01:00Z: its last hour is Fri 00:00Z (now is Fri 00:00Z).
    # Fri 03-06 (PST): 16:00Z-01:00Z -> Fri 16:00 ... 22:00 (23:00 crosses the mentor's midnight)
    #   and Sat 00:00Z (= Fri 16:00-17:00 PST).
    # Mon 03-09 (PDT): 08-17 = 15:00Z-00:00Z -> 15:00 ... 22:00.
    mentor = person("mentor@x", UTC, (time(0), time(0)), days=range(7))
    mentee = person("mentee@x", LOS_ANGELES, (time(8), time(17)), hours_zone=hours_zone)
    policy = rules(slot_step_minutes=60, allowed_session_minutes=(60,), session_minutes=60, horizon_days=4, **WHOLE_DAY)
    policy = replace(policy, respect_working_hours=True)
    result = run(mentor, [mentee], policy, "2026-03-06T00:00:00Z", 60)
    assert on(result, date(2026, 3, 6)) == ["00:00", *every("16:00", "22:00", 60)]
    assert on(result, date(2026, 3, 7)) == ["00:00"]
    assert on(result, date(2026, 3, 8)) == []
    assert on(result, date(2026, 3, 9)) == every("15:00", "22:00", 60)
    assert len(result.slots) == 17


def test_default_working_hours_are_in_the_mailbox_zone() -> None:
    # Mentee in Kolkata without working hours: 08:00-17:00 IST = 02:30-11:30Z. Mentor UTC 06-20Z,
    # day window 08-18Z. Common 08:00-11:30Z -> 30 min, step 30: 08:00 ... 11:00.
    mentor = person("mentor@x", UTC, (time(6), time(20)))
    mentee = person("mentee@x", KOLKATA, None)
    result = run(mentor, [mentee], rules(slot_step_minutes=30, horizon_days=1), "2026-06-01T00:00:00Z", 30)
    assert on(result, date(2026, 6, 1)) == every("08:00", "11:00", 30)


def test_caps_count_by_the_mentors_local_month() -> None:
    # Los Angeles mentor, monthly cap 1. A session at 2026-07-01 05:00Z is June 30 22:00 PDT: it fills
    # June, not July. Search Tue 06-30 and Wed 07-01 (local), working hours 08-17 PDT = 15:00Z-00:00Z.
    from core.model import MENTORING_CATEGORY, CalendarItem

    start = z("2026-07-01T05:00:00Z")
    mentor = Attendee(
        "mentor@x",
        LOS_ANGELES,
        WorkingHours(frozenset(WEEKDAYS), time(8), time(17), LOS_ANGELES),
        (CalendarItem(start, start + timedelta(minutes=15), categories=(MENTORING_CATEGORY,)),),
    )
    policy = rules(max_sessions_per_month=1, horizon_days=2, slot_step_minutes=60)
    result = run(mentor, [], policy, "2026-06-30T07:00:00Z", 15)  # 06-30 00:00 PDT
    local_days = {s.start.astimezone(LOS_ANGELES).date() for s in result.slots}
    assert local_days == {date(2026, 7, 1)}


def test_a_window_starting_in_the_spring_gap_starts_when_the_gap_ends() -> None:
    # New York, Sun 03-08: 02:00-03:00 does not exist. Day window 02:30-05:00: it starts at the first
    # instant whose wall time is past 02:30, i.e. 03:00 EDT = 07:00Z, and ends 05:00 EDT = 09:00Z.
    # 30 min, step 30: 07:00, 07:30, 08:00, 08:30.
    mentor = person("mentor@x", NEW_YORK, None)
    policy = rules(
        respect_working_hours=False, day_start=time(2, 30), day_end=time(5), slot_step_minutes=30, horizon_days=1
    )
    result = run(mentor, [], policy, "2026-03-08T05:00:00Z", 30)
    assert [f"{s.start:%H:%M}" for s in result.slots] == ["07:00", "07:30", "08:00", "08:30"]


def test_a_window_ending_in_the_repeated_hour_ends_at_its_first_occurrence() -> None:
    # New York, Sun 11-01: 01:00-02:00 happens twice. Day window 00:00-01:30 ends at 01:30 EDT = 05:30Z;
    # it starts 00:00 EDT = 04:00Z. 30 min, step 30: 04:00, 04:30, 05:00. The second 01:00 (EST, 06:00Z)
    # is after the window although its wall time is inside it.
    mentor = person("mentor@x", NEW_YORK, None)
    policy = rules(
        respect_working_hours=False, day_start=time(0), day_end=time(1, 30), slot_step_minutes=30, horizon_days=1
    )
    result = run(mentor, [], policy, "2026-11-01T04:00:00Z", 30)
    assert [f"{s.start:%H:%M}" for s in result.slots] == ["04:00", "04:30", "05:00"]


def test_working_hours_starting_in_the_spring_gap() -> None:
    # Same rule for working hours: Berlin mentee, Sun 03-29 (02:00-03:00 CET skipped), working hours
    # 02:30-06:00 every day -> from 03:00 CEST = 01:00Z to 06:00 CEST = 04:00Z. Mentor UTC, whole day.
    # Day window 00:00-23:59. 60 min, step 60: 01:00, 02:00, 03:00.
    mentor = person("mentor@x", UTC, (time(0), time(0)), days=range(7))
    mentee = person("mentee@x", BERLIN, (time(2, 30), time(6)), days=range(7))
    policy = rules(slot_step_minutes=60, allowed_session_minutes=(60,), session_minutes=60, horizon_days=1, **WHOLE_DAY)
    policy = replace(policy, respect_working_hours=True)
    result = run(mentor, [mentee], policy, "2026-03-29T00:00:00Z", 60)
    assert [f"{s.start:%H:%M}" for s in result.slots] == ["01:00", "02:00", "03:00"]
