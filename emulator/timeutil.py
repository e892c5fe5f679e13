"""Graph date-time shapes: `dateTimeTimeZone` in and out, ISO query parameters, UTC stamps.

Zone names go through `graph.timezones` (CLDR's Windows table, IANA names, customTimeZone)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from graph.timezones import UnknownTimeZone, parse_graph_datetime, zone_from_graph, zone_from_name

__all__ = [
    "DateTimeZone",
    "UnknownTimeZone",
    "dtz_json",
    "local_text",
    "parse_dtz",
    "parse_iso",
    "utc_stamp",
    "zone_for_output",
]


class DateTimeZone:
    """A parsed Graph `dateTimeTimeZone`: the instant (UTC), the zone and the name the client used."""

    __slots__ = ("at", "name", "zone")

    def __init__(self, at: datetime, zone: tzinfo, name: str) -> None:
        self.at, self.zone, self.name = at, zone, name


def parse_dtz(value: Any) -> DateTimeZone:
    """`{"dateTime": "...", "timeZone": "..."}` → DateTimeZone; ValueError names the bad key."""
    if not isinstance(value, Mapping):
        raise ValueError("expected a dateTimeTimeZone object")
    raw_zone = value.get("timeZone", "UTC")
    if raw_zone is None or raw_zone == "":
        raw_zone = "UTC"
    if not isinstance(raw_zone, str):
        raise ValueError("timeZone: expected a string")
    try:
        zone = zone_from_name(raw_zone)
    except UnknownTimeZone as exc:
        raise ValueError(f"timeZone: {exc}") from None
    text = value.get("dateTime")
    if not isinstance(text, str) or not text:
        raise ValueError("dateTime: expected an ISO 8601 date-time string")
    try:
        at = parse_graph_datetime(text, zone)
    except ValueError:
        raise ValueError(f"dateTime: {text!r} is not an ISO 8601 date-time") from None
    return DateTimeZone(at, zone, raw_zone)


def local_text(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).replace(tzinfo=None).isoformat(timespec="microseconds") + "0"


def dtz_json(at: datetime, zone: tzinfo | None = None, name: str | None = None) -> dict[str, str]:
    """An instant as Graph returns it: UTC unless a Prefer zone was asked for (then in that zone, by that name)."""
    if zone is None or name is None:
        return {"dateTime": local_text(at, UTC), "timeZone": "UTC"}
    return {"dateTime": local_text(at, zone), "timeZone": name}


def utc_stamp(at: datetime) -> str:
    """Graph's timestamp style, seven fractional digits: `2017-04-15T03:00:50.7579581Z`."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "0Z"


def parse_iso(text: str) -> datetime:
    """Query-string date-times: read by their own offset, UTC when they carry none (calendarView's rule)."""
    value = text.strip().replace(" ", "+") if "T" in text else text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    head, dot, rest = value.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        tail = rest[len(digits) :]
        value = f"{head}.{digits[:6].ljust(6, '0')}{tail}"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def zone_for_output(name: str | None) -> tuple[tzinfo | None, str | None]:
    """The Prefer outlook.timezone zone, or (None, None) for UTC; unknown names fall back to UTC."""
    if not name:
        return None, None
    try:
        return zone_from_graph(name), name
    except (UnknownTimeZone, ValueError):
        return None, None
