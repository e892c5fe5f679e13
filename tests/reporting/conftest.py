"""Fixtures over the data set of report_data.py."""

from __future__ import annotations

from typing import Any

import pytest

from core.metrics import CapLimits, Report, compute_report
from tests.reporting.report_data import FROM, REQUESTS, SEGMENTS, SESSIONS, TO, caps_for


@pytest.fixture(scope="module")
def report() -> Report:
    return compute_report(
        sessions=SESSIONS,
        requests=REQUESTS,
        period_from=FROM,
        period_to=TO,
        caps=caps_for,
        segments=SEGMENTS,
        min_segment_size=1,  # every segment of the small data set shown; folding: tests/core/test_segments.py
    )


@pytest.fixture(scope="module")
def doc(report: Report) -> dict[str, Any]:
    return report.to_json()


@pytest.fixture(scope="module")
def empty_doc() -> dict[str, Any]:
    return compute_report(sessions=[], requests=[], period_from=FROM, period_to=TO, caps=CapLimits()).to_json()
