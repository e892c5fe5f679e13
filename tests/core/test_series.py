"""Series cadence, worked by hand (times UTC unless named).

2026 changes: EU summer time from Sunday 03-29 (Paris UTC+1 -> UTC+2), US spring forward Sunday 03-08
(02:00 EST -> 03:00 EDT), US fall back Sunday 11-01 (New York UTC-4 -> UTC-5).
Weekdays: 2026-03-17 Tue, 03-26 Thu, 03-30 Mon, 04-01 Wed, 04-02 Thu, 04-04 Sat, 04-07 Tue.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import Conflict, InputError
from core.model import Session, SessionState, Slot, WorkingHours
from core.series import (
    Series,
    SeriesState,
    StopReason,
    booking_due,
    nearest_alternatives,
    nearest_slot,
    shared_working_days,
    stop_reason,
    stopped,
    target_start,
    validate_terms,
    working_day_window,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
MON_FRI = frozenset(range(5))


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def slot(start: str, minutes: int = 20) -> Slot:
    return Slot(z(start), z(start) + timedelta(minutes=minutes))


# --- target dates --------------------------------------------------------------------------------


def test_target_keeps_paris_wall_time_across_spring_change() -> None:
    # Tue 03-17 10:00 CET = 09:00Z; 14 days later Tue 03-31 10:00 CEST = 08:00Z.
    assert target_start(z("2026-03-17T09:00"), 1, 14, PARIS) == z("2026-03-31T08:00")
    # Three intervals later: Tue 04-28 10:00 CEST = 08:00Z.
    assert target_start(z("2026-03-17T09:00"), 3, 14, PARIS) == z("2026-04-28T08:00")


def test_target_keeps_new_york_wall_time_across_autumn_change() -> None:
    # Tue 10-27 09:00 EDT = 13:00Z; Tue 11-10 09:00 EST = 14:00Z.
    assert target_start(z("2026-10-27T13:00"), 1, 14, NEW_YORK) == z("2026-11-10T14:00")


def test_target_on_a_skipped_wall_time_moves_forward_by_the_gap() -> None:
    # Sun 02-22 02:30 EST = 07:30Z; Sun 03-08 02:30 does not exist: read as 03:30 EDT = 07:30Z.
    assert target_start(z("2026-02-22T07:30"), 1, 14, NEW_YORK) == z("2026-03-08T07:30")


def test_occurrence_zero_is_the_anchor() -> None:
    assert target_start(z("2026-03-17T09:00"), 0, 14, PARIS) == z("2026-03-17T09:00")


# --- the ±2 working-day window ---------------------------------------------------------------


def test_window_midweek_is_monday_to_friday() -> None:
    # Target Wed 04-01 10:00 Paris: Mon 03-30 00:00 CEST (03-29 22:00Z) to Sat 04-04 00:00 CEST (04-03 22:00Z).
    assert working_day_window(z("2026-04-01T08:00"), PARIS, MON_FRI) == (z("2026-03-29T22:00"), z("2026-04-03T22:00"))


def test_window_across_the_weekend_and_the_dst_change() -> None:
    # Target Mon 03-30: back Fri 27 (1), Thu 26 (2) -> Thu 03-26 00:00 CET = 03-25 23:00Z;
    # on Tue 31 (1), Wed 04-01 (2) -> up to Thu 04-02 00:00 CEST = 04-01 22:00Z.
    assert working_day_window(z("2026-03-30T08:00"), PARIS, MON_FRI) == (z("2026-03-25T23:00"), z("2026-04-01T22:00"))


def test_window_around_a_saturday_target() -> None:
    # Sat 04-04: back Fri 3, Thu 2 -> 04-02 00:00 CEST = 04-01 22:00Z; on Mon 6, Tue 7 -> 04-08 00:00 = 04-07 22:00Z.
    assert working_day_window(z("2026-04-04T08:00"), PARIS, MON_FRI) == (z("2026-04-01T22:00"), z("2026-04-07T22:00"))


def test_window_with_shared_working_days_of_a_sunday_to_thursday_mentee() -> None:
    sun_thu = WorkingHours(frozenset({6, 0, 1, 2, 3}), time(8), time(17), PARIS)
    mon_fri = WorkingHours(MON_FRI, time(9), time(17), PARIS)
    shared = shared_working_days(mon_fri, sun_thu)
    assert shared == frozenset({0, 1, 2, 3})
    # Thu 04-02: back Wed 1, Tue 03-31 -> 03-31 00:00 CEST = 03-30 22:00Z; on: Fri, Sat, Sun are not shared,
    # Mon 6 (1), Tue 7 (2) -> up to Wed 04-08 00:00 CEST = 04-07 22:00Z.
    assert working_day_window(z("2026-04-02T08:00"), PARIS, shared) == (z("2026-03-30T22:00"), z("2026-04-07T22:00"))


def test_shared_working_days_defaults_and_no_common_day() -> None:
    assert shared_working_days(None, None) == MON_FRI
    fri_sat = WorkingHours(frozenset({4, 5}), time(8), time(17), PARIS)
    mon_thu = WorkingHours(frozenset({0, 1, 2, 3}), time(8), time(17), PARIS)
    assert shared_working_days(fri_sat, mon_thu) == frozenset({0, 1, 2, 3, 4, 5})


# --- choosing the slot -----------------------------------------------------------------------


def test_nearest_slot_inside_the_window() -> None:
    window = (z("2026-03-29T22:00"), z("2026-04-03T22:00"))
    slots = [slot("2026-03-31T08:00"), slot("2026-04-01T07:00"), slot("2026-04-01T12:00"), slot("2026-04-02T08:00")]
    assert nearest_slot(slots, z("2026-04-01T08:00"), window) == slot("2026-04-01T07:00")


def test_nearest_slot_tie_takes_the_earlier() -> None:
    window = (z("2026-03-29T22:00"), z("2026-04-03T22:00"))
    slots = [slot("2026-04-01T09:00"), slot("2026-04-01T07:00")]
    assert nearest_slot(slots, z("2026-04-01T08:00"), window) == slot("2026-04-01T07:00")


def test_no_slot_when_every_slot_is_outside_the_window() -> None:
    window = (z("2026-03-29T22:00"), z("2026-04-03T22:00"))
    # 21:45Z is Sunday 23:45 Paris, before the window; 21:50Z ends at 22:10Z, after its end.
    slots = [slot("2026-03-29T21:45"), slot("2026-04-03T21:50")]
    assert nearest_slot(slots, z("2026-04-01T08:00"), window) is None


def test_three_nearest_alternatives_in_time_order() -> None:
    slots = [slot(f"2026-04-{d:02d}T08:00") for d in (6, 7, 8, 9, 10)]
    # Target 04-08 12:00: 08 (4h), 09 (20h), 07 (28h) nearest.
    got = nearest_alternatives(slots, z("2026-04-08T12:00"))
    assert [s.start for s in got] == [z("2026-04-07T08:00"), z("2026-04-08T08:00"), z("2026-04-09T08:00")]


# --- when to book ----------------------------------------------------------------------------


def due(previous: SessionState, now: str, horizon_days: int = 14, ahead: int | None = None) -> bool:
    # Target Tue 04-14 10:00 Paris (08:00Z); its window ends Fri 04-17 00:00 CEST = 04-16 22:00Z.
    return booking_due(
        previous=previous, target=z("2026-04-14T08:00"), window_end=z("2026-04-16T22:00"), now=z(now),
        horizon_days=horizon_days, book_ahead_days=ahead,
    )  # fmt: skip


def test_booking_due_after_previous_is_over_once_the_window_is_within_the_horizon() -> None:
    assert due(SessionState.COMPLETED, "2026-04-02T22:00")  # + 14 days = the window's end
    assert due(SessionState.NO_SHOW, "2026-04-02T22:00")
    assert due(SessionState.CANCELLED, "2026-04-02T22:00")
    assert not due(SessionState.COMPLETED, "2026-04-02T21:59")  # a minute short: the window's last day is beyond
    assert not due(SessionState.SCHEDULED, "2026-04-02T22:00")
    assert not due(SessionState.PENDING_ATTENDANCE, "2026-04-02T22:00")
    assert not due(SessionState.COMPLETED, "2026-04-05T22:00", horizon_days=10)  # 04-15 22:00Z < the end


def test_booking_due_a_configured_time_ahead() -> None:
    # 10 days ahead of 04-14 08:00Z is 04-04 08:00Z; the window is within the horizon from 04-02 22:00Z.
    assert not due(SessionState.SCHEDULED, "2026-04-04T07:59", ahead=10)
    assert due(SessionState.SCHEDULED, "2026-04-04T08:00", ahead=10)
    assert not due(SessionState.SCHEDULED, "2026-04-01T08:00", ahead=14)  # ahead, but the window is beyond


# --- stop rules -------------------------------------------------------------------------------


def session(id: str, start: str, state: SessionState) -> Session:
    return Session(
        id=id, mentor="m@x", mentees=("e@x",), start=z(start), end=z(start) + timedelta(minutes=20),
        question="q", created_at=z("2026-01-01T00:00"), state=state,
    )  # fmt: skip


def test_two_no_shows_in_a_row_stop_even_with_a_cancel_between() -> None:
    sessions = [
        session("a", "2026-03-03T09:00", SessionState.COMPLETED),
        session("b", "2026-03-17T09:00", SessionState.NO_SHOW),
        session("c", "2026-03-31T08:00", SessionState.CANCELLED),
        session("d", "2026-04-14T08:00", SessionState.NO_SHOW),
    ]
    assert stop_reason(sessions, {}) is StopReason.TWO_NO_SHOWS


def test_no_shows_not_in_a_row_do_not_stop() -> None:
    sessions = [
        session("b", "2026-03-17T09:00", SessionState.NO_SHOW),
        session("c", "2026-03-31T08:00", SessionState.COMPLETED),
        session("d", "2026-04-14T08:00", SessionState.NO_SHOW),
        session("e", "2026-04-28T08:00", SessionState.SCHEDULED),
    ]
    assert stop_reason(sessions, {"c": "maybe"}) is None


def test_mentor_answering_no_stops_the_series() -> None:
    sessions = [session("a", "2026-03-03T09:00", SessionState.COMPLETED)]
    assert stop_reason(sessions, {"a": "no"}) is StopReason.MENTOR_DECLINED
    assert stop_reason(sessions, {"a": "yes", "other": "no"}) is None


def series() -> Series:
    return Series(
        id="s1", mentor="m@x", mentee="e@x", minutes=20, anchor=z("2026-03-17T09:00"), question="q",
        created_at=z("2026-03-01T00:00"), created_by="e@x",
    )  # fmt: skip


def test_either_person_stops_and_a_stranger_cannot() -> None:
    now = z("2026-04-01T10:00")
    by_mentee = stopped(series(), by="e@x", now=now)
    assert (by_mentee.state, by_mentee.stop_reason, by_mentee.stopped_at) == (
        SeriesState.STOPPED,
        StopReason.STOPPED_BY_MENTEE,
        now,
    )
    assert stopped(series(), by="m@x", now=now).stop_reason is StopReason.STOPPED_BY_MENTOR
    with pytest.raises(InputError) as err:
        stopped(series(), by="x@x", now=now)
    assert err.value.field == "by"
    with pytest.raises(Conflict):
        stopped(by_mentee, by="m@x", now=now)


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"minutes": 25}, "minutes"),
        ({"minutes": True}, "minutes"),
        ({"interval_days": 6}, "intervalDays"),
        ({"interval_days": "14"}, "intervalDays"),
        ({"count": 1}, "count"),
        ({"book_ahead_days": 0}, "bookAheadDays"),
    ],
)
def test_terms_name_the_field(terms: dict[str, object], field: str) -> None:
    given: dict[str, object] = {"minutes": 20, "interval_days": 14, "count": None, "book_ahead_days": None, **terms}
    with pytest.raises(InputError) as err:
        validate_terms(**given)
    assert err.value.field == field


def test_terms_defaults_pass() -> None:
    assert validate_terms(minutes=30, interval_days=14, count=6, book_ahead_days=None) == (30, 14, 6, None)
