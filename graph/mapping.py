"""Graph's JSON to the core's plain values: Graph JSON never travels past the adapter.

The adapter reads Graph's answers as JSON rather than as msgraph-sdk models: building the SDK's
`Event` models costs about 6 ms of CPU per event (msgraph-sdk-python#584), `json.loads` 0.08 ms, and a
mentor's cap window holds dozens of events on every search and booking.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, time, tzinfo
from typing import Any

from core.model import CalendarItem, WorkingHours
from core.quiet_hours import AutoReplies
from graph.timezones import UnknownTimeZone, parse_graph_datetime, zone_from_graph, zone_from_name
from graph.values import EventSnapshot

__all__ = [
    "auto_replies_from_json",
    "event_snapshot", "graph_moment", "item_from_json", "mailbox_zone",
    "working_hours_from_json",
]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


log = logging.getLogger(__name__)


def graph_moment(value: Mapping[str, Any] | None) -> datetime:
    """A `dateTimeTimeZone` object to an aware UTC datetime."""
    if not value or not value.get("dateTime"):
        raise ValueError("dateTimeTimeZone without a dateTime")
    name = value.get("timeZone") or "UTC"
    return parse_graph_datetime(str(value["dateTime"]), zone_from_name(str(name)))


def mailbox_zone(name: str | None) -> tzinfo:
    """The mailbox's zone; a name Graph sends that no table knows falls back to UTC, as Outlook does."""
    try:
        return zone_from_name(name) if name else UTC
    except UnknownTimeZone:
        return UTC


def auto_replies_from_json(value: Any) -> AutoReplies | None:
    """`automaticRepliesSetting` (resources/automaticrepliessetting.md): status, and the scheduled window
    as aware UTC moments when both ends parse."""
    if not isinstance(value, Mapping) or not isinstance(value.get("status"), str):
        return None
    start: datetime | None
    end: datetime | None
    try:
        start = graph_moment(value.get("scheduledStartDateTime"))
        end = graph_moment(value.get("scheduledEndDateTime"))
    except (ValueError, UnknownTimeZone):
        start = end = None
    return AutoReplies(str(value["status"]), start, end)


def working_hours_from_json(value: Mapping[str, Any] | None, default_zone: tzinfo | None) -> WorkingHours | None:
    """`workingHours`: one range for all working days, in its own (possibly custom) time zone.

    A zone no table knows is read as `default_zone` (the mailbox's, from mailboxSettings); with no
    default (getSchedule's copy, which comes without the mailbox zone) the hours are None, so the
    caller reads the mailbox settings instead of guessing."""
    if not value or not value.get("daysOfWeek") or not value.get("startTime") or not value.get("endTime"):
        return None
    days = frozenset(_WEEKDAYS.index(str(d).lower()) for d in value["daysOfWeek"])
    named = value.get("timeZone")
    if default_zone is None and not (named.get("name") or "bias" in named if isinstance(named, Mapping) else named):
        return None  # hours without a zone, and no mailbox zone to read them in
    try:
        zone = zone_from_graph(named, default_zone or UTC)
    except (UnknownTimeZone, ValueError, TypeError, KeyError) as exc:
        # Real mailboxes carry names no table knows (`tzone://Microsoft/Custom`, a bare "Customized Time
        # Zone" without its rules): read the hours in the mailbox's zone rather than fail the search.
        if default_zone is None:
            log.info("working hours in an unknown time zone %r (%s): left to mailbox settings", named, exc)
            return None
        log.warning("working hours in an unknown time zone %r (%s): using the mailbox zone", value.get("timeZone"), exc)
        zone = default_zone
    return WorkingHours(
        days=days,
        start=_clock(str(value["startTime"])),
        end=_clock(str(value["endTime"])),
        tz=zone,
    )


def _clock(text: str) -> time:
    return time.fromisoformat(text.split(".")[0])


def item_from_json(value: Mapping[str, Any]) -> CalendarItem:
    """An `event` (calendarView) or a `scheduleItem` (getSchedule); `status` casing varies in Graph."""
    show_as = str(value.get("showAs") or value.get("status") or "busy")
    return CalendarItem(
        start=graph_moment(value.get("start")),
        end=graph_moment(value.get("end")),
        show_as=show_as[:1].lower() + show_as[1:],
        subject=str(value.get("subject") or ""),
        categories=tuple(str(c) for c in value.get("categories") or ()),
        is_all_day=bool(value.get("isAllDay", False)),
        is_cancelled=bool(value.get("isCancelled", False)),
        event_id=value.get("id"),
    )


def event_snapshot(value: Mapping[str, Any]) -> EventSnapshot:
    responses: dict[str, str] = {}
    for attendee in value.get("attendees") or ():
        address = str((attendee.get("emailAddress") or {}).get("address") or "").lower()
        if address:
            responses[address] = str((attendee.get("status") or {}).get("response") or "none")
    meeting = value.get("onlineMeeting") or {}
    return EventSnapshot(
        id=str(value["id"]),
        start=graph_moment(value.get("start")),
        end=graph_moment(value.get("end")),
        is_cancelled=bool(value.get("isCancelled", False)),
        join_url=meeting.get("joinUrl"),
        responses=responses,
        transaction_id=value.get("transactionId"),
        subject=str(value.get("subject") or ""),
        categories=tuple(str(c) for c in value.get("categories") or ()),
        body_html=str((value.get("body") or {}).get("content") or ""),
    )
