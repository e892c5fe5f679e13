"""The session page's series section (issue 16) through the local host, against the emulator.

Maya (mentor, Europe/London = UTC in winter) and Ravi (mentee, India) share Mon-Thu 08:00-12:30Z; the
API's clock is Monday 30 Nov 2026 00:00Z. A series started for Tue 1 Dec 10:00Z every 14 days targets
its next session at Tue 15 Dec 10:00 London = 10:00Z. A plain session booked Tue 1 Dec 09:00Z and
repeated every 14 days from its page targets Tue 15 Dec 09:00Z.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from core.series import SeriesState, StopReason
from services.series_page import series_id_for_session
from services.session_links import make_session_link
from store.outbox import MessageKind, OutboxMessage, message_key
from tests.conftest import API_NOW, LiveApi

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def page_url(live_api: LiveApi, session_id: str, person: str) -> str:
    secret = live_api.runtime.settings.link_secret
    token = make_session_link(session_id, person, secret=secret, expires=API_NOW + timedelta(days=60))
    return f"{live_api.url}/session-page/{token}"


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=60)


def post(url: str, form: dict[str, str]) -> httpx.Response:
    return httpx.post(url, data=form, headers=FORM, timeout=60, follow_redirects=False)


def text_of(answer: httpx.Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", answer.text)).split())


def start_series(live_api: LiveApi) -> dict[str, Any]:
    body = {
        "mentor": MAYA, "mentee": RAVI, "start": "2026-12-01T10:00:00Z", "question": "How do I review a design?",
        "topic": "design reviews",
    }  # fmt: skip
    answer = live_api.client.post("/series", json=body, headers=live_api.auth(RAVI))
    assert answer.status_code == 201, answer.text
    series: dict[str, Any] = answer.json()
    return series


def test_a_series_session_shows_its_series_get_writes_nothing_and_a_stop_shows_to_the_other(
    live_api: LiveApi,
) -> None:
    series = start_series(live_api)
    first = series["sessions"][0]["id"]
    store = live_api.runtime.series
    before = store.get_series(series["id"])
    outbox_before = live_api.runtime.outbox.list_messages()

    ravi, maya = page_url(live_api, first, RAVI), page_url(live_api, first, MAYA)
    shown = get(ravi)
    assert shown.status_code == 200
    text = text_of(shown)
    assert "Every 14 days, 20 minutes, open-ended." in text
    assert "This series is running." in text
    assert "Sessions so far: 1 booked, 0 held." in text
    assert "1. Tue 01 Dec 2026 10:00 UTC: booked (this one)" in text
    # Only this session is booked: the next one's target, 14 days later at the same London time.
    assert "Next session: around Tue 15 Dec 2026 10:00 UTC" in text
    assert 'data-form="stop-series"' in shown.text and 'data-form="repeat"' not in shown.text
    assert get(maya).status_code == 200
    # GET never writes: the series (its version too) and the outbox are as they were.
    assert store.get_series(series["id"]) == before
    assert live_api.runtime.outbox.list_messages() == outbox_before

    unconfirmed = post(ravi, {"do": "stop-series"})
    assert unconfirmed.status_code == 400 and "confirm:" in text_of(unconfirmed)
    assert store.get_series(series["id"]) == before

    stopped = post(ravi, {"do": "stop-series", "confirm": "yes"})
    assert stopped.status_code == 200, stopped.text
    assert "The series is stopped" in text_of(stopped)
    now = store.get_series(series["id"])
    assert now is not None and now.state is SeriesState.STOPPED
    assert (now.stop_reason, now.stopped_by, now.stopped_at) == (StopReason.STOPPED_BY_MENTEE, RAVI, API_NOW)
    # The booked session stays booked.
    assert live_api.runtime.store.get_session(first).state.value == "scheduled"  # type: ignore[union-attr]

    theirs = get(maya)
    text = text_of(theirs)
    assert f"This series was stopped on Mon 30 Nov 2026 00:00 UTC: {RAVI}, the mentee, stopped it." in text
    assert 'data-form="stop-series"' not in theirs.text and "Next session" not in text
    again = post(maya, {"do": "stop-series", "confirm": "yes"})  # a page loaded before the stop
    assert again.status_code == 409 and "Not stopped (id): this series is already stopped" in text_of(again)


def test_a_session_in_no_series_repeats_every_n_days_from_its_page(live_api: LiveApi) -> None:
    body = {
        "mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?",
    }  # fmt: skip
    booked = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI))
    assert booked.status_code == 201, booked.text
    session_id = booked.json()["id"]
    maya, ravi = page_url(live_api, session_id, MAYA), page_url(live_api, session_id, RAVI)
    offered = get(maya)
    assert 'data-form="repeat"' in offered.text and 'name="interval_days" maxlength="3" value="14"' in offered.text

    refused = post(maya, {"do": "repeat", "interval_days": "3"})
    assert refused.status_code == 400
    assert "Not repeated (intervalDays): must be between 7 and 56." in text_of(refused)
    assert 'value="3"' in refused.text  # the reader's value stays in the form
    assert live_api.runtime.series.list_series() == []

    repeated = post(maya, {"do": "repeat", "interval_days": "14"})
    assert repeated.status_code == 200, repeated.text
    assert "This session now repeats every 14 days" in text_of(repeated)
    [series] = live_api.runtime.series.list_series()
    assert series.id == series_id_for_session(session_id)
    assert (series.mentor, series.mentee, series.anchor, series.interval_days, series.minutes, series.count) == (
        MAYA, RAVI, datetime(2026, 12, 1, 9, tzinfo=UTC), 14, 15, None,
    )  # fmt: skip
    assert series.session_ids == (session_id,) and series.created_by == MAYA
    assert live_api.runtime.store.get_session(session_id).series_id == series.id  # type: ignore[union-attr]

    twice = post(ravi, {"do": "repeat", "interval_days": "7"})  # Ravi's page was loaded before Maya's POST
    assert twice.status_code == 409 and "already part of a series" in text_of(twice)
    assert len(live_api.runtime.series.list_series()) == 1

    text = text_of(get(ravi))
    assert "Every 14 days, 15 minutes, open-ended." in text
    assert "Next session: around Tue 15 Dec 2026 09:00 UTC" in text


def test_the_alternatives_of_a_skipped_occurrence_show_on_the_page_before_the_mail(live_api: LiveApi) -> None:
    """What services.series stores when an occurrence has no slot in its window: the occurrence in
    `skipped`, and per person a SERIES_NO_SLOT message (`{series}|{occurrence}`) with the alternatives."""
    series = start_series(live_api)
    first = series["sessions"][0]["id"]
    offered = (
        datetime(2026, 12, 10, 9, tzinfo=UTC),
        datetime(2026, 12, 21, 8, 30, tzinfo=UTC),
        datetime(2026, 12, 22, 11, tzinfo=UTC),
    )
    outbox = live_api.runtime.outbox
    for person in (MAYA, RAVI):
        outbox.enqueue(
            OutboxMessage(
                session_id=f"{series['id']}|1", person=person, kind=MessageKind.SERIES_NO_SLOT, mentor=MAYA,
                due=API_NOW, created_at=API_NOW, topic="design reviews", slots=offered,
            )
        )  # fmt: skip
    live_api.runtime.series.update_series(series["id"], lambda s: replace(s, skipped=(1,), next_occurrence=2))
    ravi = page_url(live_api, first, RAVI)
    text = text_of(get(ravi))
    assert "so it was skipped. The nearest times that do: Thu 10 Dec 2026 09:00 UTC Mon 21 Dec 2026 08:30 UTC" in text
    assert "Tue 22 Dec 2026 11:00 UTC" in text
    assert "An e-mail with these times follows in your working hours." in text
    # The next occurrence after the skipped one: 28 days after the first session.
    assert "Next session: around Tue 29 Dec 2026 10:00 UTC" in text

    # Ravi, the mentee, can book one of them on Maya's link page, as his mail offers; Maya's page has no link.
    shown = get(ravi)
    [href] = re.findall(r'class="series-book" href="([^"]+)"', shown.text)
    booking = httpx.get(str(httpx.URL(ravi).join(html.unescape(href))), timeout=60)
    assert booking.status_code == 200 and "/api/links/" in str(booking.url)
    assert 'class="series-book"' not in get(page_url(live_api, first, MAYA)).text

    outbox.mark_sent(message_key(f"{series['id']}|1", RAVI, MessageKind.SERIES_NO_SLOT), API_NOW)
    assert "These were also sent to you by e-mail." in text_of(get(ravi))
    # Maya's own message is still waiting: her page says so.
    assert "follows in your working hours" in text_of(get(page_url(live_api, first, MAYA)))


def test_a_series_started_from_a_page_gets_its_next_session_from_the_series_timer(live_api: LiveApi) -> None:
    """Repeated every 14 days from the page, the Tue 1 Dec 09:00Z session is occurrence 0; once it is over
    (completed) and the whole window of occurrence 1 is inside the 14-day horizon, the timer books it.
    Target Tue 15 Dec 09:00Z; window: two shared working days (Mon-Thu, Maya's) either side, Thu 10 Dec
    to the end of Thu 17 Dec, which is within 14 days from Fri 4 Dec 00:00Z. Both are free at 09:00Z
    (Maya from 08:00Z, Ravi's day window to 12:30Z), so the target itself is booked."""
    from core.model import SessionState
    from services.series import series_round
    from tests.conftest import with_graph

    body = {
        "mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?",
    }  # fmt: skip
    session_id = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    assert post(page_url(live_api, session_id, RAVI), {"do": "repeat", "interval_days": "14"}).status_code == 200
    rt = live_api.runtime
    rt.store.update_session(session_id, lambda s: replace(s, state=SessionState.COMPLETED))  # as sync decides it
    assert rt.settings.graph is not None

    def tick(now: datetime) -> dict[str, int]:
        return with_graph(
            rt.settings.graph,  # type: ignore[arg-type]
            lambda graph: series_round(graph, rt.store, rt.tenant_policy(), now=now, public_url=rt.settings.public_url),
        )

    assert tick(datetime(2026, 12, 3, 23, 0, tzinfo=UTC)) == {"not_due": 1}  # the window's end is 14 d 1 h away
    assert tick(datetime(2026, 12, 4, 0, 0, tzinfo=UTC)) == {"booked": 1}
    [series] = rt.series.list_series()
    first, second = series.session_ids
    booked = rt.store.get_session(second)
    assert first == session_id and booked is not None and booked.series_id == series.id
    assert booked.start == datetime(2026, 12, 15, 9, 0, tzinfo=UTC) and booked.minutes == 15
    text = text_of(get(page_url(live_api, session_id, MAYA)))
    assert "Sessions so far: 2 booked, 1 held." in text
    assert "Next session: Tue 15 Dec 2026 09:00 UTC." in text


def test_a_repeat_that_died_after_tagging_the_session_is_finished_by_the_retry(live_api: LiveApi) -> None:
    """`repeat_from_page` tags the session, then writes the series: a crash in between leaves the session
    tagged with its own series id and no series (nothing for the timer to book from); posting again
    writes the series instead of refusing the session as already in one."""
    body = {
        "mentor": MAYA, "mentees": [RAVI], "start": "2026-12-01T09:00:00Z", "question": "How do I pace a retro?",
    }  # fmt: skip
    session_id = live_api.client.post("/sessions", json=body, headers=live_api.auth(RAVI)).json()["id"]
    ours = series_id_for_session(session_id)
    live_api.runtime.store.update_session(session_id, lambda s: replace(s, series_id=ours))  # the crash's trace
    ravi = page_url(live_api, session_id, RAVI)
    assert 'data-form="repeat"' in get(ravi).text  # no series to show: the page offers the repeat again
    again = post(ravi, {"do": "repeat", "interval_days": "21"})
    assert again.status_code == 200, again.text
    [series] = live_api.runtime.series.list_series()
    assert (series.id, series.interval_days, series.created_by, series.session_ids) == (ours, 21, RAVI, (session_id,))


def test_a_group_session_page_offers_no_repeat_and_refuses_one(live_api: LiveApi) -> None:
    """A series is one mentor and one mentee: a group session with one seat taken is still a group."""
    body = {"mentor": MAYA, "topic": "Estimating honestly", "start": "2026-12-01T10:00:00Z", "seats": 2}
    group = httpx.post(f"{live_api.url}/groups", json=body, headers=live_api.auth(MAYA), timeout=60)
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    assert httpx.post(f"{live_api.url}/groups/{gid}/join", headers=live_api.auth(RAVI), timeout=60).status_code == 200
    ravi = page_url(live_api, gid, RAVI)
    assert 'data-form="repeat"' not in get(ravi).text
    refused = post(ravi, {"do": "repeat", "interval_days": "14"})
    assert refused.status_code == 400 and "Not repeated (do): a series is one mentor and one mentee" in text_of(refused)
    assert live_api.runtime.series.list_series() == []
    assert post(ravi, {"do": "stop-series", "confirm": "yes"}).status_code == 400  # not in a series: nothing to stop
