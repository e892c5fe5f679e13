"""The task pane's series (issue 16) in headless Chromium, against the live local host and the emulator,
with Office.js and MSAL.js replaced by the test doubles of tests/addin/conftest.py.

Ravi (mentee, Kolkata, UTC+05:30) reads a message from Maya (mentor, London); the API's clock is Monday
30 Nov 2026 00:00Z, and the pane offers 15 minutes first. Ticking "Meet regularly" turns Book into
"Start the series", which posts `POST /api/series`; the pane shows the series and stops it with
`POST /api/series/{id}/stop`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from core.series import SeriesState, StopReason
from tests.addin.conftest import Network, msal_stub, office_stub
from tests.conftest import LiveApi

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
WAIT_MS = 20_000
QUESTION = "How do I run a design review that ends with a decision?"


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(timezone_id="Asia/Kolkata", locale="en-GB", viewport={"width": 320, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


def open_pane(live_api: LiveApi, context: Any) -> tuple[Any, Network, list[str]]:
    token = live_api.auth(RAVI)["Authorization"].removeprefix("Bearer ")
    network = Network(
        context,
        office=office_stub(upn=RAVI, token=token, nested=True, sender=MAYA),
        msal=msal_stub(upn=RAVI, token=token),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_api.url}/addin/taskpane.html")
    page.locator("#account", has_text="ravi@").wait_for(timeout=WAIT_MS)
    page.fill("#topic", "Design reviews")
    page.fill("#question", QUESTION)
    page.click("#find")
    page.wait_for_selector("label.slot", timeout=WAIT_MS)
    return page, network, errors


def test_taskpane_starts_a_series_shows_it_and_stops_it(live_api: LiveApi, context: Any) -> None:
    page, network, errors = open_pane(live_api, context)
    first = page.get_attribute("label.slot >> nth=0 >> time", "datetime") or ""
    page.check("label.slot >> nth=0")
    assert page.is_hidden("#series-options")
    page.check("#series-on")
    assert page.is_visible("#series-options") and page.text_content("#book") == "Start the series"
    assert page.input_value("#series-interval") == "14" and page.input_value("#series-count") == ""
    page.click("#book")
    page.wait_for_selector("#series-panel:not([hidden])", timeout=WAIT_MS)

    assert page.text_content("#series-cadence") == f"Every 14 days, 15 minutes, until one of you stops, with {MAYA}."
    assert page.text_content("#series-state") == (
        "Running: each next session is booked near the same time, once the previous one is over."
    )
    assert page.locator("#series-sessions li").count() == 1
    assert (page.text_content("#series-sessions li") or "").endswith("(scheduled)")
    [series] = live_api.runtime.series.list_series()
    assert (series.mentor, series.mentee, series.interval_days, series.minutes, series.count) == (
        MAYA, RAVI, 14, 15, None,
    )  # fmt: skip
    assert series.anchor == datetime.fromisoformat(first.replace("Z", "+00:00")) and series.topic == "Design reviews"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # nothing scrolls sideways
    page.screenshot(path="/tmp/taskpane-series.png", full_page=True)  # for a person to look at after the run

    page.click("#stop-series")  # not confirmed: nothing is sent
    assert page.text_content("#series-stop-error") == "Tick \u201cYes, stop the series for both of us\u201d to stop it."
    assert live_api.runtime.series.get_series(series.id).state is SeriesState.ACTIVE  # type: ignore[union-attr]
    page.check("#series-stop-confirm")
    page.click("#stop-series")
    page.locator("#series-state", has_text="Stopped").wait_for(timeout=WAIT_MS)
    assert page.text_content("#series-state") == "Stopped by you: no further session is booked."
    assert page.is_hidden("#series-stop") and page.locator("#series-sessions li").count() == 1
    stopped = live_api.runtime.series.get_series(series.id)
    assert stopped is not None and (stopped.stop_reason, stopped.stopped_by) == (StopReason.STOPPED_BY_MENTEE, RAVI)
    # Maya, the other person, reads it stopped.
    theirs = httpx.get(f"{live_api.url}/series/{series.id}", headers=live_api.auth(MAYA), timeout=60).json()
    assert (theirs["state"], theirs["stoppedBy"], theirs["stopReason"]) == ("stopped", RAVI, "stopped_by_mentee")
    assert network.external == [] and errors == []


def test_taskpane_names_the_field_the_series_api_refused_then_starts_a_counted_series(
    live_api: LiveApi, context: Any
) -> None:
    page, _network, errors = open_pane(live_api, context)
    page.check("label.slot >> nth=0")
    page.check("#series-on")
    page.fill("#series-interval", "3")  # whole, so the pane sends it; the API refuses below 7
    page.click("#book")
    page.wait_for_selector("#series-interval-error:not([hidden])", timeout=WAIT_MS)
    assert page.text_content("#series-interval-error") == "intervalDays: Must be at least 7"
    assert page.get_attribute("#series-interval", "aria-invalid") == "true"
    assert live_api.runtime.series.list_series() == []

    page.fill("#series-interval", "seven")  # not a number: the pane says so without asking the API
    page.click("#book")
    assert page.text_content("#series-interval-error") == "Enter a whole number of days."

    page.fill("#series-interval", "7")
    page.select_option("#series-count", "4")
    page.click("#book")
    page.wait_for_selector("#series-panel:not([hidden])", timeout=WAIT_MS)
    assert page.is_hidden("#series-interval-error")
    assert page.text_content("#series-cadence") == f"Every 7 days, 15 minutes, 4 sessions, with {MAYA}."
    [series] = live_api.runtime.series.list_series()
    assert (series.interval_days, series.count) == (7, 4)
    assert errors == []


def test_taskpane_shows_its_series_again_at_sign_in_as_they_are_now(live_api: LiveApi, context: Any) -> None:
    """The pane remembers the series it started (on this device) and reads them again at sign-in: Maya
    stopped this one meanwhile, so it comes back stopped, by the mentor, with nothing left to stop."""
    page, _network, errors = open_pane(live_api, context)
    page.check("label.slot >> nth=0")
    page.check("#series-on")
    page.click("#book")
    page.wait_for_selector("#series-panel:not([hidden])", timeout=WAIT_MS)
    [series] = live_api.runtime.series.list_series()
    stopped = httpx.post(f"{live_api.url}/series/{series.id}/stop", headers=live_api.auth(MAYA), timeout=60)
    assert stopped.status_code == 200, stopped.text

    again = context.new_page()  # the pane opened again later: same device, same origin's storage
    again.on("pageerror", lambda error: errors.append(str(error)))
    again.goto(f"{live_api.url}/addin/taskpane.html")
    again.wait_for_selector("#my-series:not([hidden])", timeout=WAIT_MS)
    assert again.text_content("#my-series-list li") == f"Every 14 days with {MAYA}: stopped Open"
    assert again.is_hidden("#series-panel")
    again.click("#my-series-list button")
    assert again.text_content("#series-state") == "Stopped (by the mentor): no further session is booked."
    assert again.is_hidden("#series-stop") and again.locator("#series-sessions li").count() == 1
    assert errors == []
