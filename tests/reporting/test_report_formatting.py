"""Numbers, durations and dates as the report page writes them."""

from __future__ import annotations

import pytest

from reporting.formatting import attribute_label, duration, percent, period_label, reason_label, shorten, when


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (0.6667, "67%"),
        (0.125, "13%"),  # half up, not to even
        (1.0, "100%"),
        (0.0, "0%"),
        (0.9951, "99%"),  # not complete: never shown as 100%
        (0.0040, "1%"),  # not zero: never shown as 0%
        (None, "\u2014"),
    ],
)
def test_percent(rate: float | None, text: str) -> None:
    assert percent(rate) == text


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (45.0, "45 min"),
        (59.5, "1 h"),  # to the nearest minute, half up: 60
        (200.0, "3 h 20 min"),
        (1440.0, "1 d"),
        (1500.0, "1 d 1 h"),
        (2160.0, "1 d 12 h"),
        (8940.0, "6 d 5 h"),
        (None, "\u2014"),
    ],
)
def test_duration(minutes: float | None, text: str) -> None:
    assert duration(minutes) == text


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        ("2026-03-02T00:00:00Z", "2026-03-16T00:00:00Z", "2 \u2013 15 March 2026"),
        ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", "2 March 2026"),
        ("2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z", "1 Jan \u2013 30 Jun 2026"),
        ("2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z", "29 Dec 2025 \u2013 4 Jan 2026"),
        ("2026-03-02T09:30:00Z", "2026-03-04T00:00:00Z", "Mon 2 Mar 2026, 09:30 \u2013 Wed 4 Mar 2026, 00:00 UTC"),
    ],
)
def test_period_label(start: str, end: str, text: str) -> None:
    assert period_label(start, end) == text


def test_labels() -> None:
    assert when("2026-03-15T23:30:00Z") == "Sun 15 Mar 2026, 23:30"
    assert reason_label("no_report") == "No attendance report within 48 h"
    assert reason_label("left_early_again") == "Left early again"
    assert reason_label(None) == "\u2014"
    assert attribute_label("officeLocation") == "Office location"
    assert attribute_label("extensionAttribute1") == "Extension attribute1"
    assert shorten("abcdef", 4) == "abc\u2026" and shorten("abc", 4) == "abc"
