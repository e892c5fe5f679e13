"""`store.series.SeriesStore` in the SQLite store's own file (table `series`, migration 8)."""

from __future__ import annotations

from collections.abc import Callable

from core.series import Series, SeriesState
from store._codec import to_utc_iso
from store.series import series_from_json, series_to_json, update_with_retries
from store.sqlite import SqliteStore

__all__ = ["SqliteSeriesStore"]


def _series(row: dict[str, object]) -> Series:
    return series_from_json(str(row["record"]), str(row["version"]))


class SqliteSeriesStore:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def add_series(self, series: Series) -> tuple[Series, bool]:
        params = {
            "id": series.id,
            "mentor": series.mentor,
            "mentee": series.mentee,
            "state": series.state.value,
            "created_at": to_utc_iso(series.created_at, "created_at"),
            "record": series_to_json(series),
        }
        with self._store._transaction() as conn:
            added = conn.execute(
                'INSERT INTO series ("id", "mentor", "mentee", "state", "created_at", "record") '
                'VALUES (:id, :mentor, :mentee, :state, :created_at, :record) ON CONFLICT ("id") DO NOTHING',
                params,
            )
            row = conn.execute('SELECT * FROM series WHERE "id" = ?', (series.id,)).fetchone()
        return _series(row), added.rowcount == 1

    def get_series(self, series_id: str) -> Series | None:
        with self._store._connection() as conn:
            row = conn.execute('SELECT * FROM series WHERE "id" = ?', (series_id,)).fetchone()
        return None if row is None else _series(row)

    def update_series(self, series_id: str, change: Callable[[Series], Series]) -> Series:
        def write(current: Series, changed: Series) -> str | None:
            with self._store._transaction() as conn:
                done = conn.execute(
                    'UPDATE series SET "state" = ?, "record" = ?, "version" = "version" + 1 '
                    'WHERE "id" = ? AND "version" = ?',
                    (changed.state.value, series_to_json(changed), series_id, int(current.version)),
                )
            return str(int(current.version) + 1) if done.rowcount == 1 else None

        return update_with_retries(series_id, self.get_series, change, write)

    def list_series(self, state: SeriesState | None = None) -> list[Series]:
        sql = "SELECT * FROM series"
        params: tuple[str, ...] = ()
        if state is not None:
            sql += ' WHERE "state" = ?'
            params = (state.value,)
        with self._store._connection() as conn:
            rows = conn.execute(sql + ' ORDER BY "created_at", "id"', params).fetchall()
        return [_series(row) for row in rows]
