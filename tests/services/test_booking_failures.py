"""A booking that fails after claiming its slot never keeps the slot (issue #12), unless its meeting
may exist in Graph: then the claim stays and sync settles it. Real adapters: emulator and SQLite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import services.booking as booking
from core.errors import Conflict
from core.model import SessionState
from graph.config import GraphSettings
from graph.errors import GraphRequestError, GraphUnavailable
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.booking import book_session
from services.claims import ORPHAN_CLAIM_AGE, release_orphan_claims
from store import open_store
from store.base import Store
from tests.conftest import with_graph
from tests.services.test_booking import MONDAY_9, NOW, URL, request


class Injected(RuntimeError):
    """The failure a test injects."""


class FailingStore:
    """The real store, with one method made to fail on its `nth` call."""

    def __init__(self, store: Store, method: str, nth: int = 1) -> None:
        self._store, self._method, self._left = store, method, nth

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._store, name)
        if name != self._method:
            return real

        def failing(*args: Any, **kwargs: Any) -> Any:
            self._left -= 1
            if self._left == 0:
                raise Injected(f"{name} failed")
            return real(*args, **kwargs)

        return failing


def claimed_by(store: Store) -> list[str]:
    """Who holds Maya's 09:00 cell: the session ids whose claim is in the way of a new booking."""
    try:
        store.claim_slot("maya@contoso.example", [MONDAY_9], "probe")
    except Conflict as taken:
        return [taken.message]
    store.release_slot("maya@contoso.example", "probe")
    return []


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'mm.db'}")


def fail_graph(error: Exception) -> Callable[[GraphGateway], None]:
    def patch(graph: GraphGateway) -> None:
        async def create_event(*_: Any) -> Any:
            raise error

        graph.create_event = create_event  # type: ignore[method-assign]

    return patch


STEPS_BEFORE_GRAPH: dict[str, tuple[str | None, int, Callable[[GraphGateway], None] | None]] = {
    # step: (store method that fails, on which call, or a Graph patch)
    "writing the session": ("add_session", 1, None),
    "the race check": ("list_sessions", 1, None),
    "building the invitation": (None, 0, None),
    "Graph rejecting the meeting": (None, 0, fail_graph(GraphRequestError("bad attendee", status=400))),
}


@pytest.mark.parametrize("step", sorted(STEPS_BEFORE_GRAPH))
def test_a_failure_after_the_claim_frees_the_slot(
    graph_settings: GraphSettings, store: Store, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    method, nth, patch_graph = STEPS_BEFORE_GRAPH[step]
    failing: Any = FailingStore(store, method, nth) if method else store
    if step == "building the invitation":

        def broken(**_: Any) -> Any:
            raise Injected("agenda failed")

        monkeypatch.setattr(booking, "build_agenda", broken)

    async def body(g: GraphGateway) -> Any:
        if patch_graph is not None:
            patch_graph(g)
        with pytest.raises((Injected, GraphRequestError)):
            await book_session(g, failing, TenantPolicy(), request(idempotency_key="k-1"), now=NOW, public_url=URL)
        return None

    with_graph(graph_settings, body)
    assert claimed_by(store) == []
    monkeypatch.undo()

    async def again(g: GraphGateway) -> Any:
        return await book_session(g, store, TenantPolicy(), request(idempotency_key="k-2"), now=NOW, public_url=URL)

    result = with_graph(graph_settings, again)
    assert result.created and result.session.event_id and result.session.start == MONDAY_9


@pytest.mark.parametrize("step", ["Graph unreachable during the create", "attaching the meeting"])
def test_a_failure_once_the_meeting_may_exist_keeps_the_claim_for_sync(
    graph_settings: GraphSettings, store: Store, step: str
) -> None:
    failing: Any = FailingStore(store, "update_session") if step == "attaching the meeting" else store

    async def body(g: GraphGateway) -> Any:
        if step == "Graph unreachable during the create":
            fail_graph(GraphUnavailable("timed out", status=504))(g)
        with pytest.raises((Injected, GraphUnavailable)):
            await book_session(g, failing, TenantPolicy(), request(idempotency_key="k-1"), now=NOW, public_url=URL)
        with pytest.raises(Conflict):
            await book_session(g, store, TenantPolicy(), request(idempotency_key="k-2"), now=NOW, public_url=URL)
        return None

    with_graph(graph_settings, body)
    [session] = store.list_sessions()
    assert session.state == SessionState.SCHEDULED and not session.event_id  # for sync to settle
    assert claimed_by(store)
    # The orphan sweep leaves it alone: the session is alive.
    assert release_orphan_claims(store, NOW + ORPHAN_CLAIM_AGE + timedelta(minutes=1)) == 0


def test_a_booking_that_died_between_claim_and_session_is_freed_by_the_sweep(
    graph_settings: GraphSettings, store: Store
) -> None:
    # What a killed worker leaves: the claim, no session.
    store.claim_slot("maya@contoso.example", [MONDAY_9], "dead", NOW)
    assert release_orphan_claims(store, NOW + timedelta(minutes=5)) == 0  # it may still be booking
    later = NOW + ORPHAN_CLAIM_AGE + timedelta(minutes=1)
    assert release_orphan_claims(store, later) == 1
    result = with_graph(
        graph_settings, lambda g: book_session(g, store, TenantPolicy(), request(), now=later, public_url=URL)
    )
    assert result.created and result.session.start == MONDAY_9


def test_a_retry_with_the_key_books_a_booking_that_failed_before_graph(
    graph_settings: GraphSettings, store: Store
) -> None:
    failing: Any = FailingStore(store, "list_sessions")  # the session is written, then the race check fails

    async def body(g: GraphGateway) -> Any:
        with pytest.raises(Injected):
            await book_session(g, failing, TenantPolicy(), request(idempotency_key="k-1"), now=NOW, public_url=URL)
        [unmade] = store.list_sessions()
        assert unmade.state == SessionState.CANCELLED and unmade.state_reason == "booking_failed"
        return await book_session(g, store, TenantPolicy(), request(idempotency_key="k-1"), now=NOW, public_url=URL)

    retried = with_graph(graph_settings, body)
    assert retried.session.event_id and retried.session.state == SessionState.SCHEDULED
    assert retried.session.state_reason is None and [s.id for s in store.list_sessions()] == [retried.session.id]
