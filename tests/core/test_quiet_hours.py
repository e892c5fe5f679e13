"""Quiet hours (core/quiet_hours.py): each expectation worked out by hand from the calendar.

November/December 2026: Mon 30 Nov, Tue 1 Dec, Thu 3 Dec, Fri 4 Dec, Mon 7 Dec. London is on GMT (UTC+0).
US DST starts Sun 8 Mar 2026 (New York UTC-5 -> UTC-4); EU DST ends Sun 25 Oct 2026 (Paris UTC+2 -> +1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.errors import InputError
from core.model import WorkingHours
from core.quiet_hours import QuietHours, next_send_moment, wall_to_utc

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
MON_THU = frozenset({0, 1, 2, 3})
MON_FRI = frozenset(range(5))


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def maya(**changes: object) -> QuietHours:
    """Maya: London, works Mon-Thu 07:30-15:30; the policy's default day window 08:00-18:00."""
    values: dict[str, object] = {
        "tz": LONDON,
        "working_hours": WorkingHours(MON_THU, time(7, 30), time(15, 30), LONDON),
        "day_start": time(8, 0),
        "day_end": time(18, 0),
    }
    values.update(changes)
    return QuietHours(**values)  # type: ignore[arg-type]


def test_due_at_22_local_goes_the_next_working_morning() -> None:
    # Mon 30 Nov 22:00 London (= 22:00Z): after hours; Tue 07:30 is working time but the day window
    # opens at 08:00, so Tue 1 Dec 08:00Z.
    assert next_send_moment(utc(2026, 11, 30, 22), maya()) == utc(2026, 12, 1, 8)


def test_due_inside_working_hours_goes_at_once() -> None:
    assert next_send_moment(utc(2026, 12, 1, 11, 7), maya()) == utc(2026, 12, 1, 11, 7)


def test_due_inside_a_focus_hold_goes_right_after_it() -> None:
    hold = (utc(2026, 12, 1, 8, 30), utc(2026, 12, 1, 10, 15))
    assert next_send_moment(utc(2026, 12, 1, 9), maya(focus_holds=(hold,))) == utc(2026, 12, 1, 10, 15)


def test_back_to_back_focus_holds_are_one_block() -> None:
    holds = ((utc(2026, 12, 1, 9), utc(2026, 12, 1, 10)), (utc(2026, 12, 1, 10), utc(2026, 12, 1, 11, 30)))
    assert next_send_moment(utc(2026, 12, 1, 9, 5), maya(focus_holds=holds)) == utc(2026, 12, 1, 11, 30)


def test_focus_hold_to_the_end_of_the_day_moves_to_the_next_working_day() -> None:
    hold = (utc(2026, 12, 1, 14), utc(2026, 12, 1, 17))
    assert next_send_moment(utc(2026, 12, 1, 14, 30), maya(focus_holds=(hold,))) == utc(2026, 12, 2, 8)


def test_friday_and_the_weekend_are_not_working_days() -> None:
    # Thu 3 Dec 16:00Z is after Maya's 15:30; Fri, Sat, Sun are not her days: Mon 7 Dec 08:00Z.
    assert next_send_moment(utc(2026, 12, 3, 16), maya()) == utc(2026, 12, 7, 8)
    assert next_send_moment(utc(2026, 12, 5, 10), maya()) == utc(2026, 12, 7, 8)


def test_extra_non_working_day() -> None:
    # Mondays off as well: Sun 6 Dec -> Tue 8 Dec 08:00Z.
    assert next_send_moment(utc(2026, 12, 6, 10), maya(non_working_days=frozenset({0}))) == utc(2026, 12, 8, 8)


def test_message_window_narrows_the_day() -> None:
    window = (time(10, 0), time(12, 0))
    assert next_send_moment(utc(2026, 12, 1, 8), maya(message_window=window)) == utc(2026, 12, 1, 10)
    assert next_send_moment(utc(2026, 12, 1, 12), maya(message_window=window)) == utc(2026, 12, 2, 10)


def test_spring_forward_monday_morning_in_new_york() -> None:
    # Sat 7 Mar 2026 15:00Z; next working morning Mon 9 Mar 09:00 EDT (UTC-4 since Sun 8 Mar) = 13:00Z,
    # not 14:00Z as it would have been the week before.
    rules = QuietHours(NEW_YORK, WorkingHours(MON_FRI, time(9), time(17), NEW_YORK), time(8), time(18))
    assert next_send_moment(utc(2026, 3, 7, 15), rules) == utc(2026, 3, 9, 13)
    assert next_send_moment(utc(2026, 3, 6, 23), rules) == utc(2026, 3, 9, 13)
    # Fri 6 Mar, still EST: 09:00 = 14:00Z.
    assert next_send_moment(utc(2026, 3, 6, 6), rules) == utc(2026, 3, 6, 14)


def test_fall_back_weekend_in_paris() -> None:
    # Fri 23 Oct 2026 20:00Z = 22:00 CEST; Mon 26 Oct 09:00 CET (UTC+1 since Sun 25 Oct) = 08:00Z.
    rules = QuietHours(PARIS, WorkingHours(MON_FRI, time(9), time(17), PARIS), time(8), time(18))
    assert next_send_moment(utc(2026, 10, 23, 20), rules) == utc(2026, 10, 26, 8)


