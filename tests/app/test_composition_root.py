"""The composition root (micromentor.bootstrap): one runtime owns every adapter, validator and cache,
closes what it opened, refuses use once closed, and reads the tenant policy off the event loop."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from graph.config import GraphSettings
from micromentor import bootstrap
from micromentor.bootstrap import LINK_CACHE_SECONDS, LINK_CACHE_SIZE, Runtime, RuntimeClosed, open_runtime, runtime
from micromentor.caches import TimedCache
from micromentor.settings import Settings
from policies import TenantPolicy
from store.sqlite import SqliteStore

# Nothing here reaches Graph: building the client opens no connection, so any loopback address will do.
GRAPH = GraphSettings(
    tenant_id="11111111-2222-3333-4444-555555555555",
    client_id="app",
    client_secret="s",
    graph_url="https://127.0.0.1:9/v1.0",
    authority="https://127.0.0.1:9/11111111-2222-3333-4444-555555555555",
)
BEN = "ben@contoso.example"


def settings(tmp_path: Path, **more: Any) -> Settings:
    return Settings(graph=GRAPH, store_url=f"sqlite:///{tmp_path / 'rt.db'}", **more)


def test_leaving_the_block_closes_the_graph_client_and_the_store(tmp_path: Path) -> None:
    async def main() -> tuple[Any, Any]:
        async with open_runtime(settings(tmp_path)) as rt:
            graph, store = rt.graph, rt.store
            assert rt.outbox is rt.outbox and rt.series is rt.series  # built once, beside the store
            store.list_sessions()  # open and usable inside the block
            assert not graph._http.is_closed
        return graph, store

    graph, store = asyncio.run(main())
    assert graph._http.is_closed  # the Graph client's connection pool is gone
    with pytest.raises(Exception, match="closed"):
        store.list_sessions()  # and so are the store's connections


def test_a_closed_runtime_refuses_use_instead_of_opening_again(tmp_path: Path) -> None:
    async def main() -> Runtime:
        async with open_runtime(settings(tmp_path)) as rt:
            rt.store.list_sessions()
        return rt

    rt = asyncio.run(main())
    assert rt.closed
    for what in ("graph", "store", "outbox", "series", "validator", "queues"):
        with pytest.raises(RuntimeClosed):
            getattr(rt, what)
    with pytest.raises(RuntimeClosed):
        asyncio.run(rt.policy())
    with pytest.raises(RuntimeClosed):
        asyncio.run(rt.mentor_catalogue())
    asyncio.run(rt.aclose())  # closing twice is harmless


def test_an_error_in_the_block_still_closes_everything(tmp_path: Path) -> None:
    held: dict[str, Any] = {}

    async def main() -> None:
        async with open_runtime(settings(tmp_path)) as rt:
            held["graph"] = rt.graph
            raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        asyncio.run(main())
    assert held["graph"]._http.is_closed


def test_adapters_handed_in_are_the_runtimes_and_closed_with_it(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "given.db")

    async def main() -> None:
        async with open_runtime(
            Settings(graph=None, store_url=f"sqlite:///{tmp_path / 'unused.db'}"), store=store
        ) as rt:
            assert rt.store is store

    asyncio.run(main())
    assert not (tmp_path / "unused.db").exists()  # the settings' store was never opened
    with pytest.raises(Exception, match="closed"):
        store.list_sessions()


def test_what_is_not_asked_for_is_not_built(tmp_path: Path) -> None:
    async def main() -> None:
        async with open_runtime(settings(tmp_path)) as rt:
            assert rt.clock().tzinfo is not None

    asyncio.run(main())
    assert not (tmp_path / "rt.db").exists()  # no store was opened for a block that did not use one


def test_install_makes_it_the_process_runtime_for_the_block_only(tmp_path: Path) -> None:
    before = Runtime(settings(tmp_path))
    bootstrap.configure(before)
    try:

        async def main() -> Runtime:
            async with open_runtime(settings(tmp_path), install=True) as rt:
                assert runtime() is rt
            return rt

        inside = asyncio.run(main())
        assert inside.closed
        # The block's runtime is gone from the process; the handlers' next call builds one from the settings.
        assert runtime() is not inside and not runtime().closed
    finally:
        bootstrap.configure(None)


def test_each_runtime_owns_one_token_validator_and_its_own_caches(tmp_path: Path) -> None:
    one, two = Runtime(settings(tmp_path)), Runtime(settings(tmp_path))
    assert one.queues is None  # no MICROMENTOR_QUEUE_CONNECTION: the in-process queue, nothing to hold
    assert one.validator is one.validator  # one JWKS cache per runtime, not one per request
    assert one.validator is not two.validator
    assert one.link_availability is not two.link_availability and one.catalogues is not two.catalogues
    assert one.validator.audiences == ("api://micromentor", "app")


def test_the_tenant_policy_is_read_off_the_event_loop(tmp_path: Path) -> None:
    readers: list[int] = []

    class WatchedStore(SqliteStore):
        def latest_policy(self) -> Any:
            readers.append(threading.get_ident())
            return super().latest_policy()

    async def main() -> tuple[TenantPolicy, int]:
        async with open_runtime(settings(tmp_path), store=WatchedStore(tmp_path / "w.db")) as rt:
            return await rt.policy(), threading.get_ident()

    policy, loop_thread = asyncio.run(main())
    assert policy == TenantPolicy()  # nothing saved, no file: the defaults of policy.md
    assert len(readers) == 1 and readers[0] != loop_thread


def test_the_mentor_catalogue_is_reread_only_when_its_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "mentors.json"
    path.write_text(json.dumps([{"upn": BEN, "skills": ["go"]}]), encoding="utf-8")

    async def main() -> list[tuple[str, ...]]:
        found = []
        async with open_runtime(settings(tmp_path, mentors_file=str(path))) as rt:
            found.append((await rt.mentor_catalogue()).with_skill("go"))
            stamp = path.stat()
            # Same size and modification time: the runtime's copy is used (the file is not read again).
            path.write_text(json.dumps([{"upn": BEN, "skills": ["rs"]}]), encoding="utf-8")
            os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
            found.append((await rt.mentor_catalogue()).with_skill("go"))
            # Changed: read again.
            path.write_text(json.dumps([{"upn": BEN, "skills": ["rust"]}]), encoding="utf-8")
            found.append((await rt.mentor_catalogue()).with_skill("rust"))
        return found

    assert asyncio.run(main()) == [(BEN,), (BEN,), (BEN,)]


def test_the_link_pages_cache_keeps_free_times_a_minute_and_a_bounded_number() -> None:
    now = [0.0]
    cache: TimedCache[str, str] = TimedCache(seconds=60, size=2, clock=lambda: now[0])
    cache.put("maya", "free at 10")
    now[0] = 59.9
    assert cache.get("maya") == "free at 10"  # within the minute: no Graph call
    now[0] = 60.0
    assert cache.get("maya") is None  # a minute old: read again
    for mentor in ("a", "b", "c"):
        cache.put(mentor, mentor)
    assert len(cache) == 2 and cache.get("a") is None  # the oldest goes when full
    assert (LINK_CACHE_SECONDS, LINK_CACHE_SIZE) == (60.0, 256)
    assert isinstance(Runtime(Settings(graph=None)).link_availability, TimedCache)
