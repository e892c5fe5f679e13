"""The series port: one record per series (core.series.Series), kept beside a store.

Kept apart from `store.base.Store`, as the outbox is; `open_series_store(store)` gives the implementation
that lives beside a store (SQLite: same file, migration 8; Azure Tables: same account and prefix).

`update_series` is a read-modify-write under optimistic concurrency (a row version in SQLite, the
entity's ETag in Table Storage), retried like `Store.update_session`: two timer runs planning the same
series cannot both write their plan, the second one re-reads and sees the first one's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from core.errors import Conflict, NotFound
from core.series import PlannedSession, Series, SeriesState, StopReason
from store._codec import from_utc_iso, optional_datetime, optional_iso, to_utc_iso
from store._retry import MAX_ATTEMPTS, pause
from store.base import Store

__all__ = [
    "SeriesNotFound",
    "SeriesStore",
    "checked_change",
    "open_series_store",
    "series_from_json",
    "series_to_json",
    "update_with_retries",
]


class SeriesNotFound(NotFound):
    def __init__(self, series_id: str) -> None:
        super().__init__("id", f"no series {series_id[:64]!r}")
        self.series_id = series_id


class SeriesStore(Protocol):
    def add_series(self, series: Series) -> tuple[Series, bool]:
        """Insert; if a series with this id exists, keep it unchanged. Returns the stored series and
        whether this call inserted it (of two concurrent inserts of one id, exactly one did)."""

    def get_series(self, series_id: str) -> Series | None: ...

    def update_series(self, series_id: str, change: Callable[[Series], Series]) -> Series:
        """Apply `change` to the stored series and save it under its version; retried on concurrent
        writes. Raises `SeriesNotFound`; an error `change` raises writes nothing."""

    def list_series(self, state: SeriesState | None = None) -> list[Series]:
        """Every series (or those in `state`), oldest first."""


def series_to_json(series: Series) -> str:
    """The whole series as one JSON text (both backends store it so; `version` is the store's own)."""
    plan = series.plan
    return json.dumps(
        {
            "id": series.id,
            "mentor": series.mentor,
            "mentee": series.mentee,
            "minutes": series.minutes,
            "anchor": to_utc_iso(series.anchor, "anchor"),
            "question": series.question,
            "created_at": to_utc_iso(series.created_at, "created_at"),
            "created_by": series.created_by,
            "interval_days": series.interval_days,
            "count": series.count,
            "topic": series.topic,
            "book_ahead_days": series.book_ahead_days,
            "state": series.state.value,
            "stop_reason": None if series.stop_reason is None else series.stop_reason.value,
            "stopped_by": series.stopped_by,
            "stopped_at": optional_iso(series.stopped_at, "stopped_at"),
            "next_occurrence": series.next_occurrence,
            "session_ids": list(series.session_ids),
            "skipped": list(series.skipped),
            "plan": None
            if plan is None
            else {"occurrence": plan.occurrence, "attempt": plan.attempt, "start": optional_iso(plan.start, "plan")},
            "updated_at": optional_iso(series.updated_at, "updated_at"),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def series_from_json(text: str, version: str) -> Series:
    data: Mapping[str, Any] = json.loads(text)
    plan = data.get("plan")
    return Series(
        id=str(data["id"]),
        mentor=str(data["mentor"]),
        mentee=str(data["mentee"]),
        minutes=int(data["minutes"]),
        anchor=from_utc_iso(str(data["anchor"])),
        question=str(data["question"]),
        created_at=from_utc_iso(str(data["created_at"])),
        created_by=str(data["created_by"]),
        interval_days=int(data["interval_days"]),
        count=None if data.get("count") is None else int(data["count"]),
        topic=data.get("topic"),
        book_ahead_days=None if data.get("book_ahead_days") is None else int(data["book_ahead_days"]),
        state=SeriesState(str(data["state"])),
        stop_reason=None if data.get("stop_reason") is None else StopReason(str(data["stop_reason"])),
        stopped_by=data.get("stopped_by"),
        stopped_at=optional_datetime(data.get("stopped_at")),
        next_occurrence=int(data["next_occurrence"]),
        session_ids=tuple(str(s) for s in data.get("session_ids") or ()),
        skipped=tuple(int(n) for n in data.get("skipped") or ()),
        plan=None
        if plan is None
        else PlannedSession(int(plan["occurrence"]), int(plan["attempt"]), optional_datetime(plan.get("start"))),
        updated_at=optional_datetime(data.get("updated_at")),
        version=version,
    )


def checked_change(series_id: str, changed: Series) -> Series:
    """A change may not move a series to another id (it would overwrite that one)."""
    if not isinstance(changed, Series) or changed.id != series_id:
        raise ValueError(f"a change of series {series_id} must return that series")
    return replace(changed, version="")


def update_with_retries(
    series_id: str,
    read: Callable[[str], Series | None],
    change: Callable[[Series], Series],
    write: Callable[[Series, Series], str | None],
) -> Series:
    """The read-modify-write loop of both backends: `write(current, changed)` saves `changed` only if the
    stored series is still `current` and returns its new version, or None when another writer won (then
    read again, after a jittered pause)."""
    for attempt in range(MAX_ATTEMPTS):
        current = read(series_id)
        if current is None:
            raise SeriesNotFound(series_id)
        changed = checked_change(series_id, change(current))
        version = write(current, changed)
        if version is not None:
            return replace(changed, version=version)
        pause(attempt)
    raise Conflict("id", f"series {series_id}: gave up after {MAX_ATTEMPTS} concurrent-update retries")


def open_series_store(store: Store) -> SeriesStore:
    """The series store kept beside `store`."""
    from store.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        from store.series_sqlite import SqliteSeriesStore

        return SqliteSeriesStore(store)
    from store.tables import TableStore

    if isinstance(store, TableStore):
        from store.series_tables import TableSeriesStore

        return TableSeriesStore(store)
    raise TypeError(f"no series store for {type(store).__name__}")
