"""The learning-record outbox: one row per record to deliver (an xAPI statement, a Viva Learning course
activity), keyed by the record's own stable id, so enqueuing a record twice keeps one row.

A row is `pending` until delivered (`sent`) or refused for good (`failed`, e.g. an LRS answering 400: the
same statement would be refused again). A pending row that failed carries its attempt count, the time of
its next attempt (exponential backoff, decided by the caller) and the last error, which health reports.

Backends follow the store they sit beside: a table in the SQLite file (migration in `store/sqlite.py`), or
a `<prefix>learningoutbox` table in Table Storage (one partition, RowKey = escaped key).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from store._codec import from_utc_iso, to_utc_iso
from store.base import Store

__all__ = ["FAILED", "PENDING", "SENT", "LearningOutbox", "OutboxItem", "OutboxSummary", "open_outbox", "retried"]

PENDING, SENT, FAILED = "pending", "sent", "failed"
_COLUMNS = (
    "key", "kind", "session_id", "payload", "state", "attempts", "next_attempt_at", "last_error", "created_at",
    "sent_at", "outcome",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OutboxItem:
    key: str  # "xapi:<statement id>" / "viva:<external course activity id>": the record's own id
    kind: str  # "xapi" | "viva"
    session_id: str
    payload: dict[str, Any]
    created_at: datetime
    next_attempt_at: datetime
    state: str = PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    outcome: str | None = None  # how the receiver took it: "stored", "already stored", "conflict", …


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    pending: int = 0
    retrying: int = 0  # pending rows that failed at least once
    failed: int = 0
    sent: int = 0
    last_error: str | None = None
    last_error_key: str | None = None


class LearningOutbox(Protocol):
    def enqueue(self, items: Iterable[OutboxItem]) -> int:
        """Insert each item unless its key exists; how many were new."""

    def get(self, key: str) -> OutboxItem | None: ...

    def due(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        """Pending items whose next attempt is at or before `now`, oldest first."""

    def save(self, item: OutboxItem) -> None:
        """Write the item's delivery state (state, attempts, next attempt, error, sent_at, outcome)."""

    def summary(self) -> OutboxSummary: ...


def _record(item: OutboxItem) -> dict[str, Any]:
    return {
        "key": item.key,
        "kind": item.kind,
        "session_id": item.session_id,
        "payload": json.dumps(item.payload, sort_keys=True, separators=(",", ":")),
        "state": item.state,
        "attempts": item.attempts,
        "next_attempt_at": to_utc_iso(item.next_attempt_at),
        "last_error": item.last_error,
        "created_at": to_utc_iso(item.created_at),
        "sent_at": to_utc_iso(item.sent_at) if item.sent_at else None,
        "outcome": item.outcome,
    }


def _item(row: dict[str, Any]) -> OutboxItem:
    return OutboxItem(
        key=str(row["key"]),
        kind=str(row["kind"]),
        session_id=str(row["session_id"]),
        payload=json.loads(row["payload"]),
        state=str(row["state"]),
        attempts=int(row["attempts"]),
        next_attempt_at=from_utc_iso(row["next_attempt_at"]),
        last_error=row.get("last_error"),
        created_at=from_utc_iso(row["created_at"]),
        sent_at=from_utc_iso(row["sent_at"]) if row.get("sent_at") else None,
        outcome=row.get("outcome"),
    )


def _summary(rows: Iterable[dict[str, Any]]) -> OutboxSummary:
    counts = {PENDING: 0, SENT: 0, FAILED: 0}
    retrying = 0
    latest: tuple[str, str, str] | None = None  # (next attempt / created, key, error)
    for row in rows:
        counts[str(row["state"])] = counts.get(str(row["state"]), 0) + 1
        if row["state"] == PENDING and int(row["attempts"]) > 0:
            retrying += 1
        if row["state"] != SENT and row.get("last_error"):
            stamp = str(row["next_attempt_at"])
            if latest is None or stamp > latest[0]:
                latest = (stamp, str(row["key"]), str(row["last_error"]))
    return OutboxSummary(
        pending=counts[PENDING],
        retrying=retrying,
        failed=counts[FAILED],
        sent=counts[SENT],
        last_error=latest[2] if latest else None,
        last_error_key=latest[1] if latest else None,
    )


