"""getSchedule's `workingHours` in the three forms Graph is seen to send (emulator/freebusy.py): as the
mailbox has them, written out as a customTimeZone, or left out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import ADELE, DANA, PST

REQUEST = {
    "schedules": [ADELE],
    "startTime": {"dateTime": "2019-03-15T09:00:00", "timeZone": PST},
    "endTime": {"dateTime": "2019-03-15T18:00:00", "timeZone": PST},
    "availabilityViewInterval": 60,
}


@pytest.fixture
def form(admin: httpx.Client) -> Iterator[Any]:
    def set_form(name: str) -> httpx.Response:
        return admin.post("/config", json={"freeBusyWorkingHours": name})

    yield set_form
    set_form("mailbox").raise_for_status()


def adele_hours(graph: httpx.Client) -> dict[str, Any] | None:
    response = graph.post(f"/users/{DANA}/calendar/getSchedule", json=REQUEST)
    assert response.status_code == 200
    (adele,) = response.json()["value"]
    assert adele["scheduleId"] == ADELE and "availabilityView" in adele  # the free/busy itself is always there
    hours: dict[str, Any] | None = adele.get("workingHours")
    return hours


def test_default_form_is_the_mailbox_settings_own(graph: httpx.Client) -> None:
    hours = adele_hours(graph)
    assert hours is not None and hours["timeZone"] == {"name": PST}


def test_custom_form_writes_the_pacific_rules_as_the_documented_example(graph: httpx.Client, form: Any) -> None:
    form("customTimeZone").raise_for_status()
    hours = adele_hours(graph)
    assert hours is not None
    # api/calendar-getschedule.md, second person (a Pacific mailbox): UTC = local + 480 minutes, daylight
    # from the 2nd Sunday of March at 02:00 (60 minutes less), standard from the 1st Sunday of November at 02:00.
    assert hours["timeZone"] == {
        "@odata.type": "#microsoft.graph.customTimeZone",
        "bias": 480,
        "name": "Customized Time Zone",
        "standardOffset": {"time": "02:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11,
                           "year": 0},
        "daylightOffset": {"daylightBias": -60, "time": "02:00:00.0000000", "dayOccurrence": 2,
                           "dayOfWeek": "sunday", "month": 3, "year": 0},
    }  # fmt: skip
    assert (hours["startTime"], hours["endTime"]) == ("08:00:00.0000000", "17:00:00.0000000")


def test_omitted_form_leaves_working_hours_out(graph: httpx.Client, form: Any) -> None:
    form("omitted").raise_for_status()
    assert adele_hours(graph) is None


def test_unknown_form_is_refused_naming_the_setting(form: Any) -> None:
    response = form("friendly")
    assert response.status_code == 400
    assert "freeBusyWorkingHours" in response.text
