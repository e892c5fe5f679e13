"""getSchedule's period limit and calendarView's $select, as strict as Graph."""

from __future__ import annotations

import httpx

from .conftest import ADELE, DANA

DECEMBER = {"startDateTime": "2026-12-01T00:00:00Z", "endDateTime": "2026-12-31T00:00:00Z"}


def test_getschedule_refuses_a_period_of_62_days(graph: httpx.Client) -> None:
    # concepts/outlook-get-free-busy-schedule.md: "The time period to look up must be less than 62 days."
    body = {
        "schedules": [ADELE],
        "startTime": {"dateTime": "2026-12-01T00:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": "2027-02-01T00:00:00", "timeZone": "UTC"},  # exactly 62 days
    }
    response = graph.post(f"/users/{DANA}/calendar/getSchedule", json=body)
    assert response.status_code == 400


def test_calendarview_select_of_an_unknown_property_is_refused(graph: httpx.Client) -> None:
    # OData: Graph answers 400 "Could not find a property named 'showas2' on type 'microsoft.graph.event'."
    response = graph.get(f"/users/{DANA}/calendarView", params={**DECEMBER, "$select": "start,end,showas2"})
    assert response.status_code == 400
