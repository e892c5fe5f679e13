"""msgraph-sdk models to the core's plain values: Graph JSON never travels past the adapter."""

from __future__ import annotations

from datetime import datetime, time, tzinfo
from enum import Enum
from typing import Any

from core.model import CalendarItem, WorkingHours
from graph.timezones import CustomTimeZone, parse_graph_datetime, zone_from_graph, zone_from_name

__all__ = [
    "DEFAULT_WORKING_HOURS",
    "enum_text",
    "graph_time",
    "to_calendar_item",
    "to_working_hours",
    "zone_of",
]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_WORKING_HOURS = (frozenset(range(5)), time(8, 0), time(17, 0))


def enum_text(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    return "" if value is None else str(value)


def graph_time(value: Any) -> datetime:
    """A `dateTimeTimeZone` model to an aware UTC datetime."""
    zone = zone_from_name(value.time_zone) if value.time_zone else zone_from_name("UTC")
    return parse_graph_datetime(str(value.date_time), zone)


def _offset_dict(offset: Any, bias_key: str, bias_attr: str) -> dict[str, Any]:
    if offset is None:
        return {}
    return {
        "time": offset.time.isoformat() if offset.time else "00:00:00",
        "dayOccurrence": offset.day_occurrence or 0,
        "dayOfWeek": enum_text(offset.day_of_week) or "sunday",
        "month": offset.month or 0,
        "year": offset.year or 0,
        bias_key: getattr(offset, bias_attr, 0) or 0,
    }


def zone_of(time_zone: Any, default: tzinfo) -> tzinfo:
    """A `timeZoneBase` or `customTimeZone` model to a tzinfo."""
    if time_zone is None:
        return default
    if hasattr(time_zone, "bias") and time_zone.bias is not None:
        return CustomTimeZone.from_graph(
            {
                "name": time_zone.name,
                "bias": time_zone.bias,
                "standardOffset": _offset_dict(time_zone.standard_offset, "standardBias", "standard_bias"),
                "daylightOffset": _offset_dict(time_zone.daylight_offset, "daylightBias", "daylight_bias"),
            }
        )
    return zone_from_graph({"name": time_zone.name} if time_zone.name else None, default)


def to_working_hours(model: Any, mailbox_zone: tzinfo) -> WorkingHours | None:
    if model is None or not model.days_of_week or model.start_time is None or model.end_time is None:
        return None
    days = frozenset(_WEEKDAYS.index(enum_text(d).lower()) for d in model.days_of_week)
    return WorkingHours(
        days=days,
        start=model.start_time,
        end=model.end_time,
        tz=zone_of(model.time_zone, mailbox_zone),
    )


def to_calendar_item(event: Any) -> CalendarItem:
    """An `event` model (calendarView) or a `scheduleItem` model (getSchedule)."""
    show_as = enum_text(getattr(event, "show_as", None) or getattr(event, "status", None)) or "busy"
    return CalendarItem(
        start=graph_time(event.start),
        end=graph_time(event.end),
        show_as=show_as[0].lower() + show_as[1:],
        subject=getattr(event, "subject", None) or "",
        categories=tuple(getattr(event, "categories", None) or ()),
        is_all_day=bool(getattr(event, "is_all_day", False)),
        is_cancelled=bool(getattr(event, "is_cancelled", False)),
        event_id=getattr(event, "id", None),
    )
