"""The HTTP API of http-api.md through the local host: real HTTP, the registered functions, the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import LiveApi

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
MONDAY_9 = "2026-11-30T09:00:00Z"


def session_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mentor": MAYA,
        "mentees": [RAVI],
        "start": MONDAY_9,
        "minutes": 15,
        "question": "How do I scope a spike?",
    }
    body.update(changes)
    return body


def test_health_reports_graph_and_storage(live_api: LiveApi) -> None:
    answer = live_api.client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["checks"]["graph"]["ok"] and answer.json()["checks"]["storage"]["ok"]


def test_slots_route_ranks_and_validates(live_api: LiveApi) -> None:
    answer = live_api.client.get("/slots", params={"mentor": MAYA, "mentee": RAVI, "limit": 2}, timeout=30)
    assert answer.status_code == 200, answer.text
    slots = answer.json()["slots"]
    assert len(slots) == 2 and all(s["why"] for s in slots)
    unknown = live_api.client.get("/slots", params={"mentor": MAYA, "mentee": "x@contoso.example"}, timeout=30)
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "mentee"
    bad = live_api.client.get("/slots", params={"mentor": MAYA, "mentee": RAVI, "minutes": "ten"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "minutes"


def test_book_read_replay_and_cancel(live_api: LiveApi) -> None:
    headers = {"Idempotency-Key": "http-1"}
    created = live_api.client.post("/sessions", json=session_body(), headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["joinUrl"] and session["state"] == "scheduled"
    replay = live_api.client.post("/sessions", json=session_body(), headers=headers, timeout=30)
    assert replay.status_code == 200 and replay.json()["id"] == session["id"]
    other = live_api.client.post(
        "/sessions", json=session_body(start="2026-11-30T10:00:00Z"), headers=headers, timeout=30
    )
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"
    read = live_api.client.get(f"/sessions/{session['id']}")
    assert read.status_code == 200 and read.json()["eventId"] == session["eventId"]
    cancelled = live_api.client.post(f"/sessions/{session['id']}/cancel", json={"comment": "sorry"}, timeout=30)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert live_api.client.get("/sessions/nope").status_code == 404


def test_bad_bodies_are_4xx_naming_the_field(live_api: LiveApi) -> None:
    cases: list[tuple[Any, int, str]] = [
        (b"{not json", 400, "body"),
        (session_body(question=None), 400, "question"),
        (session_body(question="x" * 1000), 400, "question"),
        (session_body(start="2026-11-30T09:07:00Z"), 400, "start"),
        (session_body(start="2026-11-01T09:00:00Z"), 400, "start"),
        (session_body(start="2026-11-30T09:00:00"), 400, "start"),
        (session_body(mentees=["ghost@contoso.example"]), 404, "mentee"),
        (session_body(mentees="ravi"), 400, "mentees"),
        (session_body(minutes=True), 400, "minutes"),
        (session_body(extra=1), 400, "extra"),
        (b"x" * 70_000, 400, "body"),
        ([1, 2], 400, "body"),
    ]
    for body, status, field in cases:
        if isinstance(body, bytes):
            answer = live_api.client.post(
                "/sessions", content=body, headers={"Content-Type": "application/json"}, timeout=30
            )
        else:
            answer = live_api.client.post("/sessions", json=body, timeout=30)
        assert answer.status_code == status, (body if not isinstance(body, bytes) else body[:20], answer.text)
        assert answer.json()["error"]["field"] == field


def test_policy_forbidden_slot_is_422_naming_the_rule(live_api: LiveApi) -> None:
    friday = live_api.client.post("/sessions", json=session_body(start="2026-12-04T09:00:00Z"), timeout=30)
    assert friday.status_code == 422 and friday.json()["error"]["field"] == "respect_working_hours"
    # 13:00Z is 18:30 in Bengaluru: past Ravi's day window (08:00-18:00), the field is day_end.
    late = live_api.client.post("/sessions", json=session_body(start="2026-11-30T13:00:00Z"), timeout=30)
    assert late.status_code == 422 and late.json()["error"]["field"] == "day_end"
    # 07:45Z is 07:45 in London: before Maya's day window (08:00), the field is day_start.
    early = live_api.client.post("/sessions", json=session_body(start="2026-11-30T07:45:00Z"), timeout=30)
    assert early.status_code == 422 and early.json()["error"]["field"] == "day_start"
    # Too soon and past the horizon are policy rules too (core/slots.py's table): 422, not 400. The clock
    # is Monday 00:00Z; the default policy wants 120 minutes' notice and a start within 14 days.
    soon = live_api.client.post("/sessions", json=session_body(start="2026-11-30T01:00:00Z"), timeout=30)
    assert soon.status_code == 422 and soon.json()["error"]["field"] == "min_notice_minutes"
    far = live_api.client.post("/sessions", json=session_body(start="2026-12-14T09:00:00Z"), timeout=30)
    assert far.status_code == 422 and far.json()["error"]["field"] == "horizon_days"


def test_twenty_concurrent_posts_for_one_slot_give_one_201_and_nineteen_409(live_api: LiveApi) -> None:
    async def hammer() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60, headers=live_api.auth(RAVI)) as client:
            posts = [
                client.post(f"{live_api.url}/sessions", json=session_body(), headers={"Idempotency-Key": f"c-{i}"})
                for i in range(20)
            ]
            return await asyncio.gather(*posts)

    answers = asyncio.run(hammer())
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 19, [a.text for a in answers if a.status_code not in (201, 409)]
    conflicts = [a.json() for a in answers if a.status_code == 409]
    assert all(c["error"]["field"] == "start" and c["alternatives"] for c in conflicts)
    sessions = live_api.runtime.store.list_sessions(mentor=MAYA)
    assert len([s for s in sessions if s.event_id]) == 1


def test_graph_down_is_503_with_retry_after(live_api: LiveApi, admin: Any) -> None:
    admin.fault(method="POST", path="/getSchedule", status=503, retryAfter=0)
    answer = live_api.client.get("/slots", params={"mentor": MAYA, "mentee": RAVI}, timeout=60)
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.json()["error"]["code"] == "graph_unavailable"


def test_routes_need_a_valid_token_and_a_participant(live_api: LiveApi) -> None:
    anonymous = httpx.post(f"{live_api.url}/sessions", json=session_body(), timeout=30)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    forged = httpx.get(
        f"{live_api.url}/slots",
        params={"mentor": MAYA, "mentee": RAVI},
        headers={"Authorization": "Bearer not.a.token"},
    )
    assert forged.status_code == 401
    outsider = httpx.post(f"{live_api.url}/sessions", json=session_body(), headers=live_api.auth("ana@contoso.example"))
    assert outsider.status_code == 403
    as_admin = httpx.post(
        f"{live_api.url}/sessions", json=session_body(), headers=live_api.auth("ana@contoso.example", "Mentoring.Admin")
    )
    assert as_admin.status_code == 201, as_admin.text
    created = as_admin.json()
    assert (
        httpx.get(f"{live_api.url}/sessions/{created['id']}", headers=live_api.auth("sita@contoso.example")).status_code
        == 403
    )
    assert httpx.get(f"{live_api.url}/sessions/{created['id']}", headers=live_api.auth(RAVI)).status_code == 200


def test_unknown_routes_and_methods_answer_json(live_api: LiveApi) -> None:
    missing = live_api.client.get("/nosuch")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "path"
    wrong = live_api.client.delete("/sessions")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    anonymous = httpx.get(f"{live_api.url}/slots")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["field"] == "Authorization"
