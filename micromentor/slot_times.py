"""`slots` output for people: each slot in each person's own time, and whose day its `why` talks about
(the ranking looks at the mentor's free blocks, on the mentor's local day)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from core.timefmt import parse_aware

__all__ = ["with_local_times"]


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def _local(start: datetime, end: datetime, zone: tzinfo) -> str:
    a, b = start.astimezone(zone), end.astimezone(zone)
    return f"{a:%a} {a.day} {a:%b %H:%M}-{b:%H:%M} {_zone_name(zone)}"


def with_local_times(body: dict[str, Any], zones: Mapping[str, tzinfo], mentor: str) -> dict[str, Any]:
    """Adds `local` ({person: "Mon 30 Nov 08:00-08:15 Europe/London"}) to each slot, and names the mentor's
    day and zone at the end of each `why`."""
    mentor = mentor.strip().lower()
    for slot in body.get("slots", []):
        start, end = parse_aware("start", slot["start"]), parse_aware("end", slot["end"])
        slot["local"] = {person: _local(start, end, zone) for person, zone in zones.items()}
        if slot.get("why") and mentor in zones:
            slot["why"] = f"{slot['why']} (the mentor's day, {_zone_name(zones[mentor])})"
    return body
