"""`micromentor serve`: the function app on loopback, against the emulator unless a tenant is configured."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import uvicorn

from core.errors import InputError
from core.timefmt import parse_aware
from graph.config import GraphSettings
from micromentor.bootstrap import open_runtime, utc_now
from micromentor.demo_defaults import CONTOSO_SEED, default_seed
from micromentor.localhost import LocalHost, runs
from micromentor.settings import DEFAULT_PUBLIC_URL, is_local_emulator, load_settings
from micromentor.singleton import TimerSingleton, has_blob_endpoint
from micromentor.targets import creatable_store, open_tenant_store, store_url, target
from micromentor.tenant import emulator_settings, start_local_tenant
from store.queues import AzureQueues

__all__ = ["DEFAULT_SEED", "serve"]

DEFAULT_SEED = CONTOSO_SEED


@contextlib.contextmanager
def _graph(seed: str | None, settings_file: str | None) -> Iterator[tuple[GraphSettings, dict[str, str], str | None]]:
    """Graph, the URLs to announce, and the store of a running `micromentor emulator` when its settings are
    used. Without --tenant: that emulator, else the environment's tenant, else an emulator of its own on the
    last demo's tenant or the built-in one (stderr says which)."""
    configured = load_settings().graph
    if seed is None:
        with target(None, settings_file, configured, required=False) as where:
            if where.emulator is not None:
                found = where.emulator
                urls = {"graph": found.graph_url, "authority": found.authority, "admin": found.admin_url}
                yield found.graph, {**urls, "ca": found.ca_cert_path}, found.store_url
                return
        if configured is not None:
            yield configured, {}, None
            return
        seed, said = default_seed()
        sys.stderr.write(f"micromentor: {said}\n")
    with start_local_tenant(seed) as running:
        urls = {
            "graph": running.graph_url,
            "authority": running.authority,
            "admin": running.admin_url,
            "ca": running.ca_cert_path,
        }  # the certificate to trust, for curl --cacert and other clients
        yield emulator_settings(running), urls, None


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its graceful shutdown (the process then dies with -15);
    micromentor stops cleanly instead and exits 0, so scripts can tell a stop from a crash."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stop)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _stop(self) -> None:
        self.should_exit = True


def _listen(port: int) -> socket.socket:
    """The listening socket, bound before the runtime is built, so links in invitations and booking
    links can point at where this host really listens (`--port 0`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds its own
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise InputError("--port", f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    return sock


async def _serve(server: uvicorn.Server, announce: dict[str, Any], listener: socket.socket) -> None:
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.02)
    port = listener.getsockname()[1]
    sys.stdout.write(json.dumps({"api": f"http://127.0.0.1:{port}/api", **announce}) + "\n")
    sys.stdout.flush()
    await task


def _log_runs_on_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    # Sync's one line per organizer too: what each host decided, for people and multi-host tests.
    for logger in (runs, logging.getLogger("functions.sync_calendar")):
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


NOW_SETTING = "MICROMENTOR_NOW"


def _clock(graph: GraphSettings) -> Callable[[], datetime]:
    """The host's clock: `MICROMENTOR_NOW` (an ISO instant) fixes it against the local emulator, so
    several hosts agree on a week the seed tenant is set in; a real tenant always gets the real clock."""
    raw = os.environ.get(NOW_SETTING, "").strip()
    if not raw:
        return utc_now
    if not is_local_emulator(graph):
        raise InputError(NOW_SETTING, "only accepted against the local Graph emulator")
    fixed = parse_aware(NOW_SETTING, raw)
    return lambda: fixed


def _close(store: object) -> None:
    close = getattr(store, "close", None)
    if callable(close):
        close()


SCHEDULES_SETTING = "MICROMENTOR_TIMER_SCHEDULES"


def _schedules() -> dict[str, str]:
    """`MICROMENTOR_TIMER_SCHEDULES=plan_sync=*/2 * * * * *;other=…`: timer schedules for local runs
    (multi-host tests and benches cannot wait five minutes); Azure reads the decorators' schedules."""
    raw = os.environ.get(SCHEDULES_SETTING, "")
    pairs = (item.split("=", 1) for item in raw.split(";") if "=" in item)
    return {name.strip(): cron.strip() for name, cron in pairs if name.strip() and cron.strip()}


def serve(*, port: int, seed: str | None, store: str | None = None, settings_file: str | None = None) -> int:
    import function_app

    _log_runs_on_stderr()
    with _graph(seed, settings_file) as (graph_settings, urls, emulator_store):
        chosen = creatable_store(store_url(store, None) if store or emulator_store is None else emulator_store)
        sys.stderr.write(f"micromentor: store {chosen}\n")
        _close(open_tenant_store(chosen, graph_settings))  # another tenant's store: exit 2 before serving
        settings = replace(load_settings(), graph=graph_settings, store_url=chosen)
        clock = _clock(graph_settings)
        listener = _listen(port)
        if settings.public_url == DEFAULT_PUBLIC_URL:
            settings = replace(settings, public_url=f"http://127.0.0.1:{listener.getsockname()[1]}")
        queues = AzureQueues(settings.queue_connection) if settings.queue_connection else None
        # Hosts sharing a storage account run each timer occurrence once, as the Functions host does.
        lock = (
            TimerSingleton(settings.queue_connection)
            if settings.queue_connection and has_blob_endpoint(settings.queue_connection)
            else None
        )
        host = LocalHost(function_app.app, queues=queues, timer_lock=lock, schedules=_schedules())
        # The one runtime of this host: opened in the lifespan (the handlers find it through runtime()),
        # closed when the server stops (Graph client, store connections).
        app = host.asgi(around=lambda: open_runtime(settings, clock=clock, install=True))
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        server = _Server(config)
        try:
            asyncio.run(_serve(server, urls, listener))
        finally:
            listener.close()
    return 0
