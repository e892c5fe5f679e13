"""Graph `patternedRecurrence` → occurrence dates.

Patterns: daily, weekly (daysOfWeek, firstDayOfWeek), absoluteMonthly, relativeMonthly, absoluteYearly,
relativeYearly, each with an interval; ranges: endDate (inclusive), numbered, noEnd. Expansion jumps straight to
the asked window (except for numbered ranges, which must count from the start), so a noEnd series costs only
the occurrences in the window."""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = ["WEEKDAYS", "Recurrence", "RecurrenceError"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PATTERNS = ("daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly")
_RANGES = ("endDate", "noEnd", "numbered")
_INDEXES = ("first", "second", "third", "fourth", "last")
_MAX_STEPS = 200_000  # a guard against pathological series, far above any real window


class RecurrenceError(ValueError):
    """A bad recurrence field; `path` is relative to the recurrence object (e.g. "pattern.interval")."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _weekday(value: Any, path: str) -> int:
    if not isinstance(value, str) or value.lower() not in WEEKDAYS:
        raise RecurrenceError(path, f"expected a day of the week, got {value!r}")
    return WEEKDAYS.index(value.lower())


def _int(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RecurrenceError(path, f"expected an integer in {low}..{high}, got {value!r}")
    return value


def _date(value: Any, path: str) -> date:
    if not isinstance(value, str):
        raise RecurrenceError(path, f"expected a date 'YYYY-MM-DD', got {value!r}")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise RecurrenceError(path, f"expected a date 'YYYY-MM-DD', got {value!r}") from None


def _nth_weekday(year: int, month: int, weekdays: tuple[int, ...], index: str) -> date | None:
    last = calendar.monthrange(year, month)[1]
    days = [date(year, month, d) for d in range(1, last + 1) if date(year, month, d).weekday() in weekdays]
    if not days:
        return None
    if index == "last":
        return days[-1]
    position = _INDEXES.index(index)
    return days[position] if position < len(days) else None


@dataclass(frozen=True)
class Recurrence:
    kind: str
    interval: int
    days_of_week: tuple[int, ...]
    first_day_of_week: int
    day_of_month: int
    month: int
    index: str
    range_kind: str
    start_date: date
    end_date: date | None
    count: int | None

    @classmethod
    def from_graph(cls, value: Any, default_start: date) -> Recurrence:
        if not isinstance(value, Mapping):
            raise RecurrenceError("", "expected a patternedRecurrence object")
        pattern = value.get("pattern")
        if not isinstance(pattern, Mapping):
            raise RecurrenceError("pattern", "expected an object")
        kind = pattern.get("type")
        if kind not in _PATTERNS:
            raise RecurrenceError("pattern.type", f"expected one of {', '.join(_PATTERNS)}, got {kind!r}")
        interval = _int(pattern.get("interval", 1), "pattern.interval", 1, 999)
        raw_days = pattern.get("daysOfWeek") or []
        if not isinstance(raw_days, list):
            raise RecurrenceError("pattern.daysOfWeek", "expected a list of days")
        days = tuple(sorted({_weekday(d, f"pattern.daysOfWeek[{i}]") for i, d in enumerate(raw_days)}))
        if kind in ("weekly", "relativeMonthly", "relativeYearly") and not days:
            raise RecurrenceError("pattern.daysOfWeek", f"required for a {kind} pattern")
        first_day = _weekday(pattern.get("firstDayOfWeek") or "sunday", "pattern.firstDayOfWeek")
        day_of_month = 0
        if kind in ("absoluteMonthly", "absoluteYearly"):
            day_of_month = _int(pattern.get("dayOfMonth"), "pattern.dayOfMonth", 1, 31)
        month = 0
        if kind in ("absoluteYearly", "relativeYearly"):
            month = _int(pattern.get("month"), "pattern.month", 1, 12)
        index = pattern.get("index") or "first"
        if index not in _INDEXES:
            raise RecurrenceError("pattern.index", f"expected one of {', '.join(_INDEXES)}, got {index!r}")
        rng = value.get("range")
        if not isinstance(rng, Mapping):
            raise RecurrenceError("range", "expected an object")
        range_kind = rng.get("type")
        if range_kind not in _RANGES:
            raise RecurrenceError("range.type", f"expected one of {', '.join(_RANGES)}, got {range_kind!r}")
        start = _date(rng["startDate"], "range.startDate") if rng.get("startDate") else default_start
        end = None
        count = None
        if range_kind == "endDate":
            end = _date(rng.get("endDate"), "range.endDate")
            if end < start:
                raise RecurrenceError("range.endDate", "is before range.startDate")
        elif range_kind == "numbered":
            count = _int(rng.get("numberOfOccurrences"), "range.numberOfOccurrences", 1, 999_999)
        return cls(kind, interval, days, first_day, day_of_month, month, index, range_kind, start, end, count)

    def dates(self, first: date, last: date) -> Iterator[date]:
        """Occurrence dates in [first, last], honouring the range."""
        if self.range_kind == "numbered":
            for produced, day in enumerate(self._candidates(self.start_date)):
                if produced >= (self.count or 0) or day > last:
                    return
                if day >= first:
                    yield day
            return
        stop = last if self.end_date is None else min(last, self.end_date)
        for day in self._candidates(max(first, self.start_date)):
            if day > stop:
                return
            if day >= first:
                yield day

    def _candidates(self, near: date) -> Iterator[date]:
        """Dates matching the pattern, on or after start_date, beginning with the period that holds `near`."""
        for steps, day in enumerate(self._raw(near)):
            if steps >= _MAX_STEPS:
                return
            if day >= self.start_date:
                yield day

    def _raw(self, near: date) -> Iterator[date]:
        start, n = self.start_date, self.interval
        if self.kind == "daily":
            k = max(0, (near - start).days // n)
            day = start + timedelta(days=k * n)
            while True:
                yield day
                day += timedelta(days=n)
        elif self.kind == "weekly":
            def week_of(d: date) -> date:
                return d - timedelta(days=(d.weekday() - self.first_day_of_week) % 7)

            base = week_of(start)
            k = max(0, (week_of(near) - base).days // 7 // n)
            week = base + timedelta(weeks=k * n)
            offsets = sorted((d - self.first_day_of_week) % 7 for d in self.days_of_week)
            while True:
                for offset in offsets:
                    yield week + timedelta(days=offset)
                week += timedelta(weeks=n)
        elif self.kind in ("absoluteMonthly", "relativeMonthly"):
            first_month = start.year * 12 + start.month - 1
            k = max(0, (near.year * 12 + near.month - 1 - first_month) // n)
            month_no = first_month + k * n
            while True:
                year, month = divmod(month_no, 12)
                found = self._in_month(year, month + 1)
                if found is not None:
                    yield found
                month_no += n
        else:
            k = max(0, (near.year - start.year) // n)
            year = start.year + k * n
            while True:
                found = self._in_month(year, self.month)
                if found is not None and found.year == year:
                    yield found
                year += n

    def _in_month(self, year: int, month: int) -> date | None:
        if year > 9998:
            return None
        if self.kind in ("absoluteMonthly", "absoluteYearly"):
            # Outlook puts "day 31" on the month's last day when the month is shorter.
            return date(year, month, min(self.day_of_month, calendar.monthrange(year, month)[1]))
        return _nth_weekday(year, month, self.days_of_week, self.index)
