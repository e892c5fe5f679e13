"""Fixtures for the store tests: one `store` fixture per backend, and the Azurite connection helper.

The Table Storage backend runs only when `MICROMENTOR_TEST_TABLES` holds a connection string
(`source .ci/azurite.sh` starts Azurite and sets it), or when `MICROMENTOR_TEST_AZURITE=start` lets
the helper run `.ci/azurite.sh` itself. Each test gets its own table prefix (run id + counter), and
its tables are dropped afterwards, so runs against a long-lived Azurite never collide.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import TypeVar

import pytest

from store.base import Store
from store.sqlite import SqliteStore

T = TypeVar("T")

TABLES_ENV = "MICROMENTOR_TEST_TABLES"
AUTOSTART_ENV = "MICROMENTOR_TEST_AZURITE"
SKIP_TABLES_REASON = (
    f"{TABLES_ENV} is not set: the Table Storage backend needs Azurite "
    f"(`source .ci/azurite.sh`, or {AUTOSTART_ENV}=start)"
)
REPO = Path(__file__).resolve().parents[2]

_RUN_ID = "t" + uuid.uuid4().hex[:10]  # table names: letters/digits, starting with a letter
_table_counter = itertools.count(1)


def azurite_connection_string() -> str | None:
    """The Table Storage connection string for tests, starting Azurite first when asked to."""
    configured = os.environ.get(TABLES_ENV, "").strip()
    if configured:
        return configured
    if os.environ.get(AUTOSTART_ENV, "").strip().lower() != "start":
        return None
    done = subprocess.run(
        ["bash", str(REPO / ".ci" / "azurite.sh")], capture_output=True, text=True, timeout=300, check=True
    )
    for line in done.stdout.splitlines():
        if line.startswith(f"export {TABLES_ENV}="):
            value = line.split("=", 1)[1].strip("'")
            os.environ[TABLES_ENV] = value
            return value
    raise RuntimeError(f".ci/azurite.sh printed no {TABLES_ENV}: {done.stderr}")


@pytest.fixture(scope="session")
def tables_connection_string() -> str:
    value = azurite_connection_string()
    if value is None:
        pytest.skip(SKIP_TABLES_REASON)
    return value


def unique_table_prefix() -> str:
    return f"{_RUN_ID}n{next(_table_counter)}"


BACKENDS = [
    pytest.param("sqlite-file", id="sqlite-file"),
    pytest.param("sqlite-memory", id="sqlite-memory"),
    pytest.param("tables", id="tables", marks=pytest.mark.azurite),
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: str = request.param
    if backend == "sqlite-file":
        sqlite = SqliteStore(tmp_path / "store.db")
        yield sqlite
        sqlite.close()
    elif backend == "sqlite-memory":
        memory = SqliteStore(":memory:")
        yield memory
        memory.close()
    else:
        from store.tables import TableStore

        connection_string = request.getfixturevalue("tables_connection_string")
        tables = TableStore(connection_string, unique_table_prefix())
        yield tables
        tables.drop_tables()
        tables.close()


def run_concurrently(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run `work(0..count-1)` on `count` threads released together; results or raised errors, in order."""
    barrier = Barrier(count, timeout=60)

    def one(index: int) -> T | BaseException:
        barrier.wait()
        try:
            return work(index)
        except Exception as exc:  # collected, so the test can count winners and losers
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.fixture
def concurrently() -> Callable[[int, Callable[[int], T]], list[T | BaseException]]:
    """`run_concurrently` as a fixture (test modules do not import conftest)."""
    return run_concurrently
