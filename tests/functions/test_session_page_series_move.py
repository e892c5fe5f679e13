"""Moving a series session from its page keeps it in its series (issue 16, review finding F1).

Clock and people as tests/functions/test_session_page_series.py: Maya (mentor, London), Ravi (mentee,
India), API clock Mon 30 Nov 2026 00:00Z.
"""

from __future__ import annotations

import re

import httpx

from tests.conftest import LiveApi
from tests.functions.test_session_page_series import RAVI, get, page_url, post, start_series, text_of


def test_moving_a_series_session_from_its_page_keeps_it_in_its_series(live_api: LiveApi) -> None:
    """F1: services/session_page.move_from_page books the new time without `series_id`; the moved session
    falls out of its series (its page offers "Repeat" instead of the series; the series keeps only the
    cancelled old session, so the timer treats the occurrence as over and books the next one at once)."""
    series = start_series(live_api)
    first = series["sessions"][0]["id"]
    ravi = page_url(live_api, first, RAVI)
    offered = re.findall(r'name="start" value="([^"]+)"', get(ravi).text)
    assert offered, "the page offers move times"
    moved = post(ravi, {"do": "move", "start": offered[0]})
    assert moved.status_code == 303, moved.text
    new_page = httpx.get(str(httpx.URL(ravi).join(moved.headers["Location"])), timeout=60)
    assert new_page.status_code == 200
    stored = live_api.runtime.series.get_series(series["id"])
    assert stored is not None
    new_ids = [s for s in stored.session_ids if s != first]
    # Expected: the moved session is in the series and its page shows the series, not "Repeat".
    assert 'data-form="repeat"' not in new_page.text, "the moved series session offers to start a new series"
    assert "Every 14 days, 20 minutes, open-ended." in text_of(new_page)  # start_series: no count
    assert new_ids, "the series does not know its moved session"
    # The moved session took the old one's place: one session, the new one, the old one no longer counted.
    assert stored.session_ids == tuple(new_ids) and len(new_ids) == 1


def test_after_a_page_move_the_timer_waits_for_the_moved_session(live_api: LiveApi) -> None:
    """F1b: the consequence of F1 for the timer: the series' last session is the cancelled old one, so
    `booking_due` sees it "over" and books the next occurrence while the moved session has not been held
    (without the move the same tick answers not_due: the session is still scheduled)."""
    from datetime import UTC, datetime

    from services.series import series_round
    from tests.conftest import with_graph

    series = start_series(live_api)
    first = series["sessions"][0]["id"]
    ravi = page_url(live_api, first, RAVI)
    offered = re.findall(r'name="start" value="([^"]+)"', get(ravi).text)
    assert post(ravi, {"do": "move", "start": offered[-1]}).status_code == 303
    rt = live_api.runtime
    done = with_graph(
        rt.settings.graph,  # type: ignore[arg-type]
        lambda graph: series_round(
            graph,
            rt.store,
            rt.tenant_policy(),
            now=datetime(2026, 12, 4, 0, tzinfo=UTC),
            public_url=rt.settings.public_url,
        ),
    )
    assert done == {"not_due": 1}, done