class SqliteOutbox:
    """The outbox in the `learning_outbox` table of a `SqliteStore`'s database (same connections)."""

    def __init__(self, store: Any) -> None:
        self._store = store  # a store.sqlite.SqliteStore; its migrations create the table

    def enqueue(self, items: Iterable[OutboxItem]) -> int:
        rows = [_record(i) for i in items]
        if not rows:
            return 0
        columns = ", ".join(f'"{c}"' for c in _COLUMNS)
        names = ", ".join(f":{c}" for c in _COLUMNS)
        added = 0
        with self._store._transaction() as conn:
            for row in rows:
                cursor = conn.execute(
                    f'INSERT INTO learning_outbox ({columns}) VALUES ({names}) ON CONFLICT ("key") DO NOTHING', row
                )
                added += cursor.rowcount
        return added

    def get(self, key: str) -> OutboxItem | None:
        with self._store._connection() as conn:
            row = conn.execute('SELECT * FROM learning_outbox WHERE "key" = ?', (key,)).fetchone()
        return None if row is None else _item(row)

    def due(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        with self._store._connection() as conn:
            rows = conn.execute(
                'SELECT * FROM learning_outbox WHERE "state" = ? AND "next_attempt_at" <= ? '
                'ORDER BY "next_attempt_at", "key" LIMIT ?',
                (PENDING, to_utc_iso(now), limit),
            ).fetchall()
        return [_item(r) for r in rows]

    def save(self, item: OutboxItem) -> None:
        row = _record(item)
        with self._store._transaction() as conn:
            conn.execute(
                'UPDATE learning_outbox SET "state" = :state, "attempts" = :attempts, '
                '"next_attempt_at" = :next_attempt_at, "last_error" = :last_error, "sent_at" = :sent_at, '
                '"outcome" = :outcome WHERE "key" = :key',
                row,
            )

    def summary(self) -> OutboxSummary:
        with self._store._connection() as conn:
            rows = conn.execute(
                'SELECT "key", "state", "attempts", "next_attempt_at", "last_error" FROM learning_outbox'
            ).fetchall()
        return _summary(rows)


class TablesOutbox:
    """The outbox in `<prefix>learningoutbox` beside a `TableStore`'s tables: one partition ("o"),
    RowKey = the escaped key; insert-only creation makes enqueuing idempotent."""

    _PARTITION = "o"

    def __init__(self, store: Any) -> None:
        from store.tables import escape_key  # Azure SDK only when Table Storage is in use

        self._escape = escape_key
        self._table = store._service.create_table_if_not_exists(store.table_prefix + "learningoutbox")

    def _entity(self, item: OutboxItem) -> dict[str, Any]:
        record = {k: v for k, v in _record(item).items() if v is not None}
        return {"PartitionKey": self._PARTITION, "RowKey": self._escape(item.key), **record}

    def enqueue(self, items: Iterable[OutboxItem]) -> int:
        from azure.core.exceptions import ResourceExistsError

        added = 0
        for item in items:
            try:
                self._table.create_entity(self._entity(item))
                added += 1
            except ResourceExistsError:
                pass
        return added

    def get(self, key: str) -> OutboxItem | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return _item(dict(self._table.get_entity(self._PARTITION, self._escape(key))))
        except ResourceNotFoundError:
            return None

    def due(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        rows = self._table.query_entities(
            "PartitionKey eq @p and state eq @s and next_attempt_at le @t",
            parameters={"p": self._PARTITION, "s": PENDING, "t": to_utc_iso(now)},
        )
        items = sorted((_item(dict(r)) for r in rows), key=lambda i: (i.next_attempt_at, i.key))
        return items[:limit]

    def save(self, item: OutboxItem) -> None:
        from azure.data.tables import UpdateMode

        # Replace (not merge): cleared fields (last_error after a success) must go.
        self._table.upsert_entity(self._entity(item), mode=UpdateMode.REPLACE)

    def summary(self) -> OutboxSummary:
        rows = self._table.query_entities(
            "PartitionKey eq @p",
            parameters={"p": self._PARTITION},
            select=["key", "state", "attempts", "next_attempt_at", "last_error"],
        )
        return _summary(dict(r) for r in rows)

    def drop(self) -> None:
        """Delete the table (test clean-up)."""
        self._table.delete_table()


def open_outbox(store: Store) -> LearningOutbox:
    """The outbox beside `store`, in the same database / storage account."""
    from store.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        return SqliteOutbox(store)
    from store.tables import TableStore

    if isinstance(store, TableStore):
        return TablesOutbox(store)
    raise TypeError(f"no learning outbox for {type(store).__name__}")


def retried(item: OutboxItem, *, error: str, next_attempt_at: datetime, give_up: bool) -> OutboxItem:
    """The item after a failed attempt: retried at `next_attempt_at`, or `failed` for good."""
    return replace(
        item,
        state=FAILED if give_up else PENDING,
        attempts=item.attempts + 1,
        last_error=error[:1000],
        next_attempt_at=next_attempt_at,
    )
