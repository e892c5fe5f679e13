"""Rough throughput of the store backends: booking-path operations per second, 1 and 8 threads.

    .venv/bin/python bench/store_bench.py [--ops 400]
    source .ci/azurite.sh && .venv/bin/python bench/store_bench.py   # adds the Table Storage backend

A booking = claim_idempotency + claim_slot (2 cells) + add_session; then one update_session each.
Numbers are for comparing backends on one machine, not promises.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.model import Session, SessionState
from store.base import IdempotencyRecord, Store
from store.sqlite import SqliteStore

__all__ = ["main"]

EPOCH = datetime(2030, 1, 7, tzinfo=UTC)


@contextmanager
def backends() -> Iterator[list[tuple[str, Callable[[], Store]]]]:
    with tempfile.TemporaryDirectory() as folder:
        made: list[tuple[str, Callable[[], Store]]] = [
            ("sqlite-file", lambda: SqliteStore(Path(folder) / f"{uuid.uuid4().hex}.db")),
            ("sqlite-memory", lambda: SqliteStore(":memory:")),
        ]
        connection = os.environ.get("MICROMENTOR_TEST_TABLES")
        if connection:
            from store.tables import TableStore

            made.append(("tables", lambda: TableStore(connection, "bench" + uuid.uuid4().hex[:10])))
        yield made


def book(store: Store, index: int) -> None:
    start = EPOCH + timedelta(minutes=30 * index)
    session_id = f"s{index}"
    store.claim_idempotency(IdempotencyRecord(f"k{index}", "h", session_id, EPOCH))
    store.claim_slot(f"mentor{index % 10}", [start, start + timedelta(minutes=15)], session_id)
    store.add_session(
        Session(session_id, f"mentor{index % 10}", ("m@x",), start, start + timedelta(minutes=30), "q", EPOCH)
    )


def complete(store: Store, index: int) -> None:
    store.update_session(f"s{index}", lambda s: dataclasses.replace(s, state=SessionState.COMPLETED))


def rate(store: Store, work: Callable[[Store, int], None], ops: int, threads: int) -> float:
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda i: work(store, i), range(ops)))
    return ops / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=400)
    args = parser.parse_args()
    print(f"{'backend':<14} {'threads':>7} {'bookings/s':>11} {'updates/s':>10}")
    with backends() as made:
        for name, factory in made:
            for threads in (1, 8):
                store = factory()
                booked = rate(store, book, args.ops, threads)
                updated = rate(store, complete, args.ops, threads)
                print(f"{name:<14} {threads:>7} {booked:>11.0f} {updated:>10.0f}")
                if hasattr(store, "drop_tables"):
                    store.drop_tables()
                close = getattr(store, "close", None)
                if close is not None:
                    close()


if __name__ == "__main__":
    main()
