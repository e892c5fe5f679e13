"""Learning records end to end against a real LRS on loopback (Learning Locker's xapi-statements):
enqueued once, delivered once, resent harmlessly after a crash, retried with backoff while the LRS is down."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.model import MentoringRequest, Participant, Session, SessionState
from core.xapi import XapiConfig
from learning.lrs import LrsClient
from learning.settings import LrsSettings
from services.learning import deliver_learning_records, enqueue_learning_records, learning_health
from store.learning_outbox import FAILED, PENDING, SENT, OutboxItem, SqliteOutbox
from store.sqlite import SqliteStore
from tests.learning.conftest import Validator, stored_statements

XAPI = XapiConfig("https://mm.example.com/xapi", "https://login.microsoftonline.com/tenant-1")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _session(number: int, state: SessionState, mentees: tuple[str, ...], **extra: Any) -> Session:
    start = NOW - DAY * number
    return Session(
        id=f"s-{number}",
        mentor="mia@contoso.com",
        mentees=mentees,
        start=start,
        end=start + timedelta(minutes=30),
        question="How?",
        created_at=start - DAY,
        state=state,
        topic="Pivot tables",
        **extra,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "store.db")
    opened.add_request(MentoringRequest("r-1", "ann@contoso.com", "Excel", "How?", NOW - DAY * 9))
    opened.add_session(
        _session(
            1,
            SessionState.COMPLETED,
            ("ann@contoso.com", "bo@contoso.com"),
            request_id="r-1",
            people=(Participant("ann@contoso.com", "oid-ann"),),
        )
    )
    opened.add_session(_session(2, SessionState.COMPLETED, ("cy@contoso.com",)))
    opened.add_session(_session(3, SessionState.NO_SHOW, ("dee@contoso.com",)))
    opened.add_session(_session(4, SessionState.CANCELLED, ("eve@contoso.com",)))
    yield opened
    opened.close()


def _deliver(outbox: SqliteOutbox, url: str, now: datetime, transport: httpx.AsyncBaseTransport | None = None) -> Any:
    async def main() -> Any:
        client = LrsClient(LrsSettings(url, "key", "secret"), transport=transport)
        try:
            return await deliver_learning_records(outbox, now, lrs=client)
        finally:
            await client.aclose()

    return asyncio.run(main())


def test_each_completed_session_is_logged_once_per_mentee(
    store: SqliteStore, lrs: str, xapi_problems: Validator
) -> None:
    outbox = SqliteOutbox(store)
    # Two completed sessions: 2 mentees + 1 mentee; the no-show and the cancelled one give nothing.
    assert enqueue_learning_records(store, outbox, XAPI, NOW) == 3
    assert enqueue_learning_records(store, outbox, XAPI, NOW) == 0  # keyed: a second scan adds nothing
    result = _deliver(outbox, lrs, NOW)
    assert (result.sent, result.retrying, result.failed) == (3, 0, 0)
    assert _deliver(outbox, lrs, NOW).sent == 0  # nothing left to send
    held = stored_statements(lrs)
    assert sorted(s["actor"].get("mbox") or s["actor"]["account"]["name"] for s in held) == [
        "mailto:bo@contoso.com",
        "mailto:cy@contoso.com",
        "oid-ann",
    ]
    names = {s["id"]: s["object"]["definition"]["name"]["en-US"] for s in held}
    assert sorted(names.values()) == ["micro mentoring: Excel"] * 2 + ["micro mentoring: Pivot tables"]
    # What the LRS gives back (with its own `stored`, `authority`, `version`) still validates.
    assert xapi_problems(held) == [[]] * 3
    assert learning_health(outbox) == {"ok": True, "pending": 0, "retrying": 0, "failed": 0, "sent": 3}


class DropsAfterForwarding(httpx.AsyncBaseTransport):
    """Sends the request to the LRS, then loses the answer for the statements named: the LRS stored the
    statement, but the connection dropped before we heard so (a crash in the middle of delivery)."""

    def __init__(self, drop: set[str]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.drop = drop

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        statement_id = request.url.params.get("statementId")
        if statement_id in self.drop:
            self.drop.discard(statement_id)
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_connection_dropped_after_the_lrs_stored_it_stores_nothing_twice(store: SqliteStore, lrs: str) -> None:
    outbox = SqliteOutbox(store)
    enqueue_learning_records(store, outbox, XAPI, NOW)
    keys = sorted(i.key for i in outbox.due(NOW))
    dropped = keys[1].removeprefix("xapi:")
    first = _deliver(outbox, lrs, NOW, DropsAfterForwarding({dropped}))
    assert (first.sent, first.retrying) == (2, 1)
    item = outbox.get(keys[1])
    assert item is not None and item.state == PENDING and item.attempts == 1
    assert item.next_attempt_at == NOW + timedelta(minutes=1)
    assert "RemoteProtocolError" in (item.last_error or "")
    assert len(stored_statements(lrs)) == 3  # the LRS has it already
    again = _deliver(outbox, lrs, NOW + timedelta(minutes=1))
    assert again.sent == 1
    resent = outbox.get(keys[1])
    assert resent is not None and resent.state == SENT and resent.outcome == "stored"  # 204: identical
    held = stored_statements(lrs)
    assert sorted(s["id"] for s in held) == sorted(k.removeprefix("xapi:") for k in keys)  # each exactly once


class CrashesOnSave(SqliteOutbox):
    """The process dies right after the LRS took a statement, before the outbox noted it."""

    def save(self, item: OutboxItem) -> None:
        if item.state == SENT:
            raise KeyboardInterrupt("killed")
        super().save(item)


def test_a_worker_killed_between_send_and_save_resends_harmlessly(store: SqliteStore, lrs: str) -> None:
    enqueue_learning_records(store, SqliteOutbox(store), XAPI, NOW)
    with pytest.raises(KeyboardInterrupt):
        _deliver(CrashesOnSave(store), lrs, NOW)
    assert len(stored_statements(lrs)) == 1  # the first one went out, then the worker died
    outbox = SqliteOutbox(store)
    assert len(outbox.due(NOW)) == 3  # nothing was marked sent
    assert _deliver(outbox, lrs, NOW).sent == 3
    held = stored_statements(lrs)
    assert len(held) == len({s["id"] for s in held}) == 3


def test_lrs_down_retries_with_backoff_and_health_shows_it(store: SqliteStore, lrs: str) -> None:
    outbox = SqliteOutbox(store)
    enqueue_learning_records(store, outbox, XAPI, NOW)
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}/xAPI"
    first = _deliver(outbox, down, NOW)
    assert (first.sent, first.retrying) == (0, 3)
    health = learning_health(outbox)
    assert health["ok"] is False
    assert (health["pending"], health["retrying"], health["failed"]) == (3, 3, 0)
    assert health["lastError"].startswith("LRS unreachable: ConnectError")
    assert outbox.due(NOW + timedelta(seconds=59)) == []  # waits a minute
    assert _deliver(outbox, down, NOW + timedelta(minutes=1)).retrying == 3
    # Second failure: two minutes more; then 4, 8, … capped at six hours.
    assert {i.next_attempt_at for i in outbox.due(NOW + timedelta(minutes=3))} == {NOW + timedelta(minutes=3)}
    assert outbox.due(NOW + timedelta(minutes=2, seconds=59)) == []
    back = _deliver(outbox, lrs, NOW + timedelta(minutes=3))  # the LRS is back
    assert back.sent == 3
    assert learning_health(outbox) == {"ok": True, "pending": 0, "retrying": 0, "failed": 0, "sent": 3}
    assert len(stored_statements(lrs)) == 3


def test_a_statement_the_lrs_refuses_fails_for_good(store: SqliteStore, lrs: str) -> None:
    outbox = SqliteOutbox(store)
    key = "xapi:7f6c2b0e-0d7e-5b1a-9c3e-2f4a5b6c7d8e"
    bad: dict[str, Any] = {"id": key[5:], "actor": {"mbox": "not-a-mailbox"}, "verb": {"id": "x"}}
    outbox.enqueue([OutboxItem(key, "xapi", "s-x", bad, NOW, NOW)])
    result = _deliver(outbox, lrs, NOW)
    assert (result.sent, result.failed) == (0, 1)
    item = outbox.get(key)
    assert item is not None and item.state == FAILED
    assert (item.last_error or "").startswith("LRS answered 400")
    health = learning_health(outbox)
    assert (health["ok"], health["failed"]) == (False, 1)
    assert outbox.due(NOW + timedelta(days=365)) == []  # never retried
    assert stored_statements(lrs) == []


def test_requests_carry_the_xapi_version_and_basic_auth() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async def main() -> str:
        client = LrsClient(LrsSettings("https://lrs.example.com/xapi", "k", "s"), transport=httpx.MockTransport(answer))
        try:
            return await client.put_statement({"id": "0b9f1c52-5d3a-5e7f-8a9b-1c2d3e4f5a6b"})
        finally:
            await client.aclose()

    assert asyncio.run(main()) == "stored"
    [request] = seen
    assert request.method == "PUT"
    assert (
        str(request.url) == "https://lrs.example.com/xapi/statements?statementId=0b9f1c52-5d3a-5e7f-8a9b-1c2d3e4f5a6b"
    )
    assert request.headers["X-Experience-API-Version"] == "1.0.3"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"k:s").decode()