def test_working_hours_in_another_zone_than_the_mailbox() -> None:
    # Working hours 09:00-17:00 New York (UTC-5 in December = 14:00-22:00Z); day window 08:00-18:00 London
    # (08:00-18:00Z): the overlap is 14:00-18:00Z. Due Tue 1 Dec 10:00Z -> 14:00Z.
    rules = QuietHours(LONDON, WorkingHours(MON_FRI, time(9), time(17), NEW_YORK), time(8), time(18))
    assert next_send_moment(utc(2026, 12, 1, 10), rules) == utc(2026, 12, 1, 14)
    assert next_send_moment(utc(2026, 12, 1, 18), rules) == utc(2026, 12, 2, 14)


def test_quarter_hour_zone() -> None:
    # Kathmandu is UTC+5:45: 09:00 local Tue 1 Dec = 03:15Z.
    rules = QuietHours(KATHMANDU, WorkingHours(MON_FRI, time(9), time(17), KATHMANDU), time(8), time(18))
    assert next_send_moment(utc(2026, 11, 30, 20), rules) == utc(2026, 12, 1, 3, 15)


def test_without_working_hours_monday_to_friday_in_the_day_window() -> None:
    rules = QuietHours(LONDON, None, time(8), time(18))
    assert next_send_moment(utc(2026, 12, 5, 9), rules) == utc(2026, 12, 7, 8)


def test_nobody_reachable_gives_none() -> None:
    rules = maya(non_working_days=frozenset(range(7)))
    assert next_send_moment(utc(2026, 12, 1, 9), rules) is None


def test_naive_due_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        next_send_moment(datetime(2026, 12, 1, 9), maya())  # noqa: DTZ001 (naive on purpose)
    assert caught.value.field == "due"


def test_wall_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    # Paris skips 02:00-03:00 on Sun 29 Mar 2026: 02:30 is read as 03:30 CEST = 01:30Z.
    assert wall_to_utc(date(2026, 3, 29), time(2, 30), PARIS) == utc(2026, 3, 29, 1, 30)
    # 02:30 happens twice on Sun 25 Oct 2026: the first time, CEST = 00:30Z.
    assert wall_to_utc(date(2026, 10, 25), time(2, 30), PARIS) == utc(2026, 10, 25, 0, 30)


# Out of office (core.quiet_hours.away_periods): Tue 1 Dec 2026, Maya's hours 08:00-15:30Z Mon-Thu.


def test_an_out_of_office_event_holds_a_message_like_a_focus_hold() -> None:
    from core.quiet_hours import away_periods

    # An all-day `oof` event Tue 1 - Wed 2 Dec (London): due Tue 10:00 -> Thu 3 Dec 08:00.
    away = away_periods([(utc(2026, 12, 1, 0), utc(2026, 12, 3, 0))], None, since=utc(2026, 12, 1, 0),
                        until=utc(2026, 12, 29, 0))  # fmt: skip
    assert next_send_moment(utc(2026, 12, 1, 10), maya(away=away)) == utc(2026, 12, 3, 8)


def test_automatic_replies_scheduled_hold_until_they_end_and_disabled_ones_do_not() -> None:
    from core.quiet_hours import AutoReplies, away_periods

    since, until = utc(2026, 12, 1, 0), utc(2026, 12, 29, 0)
    scheduled = AutoReplies("scheduled", utc(2026, 12, 1, 9), utc(2026, 12, 1, 13, 30))
    away = away_periods([], scheduled, since=since, until=until)
    assert away == ((utc(2026, 12, 1, 9), utc(2026, 12, 1, 13, 30)),)
    assert next_send_moment(utc(2026, 12, 1, 10), maya(away=away)) == utc(2026, 12, 1, 13, 30)
    # The scheduled window is ignored unless the status says "scheduled" (automaticrepliessetting.md).
    off = AutoReplies("disabled", utc(2026, 12, 1, 9), utc(2026, 12, 1, 13, 30))
    assert away_periods([], off, since=since, until=until) == ()
    assert next_send_moment(utc(2026, 12, 1, 10), maya(away=away_periods([], off, since=since, until=until))) == (
        utc(2026, 12, 1, 10)
    )


def test_automatic_replies_always_on_leave_no_moment_in_the_span() -> None:
    from core.quiet_hours import AutoReplies, away_periods

    away = away_periods([], AutoReplies("alwaysEnabled"), since=utc(2026, 12, 1, 0), until=utc(2027, 1, 1, 0))
    assert away == ((utc(2026, 12, 1, 0), utc(2027, 1, 1, 0)),)
    assert next_send_moment(utc(2026, 12, 1, 10), maya(away=away), search_days=14) is None
    # Scheduled without both ends: read strictly, as away the whole span.
    assert away_periods([], AutoReplies("scheduled"), since=utc(2026, 12, 1, 0), until=utc(2026, 12, 2, 0)) == (
        (utc(2026, 12, 1, 0), utc(2026, 12, 2, 0)),
    )
