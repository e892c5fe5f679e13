"""Graph time zones to `tzinfo`: Windows names through CLDR's table (tzlocal), IANA names,
and Graph's `customTimeZone` (Windows TIME_ZONE_INFORMATION rules)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

__all__ = [
    "CustomTimeZone",
    "UnknownTimeZone",
    "parse_graph_datetime",
    "windows_name",
    "zone_from_graph",
    "zone_from_name",
]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class UnknownTimeZone(ValueError):
    pass


@lru_cache(maxsize=512)
def zone_from_name(name: str) -> tzinfo:
    """A Windows zone name (as Graph returns them), an IANA name or 'UTC'."""
    if name in ("UTC", "Etc/UTC", "Coordinated Universal Time", "tzone://Microsoft/Utc"):
        return UTC
    iana = win_tz.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(f"unknown time zone {name!r}") from exc


def zone_from_graph(value: str | Mapping[str, Any] | None, default: tzinfo = UTC) -> tzinfo:
    """A Graph `timeZoneBase` (`{"name": …}` or a customTimeZone) or a plain name."""
    if value is None:
        return default
    if isinstance(value, str):
        return zone_from_name(value) if value else default
    if str(value.get("@odata.type", "")).endswith("customTimeZone") or "bias" in value:
        return CustomTimeZone.from_graph(value)
    name = value.get("name")
    return zone_from_name(str(name)) if name else default


def windows_name(zone: tzinfo) -> str:
    """The Windows name Graph prefers for a zone; UTC when there is none."""
    key = getattr(zone, "key", None)
    if isinstance(key, str) and key in tz_win:
        return str(tz_win[key])
    return "UTC"


def parse_graph_datetime(value: str, zone: tzinfo) -> datetime:
    """Graph's `dateTime` ("2026-12-01T09:00:00.0000000", no offset) read in `zone`; result in UTC."""
    text = value.strip()
    try:
        # Python 3.11 reads Graph's seven fraction digits (truncated to six) and a trailing Z itself: one
        # call, a third of the time of the loop below (9 against 24 µs), on every event of every calendar read.
        naive = datetime.fromisoformat(text)
    except ValueError:
        naive = _parse_loosely(text)
        if text.endswith("Z"):
            zone = UTC
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return _localize(naive, zone).astimezone(UTC)


def _parse_loosely(text: str) -> datetime:
    if text.endswith("Z"):
        text = text[:-1]
    head, _, frac = text.partition(".")
    naive = datetime.fromisoformat(head)
    if frac:
        digits = "".join(ch for ch in frac if ch.isdigit())[:6].ljust(6, "0")
        naive = naive.replace(microsecond=int(digits))
    return naive


def _localize(naive: datetime, zone: tzinfo) -> datetime:
    return naive.replace(tzinfo=zone)


class _Transition:
    """One yearly switch of a Windows zone: the n-th (5 = last) weekday of a month at a time."""

    def __init__(self, month: int, weekday: int, occurrence: int, at: time) -> None:
        self.month, self.weekday, self.occurrence, self.at = month, weekday, occurrence, at

    @classmethod
    def from_graph(cls, value: Mapping[str, Any]) -> _Transition | None:
        month = int(value.get("month") or 0)
        if month == 0:
            return None
        weekday = _WEEKDAYS.index(str(value.get("dayOfWeek", "sunday")).lower())
        occurrence = int(value.get("dayOccurrence") or 1)
        at = time.fromisoformat(str(value.get("time", "00:00:00")).split(".")[0])
        return cls(month, weekday, occurrence, at)

    def local_moment(self, year: int) -> datetime:
        first = date(year, self.month, 1)
        offset = (self.weekday - first.weekday()) % 7
        day = 1 + offset + 7 * (min(self.occurrence, 5) - 1)
        last_day = calendar.monthrange(year, self.month)[1]
        while day > last_day:
            day -= 7
        return datetime.combine(date(year, self.month, day), self.at)


class CustomTimeZone(tzinfo):
    """Graph `customTimeZone`: UTC = local + bias (+ daylightBias while daylight time applies)."""

    def __init__(
        self,
        name: str,
        bias: int,
        standard_bias: int = 0,
        daylight_bias: int = 0,
        to_standard: _Transition | None = None,
        to_daylight: _Transition | None = None,
    ) -> None:
        self._name = name
        self._standard = timedelta(minutes=-(bias + standard_bias))
        self._daylight = timedelta(minutes=-(bias + daylight_bias))
        self._to_standard = to_standard
        self._to_daylight = to_daylight

    @classmethod
    def from_graph(cls, value: Mapping[str, Any]) -> CustomTimeZone:
        standard = value.get("standardOffset") or {}
        daylight = value.get("daylightOffset") or {}
        return cls(
            name=str(value.get("name") or "Customized Time Zone"),
            bias=int(value.get("bias") or 0),
            standard_bias=int(standard.get("standardBias") or 0),
            daylight_bias=int(daylight.get("daylightBias") or 0),
            to_standard=_Transition.from_graph(standard),
            to_daylight=_Transition.from_graph(daylight),
        )

    def _is_daylight(self, local: datetime) -> bool:
        if self._to_standard is None or self._to_daylight is None or self._standard == self._daylight:
            return False
        naive = local.replace(tzinfo=None, fold=0)
        begins = self._to_daylight.local_moment(naive.year)
        ends = self._to_standard.local_moment(naive.year)
        repeated = ends - (self._daylight - self._standard)  # the fall-back hour happens twice
        if local.fold == 1 and repeated <= naive < ends:
            return False  # the second time through: standard time (PEP 495)
        if begins < ends:  # northern hemisphere: daylight inside the year
            return begins <= naive < ends
        return not (ends <= naive < begins)  # southern hemisphere: daylight across new year

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return self._standard
        return self._daylight if self._is_daylight(dt) else self._standard

    def dst(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return timedelta(0)
        return self._daylight - self._standard if self._is_daylight(dt) else timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return self._name

    def fromutc(self, dt: datetime) -> datetime:
        naive = dt.replace(tzinfo=None)
        standard = (naive + self._standard).replace(tzinfo=self)
        if not self._is_daylight(standard):
            return standard
        daylight = (naive + self._daylight).replace(tzinfo=self)
        if self._is_daylight(daylight):
            return daylight
        return standard.replace(fold=1)  # inside the repeated fall-back hour, second pass

    def __repr__(self) -> str:
        return f"CustomTimeZone({self._name!r}, standard={self._standard}, daylight={self._daylight})"
