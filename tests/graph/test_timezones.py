"""Graph time zones: Windows names through CLDR, IANA names, and customTimeZone rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.timezones import CustomTimeZone, UnknownTimeZone, parse_graph_datetime, windows_name, zone_from_name

# The doc example (calendar-getschedule.md): bias 480, daylight -60, 2nd Sunday of March to 1st Sunday of
# November at 02:00 = US Pacific. 2026: daylight from 2026-03-08 02:00 PST to 2026-11-01 02:00 PDT.
PACIFIC = CustomTimeZone.from_graph(
    {
        "bias": 480,
        "name": "Customized Time Zone",
        "standardOffset": {"time": "02:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11},
        "daylightOffset": {
            "daylightBias": -60,
            "time": "02:00:00.0000000",
            "dayOccurrence": 2,
            "dayOfWeek": "sunday",
            "month": 3,
        },
    }
)


@pytest.mark.parametrize(
    ("utc", "local", "offset_hours"),
    [
        ("2026-01-15T20:00:00", "2026-01-15T12:00:00", -8),
        ("2026-03-08T09:30:00", "2026-03-08T01:30:00", -8),  # the hour before the spring change
        ("2026-03-08T10:30:00", "2026-03-08T03:30:00", -7),  # just after it: 02:00 PST became 03:00 PDT
        ("2026-07-01T19:00:00", "2026-07-01T12:00:00", -7),
        ("2026-11-01T08:30:00", "2026-11-01T01:30:00", -7),  # first pass through 01:30
        ("2026-11-01T09:30:00", "2026-11-01T01:30:00", -8),  # second pass through 01:30
        ("2026-11-01T10:30:00", "2026-11-01T02:30:00", -8),
    ],
)
def test_custom_zone_follows_the_doc_example_through_both_changes(utc: str, local: str, offset_hours: int) -> None:
    moment = datetime.fromisoformat(utc).replace(tzinfo=UTC).astimezone(PACIFIC)
    assert moment.replace(tzinfo=None, fold=0) == datetime.fromisoformat(local)
    assert moment.utcoffset() == timedelta(hours=offset_hours)
    assert moment.astimezone(UTC) == datetime.fromisoformat(utc).replace(tzinfo=UTC)


def test_southern_hemisphere_custom_zone() -> None:
    # Sydney as Windows describes it: bias -600, daylight -60 from the 1st Sunday of October to the
    # 1st Sunday of April (03:00). January is daylight (UTC+11), July standard (UTC+10).
    sydney = CustomTimeZone.from_graph(
        {
            "bias": -600,
            "standardOffset": {"time": "03:00:00", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 4},
            "daylightOffset": {
                "time": "02:00:00",
                "dayOccurrence": 1,
                "dayOfWeek": "sunday",
                "month": 10,
                "daylightBias": -60,
            },
        }
    )
    assert datetime(2026, 1, 10, 12, tzinfo=sydney).utcoffset() == timedelta(hours=11)
    assert datetime(2026, 7, 10, 12, tzinfo=sydney).utcoffset() == timedelta(hours=10)


def test_windows_and_iana_names() -> None:
    assert datetime(2026, 1, 1, tzinfo=zone_from_name("India Standard Time")).utcoffset() == timedelta(hours=5.5)
    assert datetime(2026, 1, 1, tzinfo=zone_from_name("Nepal Standard Time")).utcoffset() == timedelta(
        hours=5, minutes=45
    )
    assert datetime(2026, 7, 1, tzinfo=zone_from_name("Europe/London")).utcoffset() == timedelta(hours=1)
    assert zone_from_name("UTC") is UTC
    assert windows_name(zone_from_name("Asia/Kolkata")) == "India Standard Time"
    with pytest.raises(UnknownTimeZone):
        zone_from_name("Mars Standard Time")


def test_graph_datetime_strings_are_read_in_their_zone() -> None:
    pst = zone_from_name("Pacific Standard Time")
    assert parse_graph_datetime("2026-12-01T09:00:00.0000000", pst) == datetime(2026, 12, 1, 17, tzinfo=UTC)
    assert parse_graph_datetime("2026-12-01T09:00:00.1234567", UTC).microsecond == 123456
    assert parse_graph_datetime("2026-12-01T09:00:00Z", pst) == datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_meetings_are_written_in_the_organizers_zone_unless_the_wall_time_repeats() -> None:
    from graph.base import _local_moment

    summer = _local_moment(datetime(2026, 7, 1, 16, tzinfo=UTC), "Pacific Standard Time")
    assert (summer.date_time, summer.time_zone) == ("2026-07-01T09:00:00", "Pacific Standard Time")
    # 2026-11-01 01:30 happens twice in Pacific time (08:30Z and 09:30Z): written in UTC instead.
    repeated = _local_moment(datetime(2026, 11, 1, 9, 30, tzinfo=UTC), "Pacific Standard Time")
    assert (repeated.date_time, repeated.time_zone) == ("2026-11-01T09:30:00", "UTC")
    assert _local_moment(datetime(2026, 1, 1, tzinfo=UTC), "Nowhere Standard Time").time_zone == "UTC"
