"""Retries of one request while it is in flight (issue #12): the same Idempotency-Key and body is
answered with that request's result (200, the same session) or 409 `idempotency_in_progress` with
Retry-After; never "the slot is no longer free". One meeting either way."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from core.errors import Conflict, IdempotencyInProgress
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.booking import BookingResult, book_session
from store import open_store
from tests.conftest import API_NOW, LiveApi, with_graph
from tests.functions.test_http_routes import MAYA, RAVI, session_body
from tests.services.test_booking import NOW, URL, request


def meetings_of_maya(admin: Any) -> list[Any]:
    state = admin.get("/state")
    events = [e for u in state["users"] if u["userPrincipalName"] == MAYA for e in u["events"]]
    return [e for e in events if "Micro-mentoring" in (e.get("categories") or [])]


def test_twenty_concurrent_retries_of_one_request_over_http(live_api: LiveApi) -> None:
    async def hammer() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60, headers=live_api.auth(RAVI)) as client:
            posts = [
                client.post(f"{live_api.url}/sessions", json=session_body(), headers={"Idempotency-Key": "retry-1"})
                for _ in range(20)
            ]
            return await asyncio.gather(*posts)

    answers = asyncio.run(hammer())
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == 1, [a.text for a in answers]
    created = next(a.json() for a in answers if a.status_code == 201)
    for answer in answers:
        if answer.status_code == 200:
            assert answer.json()["id"] == created["id"] and answer.json()["eventId"] == created["eventId"]
        elif answer.status_code == 409:
            assert answer.json()["error"]["code"] == "idempotency_in_progress", answer.text
            assert answer.json()["error"]["field"] == "Idempotency-Key" and int(answer.headers["Retry-After"]) > 0
        else:
            assert answer.status_code == 201, answer.text
    assert len(meetings_of_maya(live_api.admin)) == 1
    assert len([s for s in live_api.runtime.store.list_sessions(mentor=MAYA) if s.event_id]) == 1


def test_retries_on_other_hosts_are_never_told_the_slot_is_taken(
    graph_settings: GraphSettings, tmp_path: Path, admin: Any
) -> None:
    # Each thread is a host of its own: its own event loop, Graph client and store connection, so the
    # in-process wait does not apply; the booking itself must tell its own meeting from a taken slot.
    db = f"sqlite:///{tmp_path / 'mm.db'}"
    open_store(db)

    def host(_: int) -> BookingResult | BaseException:
        async def body(g: GraphGateway) -> BookingResult:
            store = open_store(db)
            return await book_session(
                g, store, TenantPolicy(), request(idempotency_key="retry-2"), now=NOW, public_url=URL
            )

        try:
            return with_graph(graph_settings, body)
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(host, range(8)))
    results = [o for o in outcomes if isinstance(o, BookingResult)]
    refusals = [o for o in outcomes if not isinstance(o, BookingResult)]
    assert all(isinstance(r, IdempotencyInProgress) for r in refusals), refusals
    assert [r.created for r in results].count(True) <= 1 and results
    assert len({r.session.id for r in results}) == 1
    assert len(meetings_of_maya(admin)) == 1


def test_the_sync_timer_frees_a_claim_whose_booking_died(live_api: LiveApi) -> None:
    slot = API_NOW + timedelta(hours=9)  # Monday 09:00Z
    live_api.runtime.store.claim_slot(MAYA, [slot], "died-before-its-session", API_NOW - timedelta(hours=1))
    refused = live_api.client.post("/sessions", json=session_body(), timeout=60)
    assert refused.status_code == 409, refused.text
    live_api.host.run_threadsafe(live_api.host.run_timer("plan_sync"))
    booked = live_api.client.post("/sessions", json=session_body(), timeout=60)
    assert booked.status_code == 201, booked.text
