"""The learning outbox on every backend: insert-once by key, due order, saved delivery state, summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from store.base import Store
from store.learning_outbox import FAILED, PENDING, SENT, LearningOutbox, OutboxItem, TablesOutbox, open_outbox, retried

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def outbox(store: Store) -> Iterator[LearningOutbox]:
    opened = open_outbox(store)
    yield opened
    if isinstance(opened, TablesOutbox):
        opened.drop()


def item(key: str, at: datetime = NOW, **payload: Any) -> OutboxItem:
    return OutboxItem(f"xapi:{key}", "xapi", "s-1", {"id": key, **payload}, NOW, at)


def test_enqueue_keeps_one_row_per_key(outbox: LearningOutbox) -> None:
    assert outbox.enqueue([item("a"), item("b")]) == 2
    assert outbox.enqueue([item("a", note="changed"), item("c")]) == 1  # "a" stays as first written
    stored = outbox.get("xapi:a")
    assert stored is not None and stored.payload == {"id": "a"} and stored.state == PENDING
    assert outbox.get("xapi:nope") is None
    assert outbox.enqueue([]) == 0


def test_due_is_pending_and_time_ordered(outbox: LearningOutbox) -> None:
    outbox.enqueue([item("late", NOW + timedelta(minutes=5)), item("b"), item("a"), item("x/y|z#?")])
    assert [i.key for i in outbox.due(NOW)] == ["xapi:a", "xapi:b", "xapi:x/y|z#?"]
    assert [i.key for i in outbox.due(NOW, limit=1)] == ["xapi:a"]
    assert [i.key for i in outbox.due(NOW + timedelta(minutes=5))][-1] == "xapi:late"


def test_saved_state_and_summary(outbox: LearningOutbox) -> None:
    outbox.enqueue([item("a"), item("b"), item("c"), item("d")])
    a, b, c, _ = outbox.due(NOW)
    outbox.save(replace(a, state=SENT, sent_at=NOW, outcome="stored"))
    outbox.save(
        retried(b, error="LRS unreachable: ConnectError", next_attempt_at=NOW + timedelta(minutes=1), give_up=False)
    )
    outbox.save(retried(c, error="LRS answered 400", next_attempt_at=NOW + timedelta(minutes=2), give_up=True))
    assert [i.key for i in outbox.due(NOW)] == ["xapi:d"]
    saved = outbox.get("xapi:b")
    assert saved is not None
    assert (saved.state, saved.attempts, saved.next_attempt_at) == (PENDING, 1, NOW + timedelta(minutes=1))
    failed = outbox.get("xapi:c")
    assert failed is not None and failed.state == FAILED
    sent = outbox.get("xapi:a")
    assert sent is not None and (sent.sent_at, sent.outcome, sent.last_error) == (NOW, "stored", None)
    summary = outbox.summary()
    assert (summary.pending, summary.retrying, summary.failed, summary.sent) == (2, 1, 1, 1)
    assert summary.last_error == "LRS answered 400"  # the latest of the failures (by next attempt)
    assert summary.last_error_key == "xapi:c"


def test_concurrent_enqueues_of_the_same_records_keep_one_each(
    outbox: LearningOutbox, concurrently: Callable[..., list[Any]]
) -> None:
    results = concurrently(4, lambda _: outbox.enqueue([item("a"), item("b"), item("c")]))
    assert sum(r for r in results if isinstance(r, int)) == 3
    assert outbox.summary().pending == 3
