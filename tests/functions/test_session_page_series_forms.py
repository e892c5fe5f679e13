"""The session page's series forms (issue 16, from a hostile review) against forged, expired and foreign
links, GETs that try to write, odd interval values, a no-show session and two repeats posted at once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from core.errors import Conflict
from core.model import SessionState
from core.series import SeriesState
from services.links import make_link
from services.series_page import repeat_from_page
from services.session_links import SessionLinkClaims, make_session_link
from tests.conftest import API_NOW, LiveApi
from tests.functions.test_session_page_series import MAYA, RAVI, get, page_url, post, start_series, text_of


def test_expired_forged_and_booking_links_stop_nothing(live_api: LiveApi) -> None:
    series = start_series(live_api)
    first = series["sessions"][0]["id"]
    secret = live_api.runtime.settings.link_secret
    expired = make_session_link(first, RAVI, secret=secret, expires=API_NOW - timedelta(seconds=1))
    forged = make_session_link(first, RAVI, secret="not-the-secret-" * 3, expires=API_NOW + timedelta(days=9))
    booking = make_link(MAYA, secret=secret, now=API_NOW, mentee=RAVI)
    stranger = make_session_link(first, "ana@contoso.example", secret=secret, expires=API_NOW + timedelta(days=9))
    codes = [post(f"{live_api.url}/session-page/{t}", {"do": "stop-series", "confirm": "yes"}).status_code
             for t in (expired, forged, booking, stranger)]  # fmt: skip
    assert codes == [410, 400, 400, 404]
    assert live_api.runtime.series.get_series(series["id"]).state is SeriesState.ACTIVE  # type: ignore[union-attr]
    # A GET with the form's fields in the query writes nothing.
    url = page_url(live_api, first, RAVI)
    assert httpx.get(url, params={"do": "stop-series", "confirm": "yes"}, timeout=60).status_code == 200
    assert live_api.runtime.series.get_series(series["id"]).state is SeriesState.ACTIVE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    ["0", "6", "57", "\uff11\uff14", "\u0667", "1e1", "-7", "+14", "0014", "999", "", " ", "1 4", "\uff11\uff14 "],
)
def test_refused_intervals(live_api: LiveApi, value: str) -> None:
    body = {"mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?"}
    sid = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    answer = post(page_url(live_api, sid, RAVI), {"do": "repeat", "interval_days": value})
    assert answer.status_code == 400 and "(intervalDays)" in text_of(answer)
    assert live_api.runtime.series.list_series() == []


def test_a_trailing_space_in_the_interval_is_accepted(live_api: LiveApi) -> None:
    """ "14 " (a space typed after the number, which browsers send as typed) is
    400 "must be a whole number of days"; the task pane trims the same field before checking it."""
    body = {"mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?"}
    sid = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    answer = post(page_url(live_api, sid, RAVI), {"do": "repeat", "interval_days": " 14 "})
    assert answer.status_code == 200, text_of(answer)[-300:]
    [series] = live_api.runtime.series.list_series()
    assert series.interval_days == 14


def test_a_no_show_session_is_not_offered_as_the_start_of_a_series(live_api: LiveApi) -> None:
    """a session nobody came to (no_show) offers "Repeat every N days" and repeating it
    starts a series whose first occurrence is already a no-show: one more missed session stops it
    ("two no-shows in a row") and the report counts it as a series with 0 held."""
    body = {"mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?"}
    sid = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    live_api.runtime.store.update_session(sid, lambda s: replace(s, state=SessionState.NO_SHOW))
    url = page_url(live_api, sid, MAYA)
    assert 'data-form="repeat"' not in get(url).text
    refused = post(url, {"do": "repeat", "interval_days": "14"})
    assert refused.status_code == 409 and f"(session): session {sid} is no_show" in text_of(refused)
    assert live_api.runtime.series.list_series() == []


def test_a_refused_interval_is_echoed_escaped(live_api: LiveApi) -> None:
    body = {"mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?"}
    sid = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    answer = post(page_url(live_api, sid, RAVI), {"do": "repeat", "interval_days": '"><script>alert(1)</script>'})
    assert answer.status_code == 400 and "<script>alert" not in answer.text


def test_two_repeats_posted_at_once_one_wins_the_other_is_409(live_api: LiveApi) -> None:
    """Docs: "a doubled POST finds the same series and the second is a 409". Posted at once (Maya 7 days,
    Ravi 21 days), `repeat_from_page` checks for the series before `add_series` keeps the first one: both
    answer 200, and the loser is told the winner's cadence as if it were what they asked."""
    from concurrent.futures import ThreadPoolExecutor

    body = {"mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?"}
    sid = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    urls = [(page_url(live_api, sid, MAYA), "7"), (page_url(live_api, sid, RAVI), "21")] * 2
    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(lambda u: post(u[0], {"do": "repeat", "interval_days": u[1]}).status_code, urls))
    assert len(live_api.runtime.series.list_series()) == 1
    assert codes == [200, 409, 409, 409], codes


class NotYetVisible:
    """The series store as a repeat racing another sees it at its first look: no series yet."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def get_series(self, series_id: str) -> None:
        return None


def test_a_repeat_that_passed_its_check_before_another_wrote_the_series_is_409(live_api: LiveApi) -> None:
    """The race of the test above made certain: both requests pass the "already in a series" check; the
    second one's insert finds the first one's series and is refused, its interval never reported as set."""
    body = {"mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?"}
    sid = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    rt = live_api.runtime
    claims = SessionLinkClaims(sid, MAYA, API_NOW + timedelta(days=40))
    first = asyncio.run(repeat_from_page(rt.store, rt.series, claims, "7", now=API_NOW))
    with pytest.raises(Conflict) as err:
        asyncio.run(
            repeat_from_page(rt.store, NotYetVisible(rt.series), replace(claims, person=RAVI), "21", now=API_NOW)
        )
    assert err.value.field == "do"
    [stored] = rt.series.list_series()
    assert (stored.id, stored.interval_days, stored.created_by) == (first.id, 7, MAYA)


def test_a_session_of_a_length_no_series_takes_offers_no_repeat(live_api: LiveApi) -> None:
    """A series is 15, 20 or 30 minutes: a 45-minute session (booked under an older policy) is not offered
    "Repeat", and a forged repeat POST is refused naming `do`."""
    body = {"mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?"}
    sid = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    live_api.runtime.store.update_session(sid, lambda s: replace(s, end=s.start + timedelta(minutes=45)))
    url = page_url(live_api, sid, RAVI)
    assert 'data-form="repeat"' not in get(url).text
    refused = post(url, {"do": "repeat", "interval_days": "14"})
    assert refused.status_code == 400 and "(do): a series session lasts 15, 20, 30 minutes" in text_of(refused)
    assert live_api.runtime.series.list_series() == []
