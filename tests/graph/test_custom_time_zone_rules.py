"""Client CustomTimeZone against IANA rules, fed the documented example and the emulator's own writing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from emulator.freebusy import schedule_working_hours
from graph.mapping import working_hours_from_json
from graph.timezones import CustomTimeZone

# api-reference/v1.0/api/calendar-getschedule.md, second scheduleInformation (Pacific, "Customized Time Zone").
DOC_PACIFIC = {
    "@odata.type": "#microsoft.graph.customTimeZone", "bias": 480, "name": "Customized Time Zone",
    "standardOffset": {"time": "02:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11, "year": 0},
    "daylightOffset": {"daylightBias": -60, "time": "02:00:00.0000000", "dayOccurrence": 2, "dayOfWeek": "sunday",
                       "month": 3, "year": 0},
}  # fmt: skip


def _mismatches(custom: CustomTimeZone, iana: ZoneInfo, year: int) -> list[datetime]:
    bad, moment = [], datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        if moment.astimezone(custom).utcoffset() != moment.astimezone(iana).utcoffset():
            bad.append(moment)
        # local -> UTC round trip on the hour (what _local_seconds does)
        local = moment.astimezone(iana).replace(tzinfo=None)
        if local.replace(tzinfo=custom).astimezone(UTC) != local.replace(tzinfo=iana).astimezone(UTC):
            bad.append(moment)
        moment += timedelta(minutes=30)
    return bad


def test_the_documented_pacific_custom_zone_matches_los_angeles() -> None:
    assert _mismatches(CustomTimeZone.from_graph(DOC_PACIFIC), ZoneInfo("America/Los_Angeles"), 2026) == []


@pytest.mark.parametrize(
    "name,iana",
    [
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("GMT Standard Time", "Europe/London"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("Pacific SA Standard Time", "America/Santiago"),
        ("New Zealand Standard Time", "Pacific/Auckland"),
        ("India Standard Time", "Asia/Kolkata"),
        ("Europe/Dublin", "Europe/Dublin"),
        ("Lord Howe Standard Time", "Australia/Lord_Howe"),
    ],
)
def test_emulator_custom_form_read_back_matches_iana(name: str, iana: str) -> None:
    hours = {
        "daysOfWeek": ["monday"],
        "startTime": "09:00:00.0000000",
        "endTime": "17:00:00.0000000",
        "timeZone": {"name": name},
    }
    written = schedule_working_hours(hours, "customTimeZone", 2026)
    assert written is not None
    read = working_hours_from_json(written, None)
    assert read is not None
    assert _mismatches(read.tz, ZoneInfo(iana), 2026) == []  # type: ignore[arg-type]


def test_emulator_writes_dublin_as_graph_would_bias_0_daylight_minus_60() -> None:
    hours = {
        "daysOfWeek": ["monday"],
        "startTime": "09:00:00.0000000",
        "endTime": "17:00:00.0000000",
        "timeZone": {"name": "Europe/Dublin"},
    }
    tz = schedule_working_hours(hours, "customTimeZone", 2026)["timeZone"]  # type: ignore[index]
    # Windows "GMT Standard Time" (Dublin's Windows zone): Bias 0, DaylightBias -60, daylight from March.
    assert (tz["bias"], tz["daylightOffset"]["daylightBias"], tz["daylightOffset"]["month"]) == (0, -60, 3)
