"""`store.series.SeriesStore` on Azure Table Storage, beside a `TableStore` (same account and prefix).

Table ``series``: one partition ("series"), RowKey = the escaped series id, the whole series as JSON in
`record` beside `state` and `created_at`; an update replaces the entity under the ETag it was read with
(`IfNotModified`), so of two concurrent writers one wins and the other re-reads and tries again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from core.series import Series, SeriesState
from store._codec import to_utc_iso
from store.series import SeriesNotFound, series_from_json, series_to_json, update_with_retries
from store.tables import TableStore, escape_key

__all__ = ["SERIES_TABLE", "TableSeriesStore"]

SERIES_TABLE = "series"
_PARTITION = "series"
_RACE_STATUSES = frozenset({404, 409, 412})


def _entity(series: Series) -> dict[str, Any]:
    return {
        "PartitionKey": _PARTITION,
        "RowKey": escape_key(series.id),
        "state": series.state.value,
        "created_at": to_utc_iso(series.created_at, "created_at"),
        "record": series_to_json(series),
    }


def _series(entity: Mapping[str, Any]) -> Series:
    etag = str(entity.metadata["etag"]) if hasattr(entity, "metadata") else ""
    return series_from_json(str(entity["record"]), etag)


class TableSeriesStore:
    def __init__(self, store: TableStore) -> None:
        self._name = store.table_prefix + SERIES_TABLE
        self._service = store._service
        self._table: TableClient = self._service.create_table_if_not_exists(self._name)

    def drop(self) -> None:
        """Delete the table (test clean-up)."""
        self._service.delete_table(self._name)

    def add_series(self, series: Series) -> tuple[Series, bool]:
        inserted = False
        with contextlib.suppress(ResourceExistsError):  # an existing series stays as it is
            self._table.create_entity(_entity(series))
            inserted = True
        stored = self.get_series(series.id)
        if stored is None:  # created above or before; never deleted
            raise SeriesNotFound(series.id)
        return stored, inserted

    def get_series(self, series_id: str) -> Series | None:
        try:
            return _series(self._table.get_entity(_PARTITION, escape_key(series_id)))
        except ResourceNotFoundError:
            return None

    def update_series(self, series_id: str, change: Callable[[Series], Series]) -> Series:
        def write(current: Series, changed: Series) -> str | None:
            try:
                answer = self._table.update_entity(
                    _entity(changed), mode=UpdateMode.REPLACE, etag=current.version,
                    match_condition=MatchConditions.IfNotModified,
                )  # fmt: skip
            except HttpResponseError as exc:
                if exc.status_code not in _RACE_STATUSES:
                    raise
                return None
            return str(answer.get("etag", ""))

        return update_with_retries(series_id, self.get_series, change, write)

    def list_series(self, state: SeriesState | None = None) -> list[Series]:
        query = "PartitionKey eq @p"
        parameters = {"p": _PARTITION}
        if state is not None:
            query += " and state eq @s"
            parameters["s"] = state.value
        found = [_series(e) for e in self._table.query_entities(query, parameters=parameters)]
        return sorted(found, key=lambda s: (s.created_at, s.id))
