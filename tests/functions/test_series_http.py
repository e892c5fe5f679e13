"""Series over HTTP through the local host and the emulator (clock: Monday 30 Nov 2026 00:00Z).

Maya (London = UTC in winter) works Mon-Thu 07:30-15:30; Ravi (India) Mon-Fri, his day window ending
12:30Z. The first session Tue 1 Dec 10:00Z fits; Fri 4 Dec 10:00Z is outside Maya's working days."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import LiveApi

MAYA, RAVI, ANA = "maya@contoso.example", "ravi@contoso.example", "ana@contoso.example"


def call(
    live_api: LiveApi, method: str, path: str, who: str, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.request(
        method, f"{live_api.url}/{path}", json=body, headers={**live_api.auth(who), **(headers or {})}, timeout=60
    )


def body(**changes: Any) -> dict[str, Any]:
    return {
        "mentor": MAYA, "mentee": RAVI, "start": "2026-12-01T10:00:00Z", "question": "How do I review a design?",
        "topic": "design reviews", "count": 6, **changes,
    }  # fmt: skip


def test_start_read_and_stop(live_api: LiveApi) -> None:
    started = call(live_api, "POST", "series", RAVI, body(), {"Idempotency-Key": "s-1"})
    assert started.status_code == 201, started.text
    series = started.json()
    assert (series["state"], series["minutes"], series["intervalDays"], series["count"]) == ("active", 20, 14, 6)
    assert series["sessions"][0]["start"] == "2026-12-01T10:00:00Z" and series["sessions"][0]["joinUrl"]
    assert series["sessions"][0]["seriesId"] == series["id"]
    again = call(live_api, "POST", "series", RAVI, body(), {"Idempotency-Key": "s-1"})
    assert again.status_code == 200 and again.json()["id"] == series["id"]

    read = call(live_api, "GET", f"series/{series['id']}", MAYA)
    assert read.status_code == 200 and read.json()["sessionIds"] == [series["sessions"][0]["id"]]
    # Not Ana's: the same 404 as an id that does not exist (an id is never confirmed to a stranger).
    for path, who in ((f"series/{series['id']}", ANA), ("series/nope", ANA), ("series/nope", MAYA)):
        missing = call(live_api, "GET", path, who)
        assert missing.status_code == 404 and missing.json()["error"]["field"] == "id", (path, who)
        assert missing.json()["error"]["message"] == f"no series {path.removeprefix('series/')!r}"

    assert call(live_api, "POST", f"series/{series['id']}/stop", ANA).status_code == 404
    # The mentee may not name the mentor as the one stopping.
    named = call(live_api, "POST", f"series/{series['id']}/stop", RAVI, {"by": MAYA})
    assert named.status_code == 400 and named.json()["error"]["field"] == "by"
    stopped = call(live_api, "POST", f"series/{series['id']}/stop", RAVI)
    assert stopped.status_code == 200, stopped.text
    assert (stopped.json()["stopReason"], stopped.json()["stoppedBy"]) == ("stopped_by_mentee", RAVI)
    twice = call(live_api, "POST", f"series/{series['id']}/stop", MAYA)
    assert twice.status_code == 409 and twice.json()["error"]["field"] == "id"


def test_an_admin_stops_for_someone_naming_them(live_api: LiveApi) -> None:
    series_id = call(live_api, "POST", "series", MAYA, body()).json()["id"]
    admin = {**live_api.auth(ANA, "Mentoring.Admin")}
    nobody = httpx.post(f"{live_api.url}/series/{series_id}/stop", json={}, headers=admin, timeout=60)
    assert nobody.status_code == 400 and nobody.json()["error"]["field"] == "by"
    done = httpx.post(f"{live_api.url}/series/{series_id}/stop", json={"by": MAYA}, headers=admin, timeout=60)
    assert done.status_code == 200 and done.json()["stopReason"] == "stopped_by_mentor"


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"mentee": None}, 400, "mentee"),
        ({"minutes": 25}, 400, "minutes"),
        ({"minutes": "20"}, 400, "minutes"),
        ({"intervalDays": 3}, 400, "intervalDays"),
        ({"count": 1}, 400, "count"),
        ({"bookAheadDays": 0}, 400, "bookAheadDays"),
        ({"start": "2026-12-01T10:00:00"}, 400, "start"),
        ({"colour": "red"}, 400, "colour"),
        ({"start": "2026-12-04T10:00:00Z"}, 422, "respect_working_hours"),  # Friday: not one of Maya's days
    ],
)
def test_invalid_requests_name_the_field(live_api: LiveApi, changes: dict[str, Any], status: int, field: str) -> None:
    sent = {k: v for k, v in body(**changes).items() if v is not None}
    answer = call(live_api, "POST", "series", RAVI, sent)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["field"] == field


def test_only_its_people_start_a_series(live_api: LiveApi) -> None:
    assert call(live_api, "POST", "series", ANA, body()).status_code == 403


def test_book_ahead_days_and_an_open_ended_series(live_api: LiveApi) -> None:
    sent = {k: v for k, v in body(bookAheadDays=7, minutes=30, intervalDays=7).items() if k != "count"}
    started = call(live_api, "POST", "series", MAYA, sent)
    assert started.status_code == 201, started.text
    got = started.json()
    assert (got["bookAheadDays"], got["minutes"], got["intervalDays"], got["count"]) == (7, 30, 7, None)
    assert got["sessions"][0]["minutes"] == 30
