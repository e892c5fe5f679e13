"""Quiet hours: the first moment at or after a message's due time at which it may reach its recipient.

A message may go out only when every one of these holds, each read in its own zone:
- the recipient's working hours (their days and start/end, in the working hours' zone);
  none known: Monday to Friday, all day, in the recipient's mailbox zone;
- the policy's day window (`day_start`-`day_end`) in the recipient's zone;
- the policy's `message_window` in the recipient's zone, when one is set (else working hours alone);
- not inside one of the recipient's focus holds;
- not while they are out of office: an event they show as `oof`, or their automatic replies
  (`automaticRepliesSetting`: `alwaysEnabled` is away from now on, `scheduled` between its start and end;
  resources/automaticrepliessetting.md), see `away_periods`;
- not on a non-working day (days the working hours leave out, plus any extra ones given).

Local days are turned into UTC intervals with `zoneinfo`: a window starting at a wall time skipped by a
spring-forward change starts at the first real moment after the gap; a wall time that happens twice
(autumn) is read as its first occurrence. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.errors import InputError
from core.intervals import Interval, ceil_seconds, floor_seconds, from_seconds, intersect, merge, subtract
from core.model import WorkingHours

__all__ = [
    "SEARCH_DAYS",
    "AutoReplies",
    "QuietHours",
    "allowed_intervals",
    "away_periods",
    "holds_from",
    "next_send_moment",
    "wall_to_utc",
]

SEARCH_DAYS = 28  # beyond this, nobody is reachable: the caller treats None as "hold and ask again later"
_WEEKDAYS_MON_FRI = frozenset(range(5))


@dataclass(frozen=True, slots=True)
class QuietHours:
    """What one recipient's allowed moments depend on."""

    tz: tzinfo  # the recipient's mailbox zone
    working_hours: WorkingHours | None
    day_start: time = time(0, 0)
    day_end: time = time(23, 59)
    message_window: tuple[time, time] | None = None
    focus_holds: tuple[tuple[datetime, datetime], ...] = ()
    away: tuple[tuple[datetime, datetime], ...] = ()  # out of office (`away_periods`): treated as holds
    non_working_days: frozenset[int] = frozenset()  # extra days off, `datetime.weekday()` numbers


def wall_to_utc(day: date, clock: time, zone: tzinfo) -> datetime:
    """A local wall time as an aware UTC moment, as dateutil's `resolve_imaginary` would read it: a time
    skipped by a spring-forward change moves forward by the gap (02:30 -> 03:30), a repeated autumn time
    is its first occurrence (PEP 495's fold=0 does both)."""
    return datetime.combine(day, clock).replace(tzinfo=zone, fold=0).astimezone(UTC)


def _whole_days(first: date, days: int, zone: tzinfo, weekdays: frozenset[int]) -> list[Interval]:
    spans: list[Interval] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() in weekdays:
            low, high = wall_to_utc(day, time(0, 0), zone), wall_to_utc(day + timedelta(days=1), time(0, 0), zone)
            spans.append((floor_seconds(low), floor_seconds(high)))
    return merge(spans)


def _daily(first: date, days: int, start: time, end: time, zone: tzinfo, weekdays: frozenset[int]) -> list[Interval]:
    spans: list[Interval] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        low, high = wall_to_utc(day, start, zone), wall_to_utc(day, end, zone)
        if high > low:
            spans.append((floor_seconds(low), floor_seconds(high)))
    return spans


def _check(due: datetime) -> datetime:
    if not isinstance(due, datetime) or due.tzinfo is None or due.utcoffset() is None:
        raise InputError("due", "must be an aware datetime")
    return due.astimezone(UTC)


def allowed_intervals(rules: QuietHours, first: date, days: int) -> list[Interval]:
    """The allowed UTC intervals of `days` local days from `first` (a day before and after included,
    so zones far from UTC lose nothing at the edges)."""
    first = first - timedelta(days=1)
    days += 2
    every_day = frozenset(range(7))
    hours = rules.working_hours
    if hours is None:
        allowed = _whole_days(first, days, rules.tz, _WEEKDAYS_MON_FRI)
    else:
        allowed = _daily(first, days, hours.start, hours.end, hours.tz, frozenset(hours.days))
    working_days = frozenset(hours.days) if hours is not None else _WEEKDAYS_MON_FRI
    open_days = working_days - rules.non_working_days
    windows = [(rules.day_start, rules.day_end)]
    if rules.message_window is not None:
        windows.append(rules.message_window)
    for start, end in windows:
        allowed = intersect(allowed, _daily(first, days, start, end, rules.tz, every_day))
    # Days off are the recipient's own days (in their mailbox zone), whatever zone the hours are in.
    allowed = intersect(allowed, _whole_days(first, days, rules.tz, open_days))
    holds = merge((floor_seconds(s), ceil_seconds(e)) for s, e in (*rules.focus_holds, *rules.away) if e > s)
    return subtract(allowed, holds)


def next_send_moment(due: datetime, rules: QuietHours, *, search_days: int = SEARCH_DAYS) -> datetime | None:
    """The first allowed moment at or after `due` (UTC), or None when none falls in `search_days`."""
    due = _check(due)
    first = due.astimezone(rules.tz).date()
    moment = ceil_seconds(due)
    for start, end in allowed_intervals(rules, first, search_days):
        if end <= moment:
            continue
        return from_seconds(max(start, moment))
    return None


def holds_from(items: Iterable[tuple[datetime, datetime]]) -> tuple[tuple[datetime, datetime], ...]:
    """Focus holds as sorted UTC pairs (for callers building `QuietHours` from calendar items)."""
    return tuple(sorted((s.astimezone(UTC), e.astimezone(UTC)) for s, e in items))


@dataclass(frozen=True, slots=True)
class AutoReplies:
    """A mailbox's `automaticRepliesSetting`: status `disabled`, `alwaysEnabled` or `scheduled`; the
    scheduled start and end (aware) matter only when scheduled."""

    status: str
    start: datetime | None = None
    end: datetime | None = None


def away_periods(
    oof_events: Iterable[tuple[datetime, datetime]],
    replies: AutoReplies | None,
    *,
    since: datetime,
    until: datetime,
) -> tuple[tuple[datetime, datetime], ...]:
    """When the recipient is out of office between `since` and `until`, as sorted UTC pairs: the events
    they show as `oof`, and their automatic replies (`alwaysEnabled`: the whole span; `scheduled`: its
    window; a scheduled setting without both ends is read as away the whole span, the strict reading)."""
    spans = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in oof_events if e > s]
    if replies is not None:
        status = replies.status.strip().lower()
        if status == "alwaysenabled":
            spans.append((_check(since), _check(until)))
        elif status == "scheduled":
            if replies.start is None or replies.end is None:
                spans.append((_check(since), _check(until)))
            elif replies.end > replies.start:
                spans.append((_check(replies.start), _check(replies.end)))
    return tuple(sorted(spans))
