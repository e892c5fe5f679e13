"""Office hours (standard time slots): find_slots offers only slots inside them, check_slot names the rule.

Worked by hand (all slot times UTC). 2026 changes: US 03-08, EU 03-29. Paris is UTC+1 before 03-29 and
UTC+2 after, so Tue/Thu 14:00-15:00 Paris is 13:00-14:00Z in winter and 12:00-13:00Z in summer. New York
is UTC-5 before 03-08 and UTC-4 after, so a working day starting 08:30 New York starts 13:30Z, then 12:30Z.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.model import Attendee, WorkingHours
from core.office_hours import describe_office_hours, office_hours_note
from core.slots import SlotSearch, check_slot, find_slots
from policies.model import OfficeWindow, Policy

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TUE_THU = (OfficeWindow("tuesday", time(14), time(15)), OfficeWindow("thursday", time(14), time(15)))
MENTOR = Attendee(upn="claire@contoso.example", tz=PARIS, working_hours=None)  # Mon-Fri 08-17 Paris
PARIS_MENTEE = Attendee(upn="luc@contoso.example", tz=PARIS, working_hours=None)
NY_MENTEE = Attendee(
    upn="ann@contoso.example",
    tz=NEW_YORK,
    working_hours=WorkingHours(frozenset(range(5)), time(8, 30), time(17), NEW_YORK),
)


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def rules(**changes: Any) -> Policy:
    return replace(Policy(min_notice_minutes=0, buffer_minutes=0, office_hours=TUE_THU), **changes)


def search(mentee: Attendee, now: str, minutes: int = 15, **changes: Any) -> SlotSearch:
    return find_slots(mentor=MENTOR, mentees=[mentee], policy=rules(**changes), now=z(now), minutes=minutes)


def starts(result: SlotSearch) -> dict[date, list[str]]:
    days: dict[date, list[str]] = {}
    for slot in result.slots:
        days.setdefault(slot.start.date(), []).append(f"{slot.start:%H:%M}")
    return days


def test_office_hours_move_in_utc_across_the_paris_dst_change() -> None:
    # Mon 03-23 to Mon 04-06: Tue 24 and Thu 26 in winter (13:00-14:00Z), Tue 31 and Thu 02 in summer.
    result = search(PARIS_MENTEE, "2026-03-23T00:00:00")
    winter, summer = ["13:00", "13:15", "13:30", "13:45"], ["12:00", "12:15", "12:30", "12:45"]
    assert starts(result) == {
        date(2026, 3, 24): winter,
        date(2026, 3, 26): winter,
        date(2026, 3, 31): summer,
        date(2026, 4, 2): summer,
    }


def test_a_new_york_mentee_whose_dst_changes_on_another_date() -> None:
    # Mon 03-02 to Mon 03-16: Paris stays UTC+1 (window 13:00-14:00Z). Ann starts 13:30Z until the US
    # change on Sunday 03-08, 12:30Z after it: half the window, then all of it.
    result = search(NY_MENTEE, "2026-03-02T00:00:00")
    assert starts(result) == {
        date(2026, 3, 3): ["13:30", "13:45"],
        date(2026, 3, 5): ["13:30", "13:45"],
        date(2026, 3, 10): ["13:00", "13:15", "13:30", "13:45"],
        date(2026, 3, 12): ["13:00", "13:15", "13:30", "13:45"],
    }


def test_both_changes_in_one_search() -> None:
    # Mon 03-23 to Mon 04-06: Ann starts 12:30Z throughout (US already changed). Paris winter window
    # 13:00-14:00Z lies inside her day; the summer window 12:00-13:00Z only from 12:30Z.
    result = search(NY_MENTEE, "2026-03-23T00:00:00")
    assert starts(result) == {
        date(2026, 3, 24): ["13:00", "13:15", "13:30", "13:45"],
        date(2026, 3, 26): ["13:00", "13:15", "13:30", "13:45"],
        date(2026, 3, 31): ["12:30", "12:45"],
        date(2026, 4, 2): ["12:30", "12:45"],
    }


def test_a_slot_must_fit_wholly_inside_a_window() -> None:
    # 30 minutes in the winter window 13:00-14:00Z: 13:00, 13:15, 13:30 (13:45 would end 14:15).
    result = search(PARIS_MENTEE, "2026-03-23T00:00:00", minutes=30, horizon_days=3)
    assert starts(result) == {date(2026, 3, 24): ["13:00", "13:15", "13:30"]}


def test_other_rules_still_apply_inside_office_hours() -> None:
    # Tuesday is a no-meeting day: only Thursday 26 is left of the first week.
    result = search(PARIS_MENTEE, "2026-03-23T00:00:00", horizon_days=7, no_meeting_days=("tuesday",))
    assert starts(result) == {date(2026, 3, 26): ["13:00", "13:15", "13:30", "13:45"]}


def test_without_office_hours_the_whole_day_is_offered() -> None:
    # The same Tuesday without office hours: Paris 08:00-17:00 = 07:00-16:00Z, 36 starts of 15 minutes.
    result = search(PARIS_MENTEE, "2026-03-24T00:00:00", horizon_days=1, office_hours=())
    assert len(result.slots) == 36 and result.slots[0].start == z("2026-03-24T07:00:00")


def test_no_office_hours_in_the_window_is_the_reason() -> None:
    # From Monday 00:00Z for one day: Tuesday's window (13:00Z) is past the horizon (Tuesday 00:00Z).
    result = search(PARIS_MENTEE, "2026-03-23T00:00:00", horizon_days=1)
    assert result.slots == ()
    assert result.reasons == ("no office hours between the minimum notice and the horizon",)


def test_check_slot_refuses_outside_office_hours_naming_the_rule() -> None:
    policy, now = rules(), z("2026-03-23T00:00:00")

    def check(start: str, minutes: int = 15) -> list[str]:
        found = check_slot(
            start=z(start), minutes=minutes, mentor=MENTOR, mentees=[PARIS_MENTEE], policy=policy, now=now
        )
        return [r.rule for r in found]

    assert check("2026-03-24T13:00:00") == []  # 14:00 Paris, winter
    assert check("2026-03-24T15:00:00") == ["office_hours"]  # 16:00 Paris: working hours, not office hours
    assert check("2026-03-24T13:45:00", 30) == ["office_hours"]  # runs past 15:00 Paris
    assert check("2026-03-25T13:00:00") == ["office_hours"]  # a Wednesday
    assert check("2026-03-31T12:00:00") == []  # 14:00 Paris, summer
    assert check("2026-03-31T13:00:00") == ["office_hours"]  # 15:00 Paris, summer
    [refusal] = check_slot(
        start=z("2026-03-25T13:00:00"), minutes=15, mentor=MENTOR, mentees=[], policy=policy, now=now
    )
    assert refusal.who == MENTOR.upn
    assert refusal.message.endswith("office hours: Tue, Thu 14:00\N{EN DASH}15:00 (Europe/Paris)")


def test_check_slot_agrees_with_find_slots_on_every_grid_start() -> None:
    now, policy = z("2026-03-23T00:00:00"), rules()
    found = {s.start for s in find_slots(mentor=MENTOR, mentees=[NY_MENTEE], policy=policy, now=now, minutes=15).slots}
    start = now
    while start < now + timedelta(days=14):
        rejected = check_slot(start=start, minutes=15, mentor=MENTOR, mentees=[NY_MENTEE], policy=policy, now=now)
        assert (not rejected) == (start in found), start
        start += timedelta(minutes=15)


def test_office_hours_in_words() -> None:
    dash = "\N{EN DASH}"
    assert describe_office_hours(TUE_THU, PARIS) == f"Tue, Thu 14:00{dash}15:00 (Europe/Paris)"
    mixed = (
        OfficeWindow("friday", time(9), time(10)),
        OfficeWindow("monday", time(16), time(17)),
        OfficeWindow("monday", time(9), time(10)),
        OfficeWindow("wednesday", time(9), time(10)),
    )
    assert describe_office_hours(mixed, NEW_YORK) == (
        f"Mon 09:00{dash}10:00, 16:00{dash}17:00; Wed, Fri 09:00{dash}10:00 (America/New_York)"
    )
    assert office_hours_note((), PARIS) is None
    assert office_hours_note(TUE_THU, PARIS) == f"offers office hours only: Tue, Thu 14:00{dash}15:00 (Europe/Paris)"
