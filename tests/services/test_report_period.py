"""The one report-period rule (services.report.resolve_period), worked out by hand.

NOW is Mon 30 Nov 2026 06:00 UTC: 07:00 in Paris, Sun 29 Nov 22:00 in Los Angeles."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.errors import InputError, OutOfRange
from services.report import ReportPeriod, parse_zone, resolve_period

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
LA = ZoneInfo("America/Los_Angeles")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def span(period: ReportPeriod) -> tuple[datetime, datetime]:
    return period.start, period.end


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # Neither: the 12 weeks (84 days) ending at the end of today: Dec 1 - 84 days = Sep 8.
        ({}, ("2026-09-08T00:00", "2026-12-01T00:00")),
        # `to` alone: the 12 weeks ending there (Jan 1 - 84 days = Oct 9), the case the CLI used to refuse.
        ({"period_to": "2026-01-01T00:00:00Z"}, ("2025-10-09T00:00", "2026-01-01T00:00")),
        # `from` alone: up to the end of today.
        ({"period_from": "2026-11-01T00:00:00Z"}, ("2026-11-01T00:00", "2026-12-01T00:00")),
        # Both: as given, offsets read.
        (
            {"period_from": "2026-03-02T01:00:00+01:00", "period_to": "2026-03-23T00:00:00Z"},
            ("2026-03-02T00:00", "2026-03-23T00:00"),
        ),
        # Exactly 366 days is allowed.
        (
            {"period_from": "2025-01-01T00:00:00Z", "period_to": "2026-01-02T00:00:00Z"},
            ("2025-01-01T00:00", "2026-01-02T00:00"),
        ),
    ],
)
def test_the_period_from_what_is_given(given: dict[str, Any], expected: tuple[str, str]) -> None:
    assert span(resolve_period(NOW, **given)) == (utc(expected[0]), utc(expected[1]))


@pytest.mark.parametrize(
    ("zone", "end"),
    [
        (UTC, "2026-12-01T00:00"),
        (PARIS, "2026-11-30T23:00"),  # midnight starting Tue 1 Dec in Paris (UTC+1)
        (LA, "2026-11-30T08:00"),  # it is still Sunday there: midnight starting Mon 30 Nov (UTC-8)
    ],
)
def test_the_end_of_today_is_the_viewers(zone: tzinfo, end: str) -> None:
    period = resolve_period(NOW, zone=zone)
    assert period.end == utc(end)
    assert period.zone is zone


def test_twelve_weeks_back_across_summer_time_start_at_local_midnight() -> None:
    # Today ends Mon 30 Nov 00:00 PST (08:00Z); 84 days before is Mon 7 Sep 00:00 PDT (UTC-7) = 07:00Z.
    assert span(resolve_period(NOW, zone=LA)) == (utc("2026-09-07T07:00"), utc("2026-11-30T08:00"))


def test_a_quarter_with_the_one_before() -> None:
    q4 = resolve_period(NOW, quarter="2026Q4")
    assert span(q4) == (utc("2026-10-01T00:00"), utc("2027-01-01T00:00"))
    assert q4.previous == (utc("2026-07-01T00:00"), utc("2026-10-01T00:00"))
    assert (q4.label, q4.previous_label) == ("2026 Q4", "2026 Q3")


def test_a_first_quarter_in_paris_compares_with_the_last_of_the_year_before() -> None:
    q1 = resolve_period(NOW, quarter="2026-q1", zone=PARIS)
    # Jan 1 00:00 CET = Dec 31 23:00Z; Apr 1 00:00 CEST (UTC+2) = Mar 31 22:00Z; Oct 1 00:00 CEST = Sep 30 22:00Z.
    assert span(q1) == (utc("2025-12-31T23:00"), utc("2026-03-31T22:00"))
    assert q1.previous == (utc("2025-09-30T22:00"), utc("2025-12-31T23:00"))
    assert q1.previous_label == "2025 Q4"


@pytest.mark.parametrize(
    ("given", "field", "error"),
    [
        ({"period_from": "2026-12-07T00:00:00Z", "period_to": "2026-12-01T00:00:00Z"}, "to", InputError),
        ({"period_from": "2026-12-01T00:00:00Z", "period_to": "2026-12-01T00:00:00Z"}, "to", InputError),
        ({"period_from": "2026-12-02T00:00:00Z"}, "from", InputError),  # after the end of today, no `to`
        ({"period_from": ""}, "from", InputError),  # given and empty is not "not given"
        ({"period_to": "soon"}, "to", InputError),
        # Longer than 366 days: the bound the caller gave.
        ({"period_from": "2025-11-01T00:00:00Z"}, "from", OutOfRange),  # 395 days to Dec 1 2026
        ({"period_from": "2025-01-01T00:00:00Z", "period_to": "2026-01-03T00:00:00Z"}, "to", OutOfRange),
        ({"quarter": "2026Q5"}, "quarter", OutOfRange),
        ({"quarter": "Q4 2026"}, "quarter", OutOfRange),
        ({"quarter": ""}, "quarter", OutOfRange),
        ({"quarter": "1900Q1"}, "quarter", OutOfRange),
        ({"quarter": "2026Q4", "period_to": "2026-12-01T00:00:00Z"}, "quarter", OutOfRange),
    ],
)
def test_a_bad_period_names_its_field(given: dict[str, Any], field: str, error: type[InputError]) -> None:
    with pytest.raises(InputError) as caught:
        resolve_period(NOW, **given)
    assert type(caught.value) is error
    assert caught.value.field == field


def test_the_cli_prefix_is_in_the_field_name() -> None:
    with pytest.raises(OutOfRange) as caught:
        resolve_period(NOW, period_from="2020-01-01T00:00:00Z", flag="--")
    assert caught.value.field == "--from"


@pytest.mark.parametrize("text", ["Mars/Olympus", "", "   ", "../../etc/passwd", "/etc/localtime", "x" * 80])
def test_an_unknown_zone_is_a_422_naming_tz(text: str) -> None:
    with pytest.raises(OutOfRange) as caught:
        parse_zone("tz", text)
    assert caught.value.field == "tz"


def test_zones_by_iana_name() -> None:
    assert parse_zone("tz", None) is None
    assert parse_zone("tz", "utc") is UTC
    assert parse_zone("tz", " Europe/Paris ") == PARIS
