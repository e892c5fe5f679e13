"""patternedRecurrence expansion, with expected dates worked out on a calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from emulator.recurrence import Recurrence, RecurrenceError
from emulator.seed import load_seed
from emulator.state import TenantState


def dates(pattern: dict[str, Any], rng: dict[str, Any], first: str, last: str) -> list[str]:
    rec = Recurrence.from_graph({"pattern": pattern, "range": rng}, date(2026, 11, 30))
    return [d.isoformat() for d in rec.dates(date.fromisoformat(first), date.fromisoformat(last))]


def test_daily_every_other_day_until_end_date_inclusive() -> None:
    got = dates(
        {"type": "daily", "interval": 2},
        {"type": "endDate", "startDate": "2026-11-30", "endDate": "2026-12-06"},
        "2026-11-01",
        "2027-01-01",
    )
    assert got == ["2026-11-30", "2026-12-02", "2026-12-04", "2026-12-06"]


def test_weekly_two_days_numbered_counts_from_the_start_not_the_window() -> None:
    # Mon 30 Nov and Wed 2 Dec, then 7 and 9 Dec, then 14 Dec: five occurrences in all.
    pattern = {"type": "weekly", "interval": 1, "daysOfWeek": ["wednesday", "monday"]}
    got = dates(
        pattern, {"type": "numbered", "startDate": "2026-11-30", "numberOfOccurrences": 5}, "2026-12-05", "2027-12-31"
    )
    assert got == ["2026-12-07", "2026-12-09", "2026-12-14"]


def test_biweekly_with_first_day_of_week_monday() -> None:
    # Weeks starting Mon 30 Nov, Mon 14 Dec, Mon 28 Dec; Sunday is the last day of each such week.
    pattern = {"type": "weekly", "interval": 2, "daysOfWeek": ["sunday"], "firstDayOfWeek": "monday"}
    got = dates(pattern, {"type": "noEnd", "startDate": "2026-11-30"}, "2026-11-30", "2027-01-04")
    assert got == ["2026-12-06", "2026-12-20", "2027-01-03"]


def test_no_end_series_jumps_to_a_far_window() -> None:
    pattern = {"type": "weekly", "interval": 1, "daysOfWeek": ["friday"]}
    got = dates(pattern, {"type": "noEnd", "startDate": "2026-11-30"}, "2036-01-01", "2036-01-14")
    assert got == ["2036-01-04", "2036-01-11"]  # 2036-01-04 is a Friday


def test_absolute_monthly_day_31_falls_on_the_last_day_of_short_months() -> None:
    got = dates(
        {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
        {"type": "noEnd", "startDate": "2027-01-01"},
        "2027-01-01",
        "2027-04-30",
    )
    assert got == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]


def test_relative_monthly_last_friday_and_second_tuesday() -> None:
    got = dates(
        {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["friday"], "index": "last"},
        {"type": "noEnd", "startDate": "2027-01-01"},
        "2027-01-01",
        "2027-03-31",
    )
    assert got == ["2027-01-29", "2027-02-26", "2027-03-26"]
    got = dates(
        {"type": "relativeMonthly", "interval": 2, "daysOfWeek": ["tuesday"], "index": "second"},
        {"type": "numbered", "startDate": "2027-01-01", "numberOfOccurrences": 2},
        "2027-01-01",
        "2027-12-31",
    )
    assert got == ["2027-01-12", "2027-03-09"]


def test_absolute_yearly() -> None:
    got = dates(
        {"type": "absoluteYearly", "interval": 1, "month": 2, "dayOfMonth": 29},
        {"type": "noEnd", "startDate": "2027-01-01"},
        "2027-01-01",
        "2028-12-31",
    )
    assert got == ["2027-02-28", "2028-02-29"]


def test_bad_patterns_name_the_field() -> None:
    with pytest.raises(RecurrenceError) as caught:
        Recurrence.from_graph({"pattern": {"type": "hourly"}, "range": {"type": "noEnd"}}, date(2026, 1, 1))
    assert caught.value.path == "pattern.type"
    with pytest.raises(RecurrenceError) as caught:
        Recurrence.from_graph(
            {
                "pattern": {"type": "daily"},
                "range": {"type": "endDate", "startDate": "2026-02-01", "endDate": "2026-01-01"},
            },
            date(2026, 1, 1),
        )
    assert caught.value.path == "range.endDate"


def test_series_keeps_local_wall_clock_across_dst() -> None:
    # Stand-up 09:00-09:15 Pacific: 17:00Z in winter (PST, UTC-8), 16:00Z after 14 March 2027 (PDT, UTC-7).
    seed = {
        "tenantId": "t1",
        "users": [
            {
                "userPrincipalName": "a@contoso.example",
                "events": [
                    {
                        "subject": "Stand-up",
                        "start": {"dateTime": "2026-11-30T09:00:00", "timeZone": "Pacific Standard Time"},
                        "end": {"dateTime": "2026-11-30T09:15:00", "timeZone": "Pacific Standard Time"},
                        "recurrence": {
                            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "friday"]},
                            "range": {"type": "noEnd", "startDate": "2026-11-30"},
                        },
                    }
                ],
            }
        ],
    }
    state = TenantState(load_seed(seed))
    user = state.find_user("a@contoso.example")
    assert user is not None
    found = state.view(user, datetime(2027, 3, 12, tzinfo=UTC), datetime(2027, 3, 16, tzinfo=UTC))
    assert [(o.start.isoformat(), o.end.isoformat()) for o in found] == [
        ("2027-03-12T17:00:00+00:00", "2027-03-12T17:15:00+00:00"),
        ("2027-03-15T16:00:00+00:00", "2027-03-15T16:15:00+00:00"),
    ]
    assert all(o.kind == "occurrence" for o in found)
