"""Events as they appear in a time window: single instances, and series expanded into occurrences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from emulator.model import Event

__all__ = ["Occurrence", "expand", "instance_at", "occurrence_id", "overlaps", "single", "split_occurrence_id"]


@dataclass(frozen=True)
class Occurrence:
    event: Event
    id: str
    start: datetime
    end: datetime
    kind: str  # singleInstance | occurrence | seriesMaster
    cancelled: bool


def occurrence_id(master_id: str, start: datetime) -> str:
    return f"{master_id.rstrip('=')}_{start.astimezone(UTC):%Y%m%dT%H%M%S}="


def split_occurrence_id(value: str) -> tuple[str, datetime] | None:
    head, sep, tail = value.partition("_")
    if not sep:
        return None
    try:
        start = datetime.strptime(tail.rstrip("="), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return head + "=", start


def overlaps(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> bool:
    if start == end:
        return window_start <= start < window_end
    return start < window_end and end > window_start


def single(event: Event) -> Occurrence:
    kind = "seriesMaster" if event.is_series else "singleInstance"
    return Occurrence(event, event.id, event.start, event.end, kind, event.is_cancelled)


def _series_instance(event: Event, day_start: datetime) -> tuple[datetime, datetime]:
    zone = event.start_zone
    local_start = event.start.astimezone(zone).replace(tzinfo=None)
    local_end = event.end.astimezone(zone).replace(tzinfo=None)
    # Keep wall-clock times across DST changes: a 09:00-09:15 stand-up stays 09:00-09:15 local.
    naive = datetime.combine(day_start.date(), local_start.time())
    start = naive.replace(tzinfo=zone).astimezone(UTC)
    end = (naive + (local_end - local_start)).replace(tzinfo=zone).astimezone(UTC)
    return start, end


def expand(event: Event, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """The event's instances overlapping [window_start, window_end)."""
    if event.recurrence is None:
        if overlaps(event.start, event.end, window_start, window_end):
            return [single(event)]
        return []
    zone = event.start_zone
    span = event.end - event.start
    first = (window_start - span - timedelta(days=2)).astimezone(zone).date()
    last = (window_end + timedelta(days=2)).astimezone(zone).date()
    result = []
    for day in event.recurrence.dates(first, last):
        start, end = _series_instance(event, datetime.combine(day, datetime.min.time()))
        if start in event.removed_starts or not overlaps(start, end, window_start, window_end):
            continue
        cancelled = event.is_cancelled or start in event.cancelled_starts
        result.append(Occurrence(event, occurrence_id(event.id, start), start, end, "occurrence", cancelled))
    return result


def instance_at(event: Event, start: datetime) -> Occurrence | None:
    """The occurrence of a series that starts at `start`, if the pattern has one."""
    for occurrence in expand(event, start, start + timedelta(seconds=1)):
        if occurrence.start == start:
            return occurrence
    return None

