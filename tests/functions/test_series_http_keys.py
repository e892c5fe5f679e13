"""POST /api/series and its Idempotency-Key (issue 16, review findings F2 and F3): checked as for
POST /api/sessions, and a key reused with any other term is 409.

Clock and people as tests/functions/test_session_page_series.py: Maya (mentor, London), Ravi (mentee,
India), API clock Mon 30 Nov 2026 00:00Z.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import LiveApi
from tests.functions.test_session_page_series import MAYA, RAVI


def call(live_api: LiveApi, method: str, path: str, who: str, body: Any = None,
         headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
    return httpx.request(
        method, f"{live_api.url}/{path}", json=body, headers={**live_api.auth(who), **(headers or {})}, timeout=60
    )


def series_body(**changes: Any) -> dict[str, Any]:
    return {
        "mentor": MAYA, "mentee": RAVI, "start": "2026-12-01T10:00:00Z", "question": "How do I review a design?",
        "topic": "design reviews", "count": 6, **changes,
    }  # fmt: skip


def test_a_key_reused_with_another_question_or_book_ahead_is_409(live_api: LiveApi) -> None:
    """F2: docs/series.md: 409 for "a key reused with other terms". `_same_terms` compares only mentor,
    mentee, start, minutes, interval and count: another question, topic or bookAheadDays under the same
    key is answered 200 with the first series, silently dropping the new terms."""
    first = call(live_api, "POST", "series", RAVI, series_body(), {"Idempotency-Key": "rev-k1"})
    assert first.status_code == 201, first.text
    other = series_body(question="Something else entirely?", topic="other", bookAheadDays=7)
    again = call(live_api, "POST", "series", RAVI, other, {"Idempotency-Key": "rev-k1"})
    assert again.status_code == 409, (again.status_code, again.text)
    assert again.json()["error"]["field"] == "Idempotency-Key"


def test_a_blank_idempotency_key_is_refused_as_for_sessions(live_api: LiveApi) -> None:
    """F3: POST /api/sessions refuses a blank key (400 naming Idempotency-Key, services/booking._validated);
    POST /api/series hashes any header value, "" included, into a tenant-wide series id: every client
    sending an empty header shares one series id, so the next such request (another pair, another time)
    is refused 409 for a key it never chose."""
    blank = call(live_api, "POST", "series", RAVI, series_body(), {"Idempotency-Key": ""})
    other = call(live_api, "POST", "series", RAVI, series_body(start="2026-12-02T10:00:00Z"), {"Idempotency-Key": ""})
    assert (blank.status_code, other.status_code) == (400, 400), (blank.status_code, other.status_code, other.text)


def test_an_oversized_idempotency_key_is_refused(live_api: LiveApi) -> None:
    """F3b: POST /api/sessions caps the key (MAX_KEY_LENGTH) and refuses control characters; /api/series
    takes any length (5000 characters here) and any text."""
    huge = call(live_api, "POST", "series", RAVI, series_body(), {"Idempotency-Key": "k" * 5000})
    assert huge.status_code == 400, (huge.status_code, huge.text[:200])
