"""The example tenant (tests/data/tenant.json) worked by hand, with the example policy.

Attendees are built here by hand from the seed (not through the Graph adapter):
- ana (mentor): Pacific, working hours Mon-Fri 08:00-16:00 PST = 16:00-24:00Z; "Focus time" Tue 12-01
  08:00-10:00 PST (busy); "Team stand-up" Mon/Wed/Fri 09:00-09:15 PST (weekly, expanded); a
  Micro-mentoring session Wed 12-02 07:30-07:45 PST.
- ravi: India (+05:30), Mon-Fri 10:00-19:00 IST = 04:30-13:30Z; tentative Tue 12-01 18:00-19:00 IST.
- maya: London (GMT in December), Mon-Thu 07:30-15:30 = 07:30-15:30Z.
- sita: Nepal (+05:45), Sun-Thu 09:00-17:00 NPT = 03:15-11:15Z.
Policy: the example (15-minute grid, 2h notice, 14 days, buffer 5, 08:00-18:00, Friday no-meeting day);
ana's override sets her weekly cap to 3. now = Mon 2026-11-30 00:00Z = Sun 11-29 16:00 PST, so the search
runs from 02:00Z (Sun 18:00 PST) to 12-14 00:00Z (Sun 12-13 16:00 PST).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.model import MENTORING_CATEGORY, Attendee, CalendarItem, WorkingHours
from core.slots import Rejection, SlotSearch, check_slot, find_slots
from policies import Policy, TenantPolicy, parse_policy

PACIFIC = ZoneInfo("America/Los_Angeles")
INDIA = ZoneInfo("Asia/Kolkata")
LONDON = ZoneInfo("Europe/London")
NEPAL = ZoneInfo("Asia/Kathmandu")
NOW = datetime(2026, 11, 30, tzinfo=UTC)
POLICY_FILE = Path(__file__).resolve().parents[1] / "data" / "policy.json"
SPEC_POLICY = Path(__file__).resolve().parents[1] / "data" / "policy.json"  # the example policy
ANA, RAVI, MAYA, SITA = (f"{name}@contoso.example" for name in ("ana", "ravi", "maya", "sita"))


def local(zone: ZoneInfo, day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone)


def z(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def tenant_policy() -> TenantPolicy:
    path = POLICY_FILE if POLICY_FILE.exists() else SPEC_POLICY
    return parse_policy(json.loads(path.read_text(encoding="utf-8")))


def ana_policy() -> Policy:
    return tenant_policy().effective(ANA)


def ana(extra: tuple[CalendarItem, ...] = ()) -> Attendee:
    standup_days = [date(2026, 11, 30)] + [date(2026, 12, d) for d in (2, 4, 7, 9, 11)]
    standups = tuple(
        CalendarItem(
            start=datetime.combine(d, time(9), tzinfo=PACIFIC),
            end=datetime.combine(d, time(9, 15), tzinfo=PACIFIC),
            subject="Team stand-up",
        )
        for d in standup_days
    )
    items = (
        CalendarItem(local(PACIFIC, 1, 8), local(PACIFIC, 1, 10), "busy", "Focus time"),
        *standups,
        CalendarItem(
            local(PACIFIC, 2, 7, 30),
            local(PACIFIC, 2, 7, 45),
            "busy",
            "Micro mentoring: running a virtual meeting",
            (MENTORING_CATEGORY,),
        ),
        *extra,
    )
    hours = WorkingHours(frozenset(range(5)), time(8), time(16), PACIFIC)
    return Attendee(ANA, PACIFIC, hours, tuple(item_in_utc(item) for item in items))


def item_in_utc(item: CalendarItem) -> CalendarItem:
    return replace(item, start=item.start.astimezone(UTC), end=item.end.astimezone(UTC))


def ravi() -> Attendee:
    tentative = CalendarItem(local(INDIA, 1, 18), local(INDIA, 1, 19), "tentative", "Client escalation review")
    hours = WorkingHours(frozenset(range(5)), time(10), time(19), INDIA)
    return Attendee(RAVI, INDIA, hours, (item_in_utc(tentative),))


def maya() -> Attendee:
    return Attendee(MAYA, LONDON, WorkingHours(frozenset(range(4)), time(7, 30), time(15, 30), LONDON))


def sita() -> Attendee:
    return Attendee(SITA, NEPAL, WorkingHours(frozenset({6, 0, 1, 2, 3}), time(9), time(17), NEPAL))


def search(mentor: Attendee, mentees: list[Attendee], policy: Policy) -> SlotSearch:
    return find_slots(mentor=mentor, mentees=mentees, policy=policy, now=NOW, minutes=15)


def check(start: datetime, mentor: Attendee, mentees: list[Attendee], policy: Policy) -> list[tuple[str, str | None]]:
    found: tuple[Rejection, ...] = check_slot(
        start=start, minutes=15, mentor=mentor, mentees=mentees, policy=policy, now=NOW
    )
    return [(r.rule, r.who) for r in found]


def by_day(result: SlotSearch) -> dict[date, list[str]]:
    days: dict[date, list[str]] = {}
    for slot in result.slots:
        days.setdefault(slot.start.date(), []).append(f"{slot.start:%H:%M}")
    return days


def test_the_policy_for_ana() -> None:
    policy = ana_policy()
    assert policy.max_sessions_per_week == 3 and policy.no_meeting_days == ("friday",)
    assert (policy.buffer_minutes, policy.min_notice_minutes, policy.horizon_days) == (5, 120, 14)


def test_ana_and_ravi_have_no_overlap() -> None:
    # Ana 16:00-24:00Z, Ravi 04:30-13:30Z: no common minute on any day.
    result = search(ana(), [ravi()], ana_policy())
    assert result.slots == ()
    assert result.reasons == ("no overlap of working hours",)
    assert result.searched_from == z(30, 2, month=11)
    assert result.searched_to == z(14, 0)


def test_ana_and_ravi_slot_by_slot() -> None:
    policy = ana_policy()
    # Mon 17:30Z = 09:30 PST (clear of the stand-up: [17:25, 17:50) misses 17:00-17:15) = 23:00 IST.
    assert check(z(30, 17, 30, month=11), ana(), [ravi()], policy) == [
        ("day_window", RAVI),
        ("working_hours", RAVI),
    ]
    # Mon 17:00Z is the stand-up itself: Ana is busy, and it is 22:30 in India.
    assert check(z(30, 17, month=11), ana(), [ravi()], policy) == [
        ("busy", ANA),
        ("day_window", RAVI),
        ("working_hours", RAVI),
    ]
    # Tue 12:30Z = 04:30 PST = 18:00 IST: Ravi's tentative review (12:30-13:30Z) blocks; 18:00-18:15 IST is
    # past his 18:00 day end; 04:30 is before Ana's day and working hours.
    assert check(z(1, 12, 30), ana(), [ravi()], policy) == [
        ("busy", RAVI),
        ("day_window", ANA),
        ("day_window", RAVI),
        ("working_hours", ANA),
    ]


def test_ana_alone_hand_counted() -> None:
    # Ana's own window: 08:00-16:00 PST -> 32 quarter hours a weekday.
    # Mon: stand-up 09:00-09:15 with 5 min buffer removes 08:45, 09:00, 09:15 -> 29.
    # Tue: focus 08:00-10:00 + buffer removes 08:00 ... 10:00 -> 10:15 ... 15:45 = 23.
    # Wed: stand-up -> 29 (the 07:30-07:45 session ends 10 minutes before 08:00, outside the buffer).
    # Thu: 32. Fri: no-meeting day. Week 2: Mon 29, Tue 32, Wed 29, Thu 32.
    result = search(ana(), [], ana_policy())
    days = {d.astimezone(PACIFIC).date() for d in (s.start for s in result.slots)}
    assert len(result.slots) == 29 + 23 + 29 + 32 + 29 + 32 + 29 + 32
    assert date(2026, 12, 4) not in days and date(2026, 12, 11) not in days
    tuesday = [s.start.astimezone(PACIFIC) for s in result.slots if s.start.astimezone(PACIFIC).day == 1]
    assert tuesday[0] == local(PACIFIC, 1, 10, 15) and tuesday[-1] == local(PACIFIC, 1, 15, 45)
    monday = {f"{s.start.astimezone(PACIFIC):%H:%M}" for s in result.slots if s.start.day == 30}
    assert {"08:30", "09:30"} <= monday and not {"08:45", "09:00", "09:15"} & monday


def test_anas_weekly_cap_of_three() -> None:
    # Two more sessions in the week of 11-30 (Mon and Thu at 07:00 PST) make three: with her cap of 3,
    # that week is closed and only the second week (29 + 32 + 29 + 32 = 122) remains. With the tenant's
    # cap of 5 the first week stays open.
    extra = tuple(
        CalendarItem(start, start + timedelta(minutes=15), "busy", "Micro mentoring", (MENTORING_CATEGORY,))
        for start in (local(PACIFIC, 30, 7, month=11), local(PACIFIC, 3, 7))
    )
    result = search(ana(extra), [], ana_policy())
    assert len(result.slots) == 122
    assert min(s.start for s in result.slots) == local(PACIFIC, 7, 8).astimezone(UTC)
    tenant_wide = search(ana(extra), [], tenant_policy().base)
    assert len(tenant_wide.slots) == 235


def test_ana_and_maya() -> None:
    # Ana 16:00-24:00Z, Maya 07:30-15:30Z (GMT in December): no overlap.
    policy = ana_policy()
    result = search(ana(), [maya()], policy)
    assert result.slots == () and result.reasons == ("no overlap of working hours",)
    # Mon 15:15Z = 07:15 PST: before Ana's day; Maya is fine (15:15-15:30 ends with her day).
    assert check(z(30, 15, 15, month=11), ana(), [maya()], policy) == [("day_window", ANA), ("working_hours", ANA)]
    # Mon 16:00Z = 08:00 PST: Ana is fine; Maya stopped at 15:30 (her 08-18 day window would allow it).
    assert check(z(30, 16, month=11), ana(), [maya()], policy) == [("working_hours", MAYA)]


def test_ana_and_maya_without_working_hours() -> None:
    # Same people, working hours ignored: day windows Ana 08-18 PST = 16:00-02:00Z, Maya 08-18 GMT =
    # 08:00-18:00Z -> 16:00-18:00Z, every day (weekends too), except Ana's Friday.
    # Mon/Wed: stand-up 17:00-17:15Z with buffer 5: 16:45, 17:00, 17:15 go -> 16:00, 16:15, 16:30, 17:30, 17:45.
    # Tue 12-01: focus time 16:00-18:00Z -> nothing. Wed: the 15:30-15:45Z session is 15 min before 16:00.
    # Other days: 16:00 ... 17:45 (8). Total 5+0+5+8+0+8+8 + 5+8+5+8+0+8+8 = 76.
    policy = replace(ana_policy(), respect_working_hours=False)
    result = search(ana(), [maya()], policy)
    days = by_day(result)
    standup_day = ["16:00", "16:15", "16:30", "17:30", "17:45"]
    full = ["16:00", "16:15", "16:30", "16:45", "17:00", "17:15", "17:30", "17:45"]
    assert days[date(2026, 11, 30)] == standup_day
    assert date(2026, 12, 1) not in days
    assert days[date(2026, 12, 2)] == standup_day
    assert days[date(2026, 12, 3)] == full
    assert date(2026, 12, 4) not in days
    assert days[date(2026, 12, 5)] == days[date(2026, 12, 6)] == full
    assert days[date(2026, 12, 13)] == full
    assert len(result.slots) == 76


def test_ana_and_sita() -> None:
    # Ana 16:00-24:00Z, Sita 03:15-11:15Z: no overlap.
    policy = ana_policy()
    result = search(ana(), [sita()], policy)
    assert result.slots == () and result.reasons == ("no overlap of working hours",)
    # Mon 04:15Z = Mon 10:00 NPT (Sita fine) = Sun 20:15 PST (Ana: late, and Sunday).
    assert check(z(30, 4, 15, month=11), ana(), [sita()], policy) == [("day_window", ANA), ("working_hours", ANA)]
    # Sun 12-06 04:15Z = Sunday 10:00 NPT: a working day for Sita; only Ana (Sat 20:15 PST) objects.
    assert check(z(6, 4, 15), ana(), [sita()], policy) == [("day_window", ANA), ("working_hours", ANA)]
    # Fri 12-04 04:15Z = Friday 10:00 NPT: Sita's weekend. Ana: Thu 20:15 PST, after her day.
    assert check(z(4, 4, 15), ana(), [sita()], policy) == [
        ("day_window", ANA),
        ("working_hours", ANA),
        ("working_hours", SITA),
    ]


def test_maya_mentoring_sita() -> None:
    # Maya 07:30-15:30Z Mon-Thu (day window 08:00-18:00Z) and Sita 03:15-11:15Z Sun-Thu (day window
    # 02:15-12:15Z): 08:00-11:15Z Mon-Thu -> 08:00 ... 11:00 (13 a day); Sunday: Maya is off; Friday:
    # no-meeting day and both are off. Mon-Thu of two weeks: 8 x 13 = 104.
    result = search(maya(), [sita()], tenant_policy().effective(MAYA))
    days = by_day(result)
    expected = [f"{h:02d}:{m:02d}" for h in range(8, 12) for m in (0, 15, 30, 45)][:13]
    assert sorted(days) == [date(2026, 11, 30), *(date(2026, 12, d) for d in (1, 2, 3, 7, 8, 9, 10))]
    assert all(starts == expected for starts in days.values())
    assert len(result.slots) == 104


@pytest.mark.parametrize("upn", [RAVI, MAYA, SITA])
def test_mentees_without_an_override_get_the_tenant_policy(upn: str) -> None:
    assert tenant_policy().effective(upn) == tenant_policy().base
