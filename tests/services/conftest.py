"""Fixtures shared by the service tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store import open_store
from store.base import Store


@pytest.fixture(params=["sqlite", pytest.param("tables", marks=pytest.mark.azurite)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """SQLite (a version column) and Table Storage on Azurite (an ETag): a conditional update of a
    session is one compare-and-set on either."""
    if request.param == "sqlite":
        yield open_store(f"sqlite:///{tmp_path / 'mm.db'}")
        return
    from store.tables import TableStore
    from tests.store.conftest import azurite_connection_string, unique_table_prefix

    connection = azurite_connection_string()
    if connection is None:
        pytest.skip("MICROMENTOR_TEST_TABLES is not set (source .ci/azurite.sh)")
    tables = TableStore(connection, "svc" + unique_table_prefix())
    yield tables
    tables.drop_tables()
    tables.close()
