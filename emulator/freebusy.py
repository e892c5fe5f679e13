"""How getSchedule shows a person's working hours (`scheduleInformation.workingHours`), set with
`POST /_emulator/config {"freeBusyWorkingHours": ...}`:

- "mailbox" (default): the mailbox settings' `workingHours` as they are, zone by name. Documented:
  resources/scheduleinformation.md says they "are set as part of the user's mailboxSettings", and the
  first person in api/calendar-getschedule.md's example comes back so ("Pacific Standard Time").
- "customTimeZone": the zone written out as Windows rules (`@odata.type` customTimeZone, name
  "Customized Time Zone", bias, standardOffset, daylightOffset), as the second person in that example and
  the only one in concepts/outlook-get-free-busy-schedule.md come back, for a plain Pacific zone.
- "omitted": no `workingHours` at all, as tenants report for some people (docs-contrib #4239
  "GetSchedule request is not returning WorkingHours for particular emails", #4377 "No explanation as to
  why workingHours may not be returned"; no answer says when).

The two stricter forms exist so that clients reading working hours from getSchedule are tested against
what Graph may send, not only against the friendliest form.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from graph.timezones import UnknownTimeZone, zone_from_graph

__all__ = ["FREE_BUSY_FORMS", "schedule_working_hours"]

FREE_BUSY_FORMS = ("mailbox", "customTimeZone", "omitted")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NO_CHANGE = {"time": "00:00:00.0000000", "dayOccurrence": 0, "dayOfWeek": "sunday", "month": 0, "year": 0}


def schedule_working_hours(hours: dict[str, Any], form: str, year: int) -> dict[str, Any] | None:
    """The `workingHours` of one scheduleInformation, in `form`; None when it is left out."""
    if form == "omitted" or not hours:
        return None
    if form != "customTimeZone":
        return dict(hours)
    zone_value = hours.get("timeZone")
    custom = isinstance(zone_value, dict) and (
        "bias" in zone_value or "customTimeZone" in str(zone_value.get("@odata.type"))
    )
    if custom:
        return dict(hours)  # already custom
    try:
        zone = zone_from_graph(zone_value)
    except UnknownTimeZone:
        return dict(hours)  # a name no table knows stays as it is (a client must cope with it too)
    return {**hours, "timeZone": _custom(zone, year)}


def _custom(zone: tzinfo, year: int) -> dict[str, Any]:
    return dict(_custom_cached(zone, year))


@lru_cache(maxsize=256)
def _custom_cached(zone: tzinfo, year: int) -> dict[str, Any]:
    """The zone's rules in `year` as a Graph customTimeZone: UTC = local + bias (+ daylightBias)."""
    changes = _changes(zone, year)
    standard = _offset_minutes(zone, datetime(year, 1, 1, tzinfo=UTC))
    daylight_minutes = 0
    standard_change = dict(_NO_CHANGE)
    daylight_change = dict(_NO_CHANGE)
    for at, before, after in changes:
        shift = after.dst() or timedelta(0)
        local = at + (before.utcoffset() or timedelta(0))
        if shift:
            # Into daylight time: Windows names the local standard time at which clocks move.
            daylight_minutes = int(shift.total_seconds() // 60)
            daylight_change = _change(local)
        else:
            standard = int((after.utcoffset() or timedelta(0)).total_seconds() // 60)
            standard_change = _change(local)  # back to standard: the local daylight time it happens at
    return {
        "@odata.type": "#microsoft.graph.customTimeZone",
        "bias": -standard,
        "name": "Customized Time Zone",
        "standardOffset": standard_change,
        "daylightOffset": {**daylight_change, "daylightBias": -daylight_minutes},
    }


def _offset_minutes(zone: tzinfo, at: datetime) -> int:
    offset = at.astimezone(zone).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def _changes(zone: tzinfo, year: int) -> list[tuple[datetime, datetime, datetime]]:
    """(UTC moment, local just before, local just after) of each offset change in `year`, to the minute."""
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    previous = moment.astimezone(zone)
    while moment < end:
        following = (moment + step).astimezone(zone)
        if following.utcoffset() != previous.utcoffset():
            low, high = moment, moment + step
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == previous.utcoffset():
                    low = middle
                else:
                    high = middle
            found.append((high.replace(tzinfo=None), previous, following))
        moment, previous = moment + step, following
    return found


def _change(local: datetime) -> dict[str, Any]:
    day = local.date()
    last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
    occurrence = 5 if day.day + 7 > last else (day.day - 1) // 7 + 1
    return {
        "time": local.strftime("%H:%M:%S") + ".0000000",
        "dayOccurrence": occurrence,
        "dayOfWeek": _WEEKDAYS[day.weekday()],
        "month": day.month,
        "year": 0,
    }
