"""The composition root: the one place that builds, holds and closes every adapter, validator and cache.

`Runtime` holds Graph (`GraphGateway`), the store and the outbox and series store beside it, the Azure
Storage queues when configured, the bearer-token validator (with its JWKS cache), the booking-link page's
cache of free times and the mentor catalogue's cache. Each is built on first use from `Settings`; a caller
may hand in its own Graph or store instead (the demo, tests), and the runtime then owns it like one it
built. Closing the runtime closes what it holds (the Graph client's connections, the queue clients, the
store's connections) and empties its caches; a closed runtime refuses further use (`RuntimeClosed`)
instead of quietly opening new connections nobody closes.

Three ways in, one construction path:
- `async with open_runtime(settings) as rt:` for everything with a beginning and an end: the CLI's
  commands, the demo, and `micromentor serve` (in the Starlette lifespan, `install=True`, so the function
  handlers find it through `runtime()`).
- `runtime()` for the function handlers. Azure Functions' Python v2 model has no app start/stop hook:
  worker extensions (`azure.functions.AppExtensionBase`) get a hook after each function loads and
  around each invocation, none at shutdown, and are unsupported from Python 3.13. So on Azure the
  process's runtime is made lazily on the first invocation from the app settings and lives as long as
  the worker process; its sockets go with the process.
- `configure(rt)` for tests that install a runtime of their own (pointed at the Graph emulator).

What stays process-wide, on purpose: `services.idempotency`'s table of requests in flight (a lock per
Idempotency-Key, empty when idle: not a cache; its promise is per process, whichever runtime serves the
retry), and the pure lookup tables (`graph.timezones`' `lru_cache` of zone names).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import InputError, Misconfigured
from core.jsontext import loads_limited
from graph.errors import GraphAuthError
from graph.gateway import GraphGateway
from micromentor.caches import TimedCache
from micromentor.settings import Settings, load_settings
from policies import TenantPolicy, parse_policy
from services.requests import CatalogueCache, MentorCatalogue
from store import open_store
from store.base import Store
from store.outbox import Outbox, open_outbox
from store.series import SeriesStore, open_series_store

if TYPE_CHECKING:
    from identity.validator import TokenValidator
    from services.links import MentorAvailability
    from store.queues import AzureQueues

__all__ = [
    "LINK_CACHE_SECONDS",
    "LINK_CACHE_SIZE",
    "MENTORS_FILE_SETTING",
    "Runtime",
    "RuntimeClosed",
    "configure",
    "open_runtime",
    "runtime",
    "utc_now",
    "validator_from_settings",
]

# The booking-link page is the one anonymous route: a link pasted in a busy chat (unfurlers, refreshes)
# must not turn into a stream of Graph calls, so each runtime keeps a mentor's free times for a minute.
LINK_CACHE_SECONDS = 60.0
LINK_CACHE_SIZE = 256
MENTORS_FILE_SETTING = "MICROMENTOR_MENTORS_FILE"


def utc_now() -> datetime:
    return datetime.now(UTC)


class RuntimeClosed(RuntimeError):
    """A runtime was used after `open_runtime`'s block ended (or after `aclose()`): a programming error."""


def validator_from_settings(settings: Settings) -> TokenValidator:
    """The validator for this app: the tenant and authority of the app registration (the emulator's
    under `--tenant`), audience `MICROMENTOR_API_AUDIENCE` (v1 tokens) or the client id (v2 tokens)."""
    from identity.errors import IdentityUnavailable  # PyJWT and cryptography: only where tokens are checked
    from identity.validator import TokenValidator

    graph = settings.graph
    if graph is None:
        raise IdentityUnavailable(
            "bearer-token validation is not configured: set MICROMENTOR_TENANT_ID and MICROMENTOR_CLIENT_ID"
        )
    return TokenValidator(
        authority=graph.authority_url,
        audience=tuple(dict.fromkeys((settings.api_audience, graph.client_id))),
        tenant_id=graph.tenant_id,
        ca_bundle=graph.ca_bundle,
    )


class Runtime:
    """Everything a service needs: Graph, the store, the tenant policy, the clock, the token validator
    and the caches. Adapters are built on first use; `graph` and `store` may be handed in."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        graph: GraphGateway | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._closed = False
        self._warned: set[str] = set()
        self._warned_lock = threading.Lock()
        self.link_availability: TimedCache[str, MentorAvailability] = TimedCache(
            seconds=LINK_CACHE_SECONDS, size=LINK_CACHE_SIZE
        )
        self.catalogues = CatalogueCache()
        if graph is not None:
            self.__dict__["graph"] = graph
        if store is not None:
            self.__dict__["store"] = store

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self, what: str) -> None:
        if self._closed:
            raise RuntimeClosed(f"the runtime is closed: its {what} cannot be opened again (use a new runtime)")

    @cached_property
    def graph(self) -> GraphGateway:
        self._check_open("Graph client")
        if self.settings.graph is None:
            raise GraphAuthError(
                "Graph is not configured: set MICROMENTOR_TENANT_ID, MICROMENTOR_CLIENT_ID and a credential "
                "(federated managed identity, certificate or secret), or start with --tenant SEED.json to use "
                "the emulator"
            )
        return GraphGateway(self.settings.graph)

    @cached_property
    def store(self) -> Store:
        self._check_open("store")
        return open_store(self.settings.store_url)

    @cached_property
    def outbox(self) -> Outbox:
        """The outcome messages' outbox, beside the store."""
        self._check_open("outbox")
        return open_outbox(self.store)

    @cached_property
    def series(self) -> SeriesStore:
        """The series store, beside the store (services/series.py)."""
        self._check_open("series store")
        return open_series_store(self.store)

    @cached_property
    def queues(self) -> AzureQueues | None:
        """Azure Storage queues (`MICROMENTOR_QUEUE_CONNECTION`), for health and the doctor; None without."""
        self._check_open("queues")
        if not self.settings.queue_connection:
            return None
        from store.queues import AzureQueues  # loads aiohttp: only when a queue is configured

        return AzureQueues(self.settings.queue_connection)

    @cached_property
    def validator(self) -> TokenValidator:
        """The bearer-token validator, and so one JWKS cache, of this runtime."""
        self._check_open("token validator")
        return validator_from_settings(self.settings)

    def mentors_file(self) -> str | None:
        """Where the mentor catalogue is: `Settings.mentors_file`, else the setting itself
        (`Settings.extra`, then the environment)."""
        if self.settings.mentors_file:
            return self.settings.mentors_file
        return self.settings.extra.get(MENTORS_FILE_SETTING) or os.environ.get(MENTORS_FILE_SETTING) or None

    async def mentor_catalogue(self) -> MentorCatalogue:
        """The mentor catalogue, re-read (off the event loop) only when its file changes."""
        self._check_open("mentor catalogue")
        return await asyncio.to_thread(self.catalogues.load, self.mentors_file())

    def tenant_policy(self) -> TenantPolicy:
        """The newest admin-saved policy, else the policy file, else the defaults of policy.md. Reads the
        store: blocking, so async code awaits `policy()` instead."""
        saved = self.store.latest_policy()
        if saved is not None:
            return parse_policy(saved.policy)
        if self.settings.policy_file:
            text = Path(self.settings.policy_file).read_text(encoding="utf-8")
            return parse_policy(loads_limited(text, "MICROMENTOR_POLICY_FILE"))
        return TenantPolicy()

    async def policy(self) -> TenantPolicy:
        """`tenant_policy()` off the event loop (a store read, maybe a file read)."""
        return await asyncio.to_thread(self.tenant_policy)

    def first_time(self, what: str) -> bool:
        """True the first time `what` is asked of this runtime (say-once warnings)."""
        with self._warned_lock:
            if what in self._warned:
                return False
            self._warned.add(what)
            return True

    async def aclose(self) -> None:
        """Close what this runtime holds and refuse further use; closing twice is harmless."""
        self._closed = True
        self.link_availability.clear()
        self.catalogues.clear()
        for name in ("series", "outbox", "validator"):
            self.__dict__.pop(name, None)
        graph: GraphGateway | None = self.__dict__.pop("graph", None)
        store: Store | None = self.__dict__.pop("store", None)
        queues: AzureQueues | None = self.__dict__.pop("queues", None)
        try:
            if graph is not None:
                await graph.aclose()
        finally:
            if queues is not None:
                await asyncio.to_thread(queues.close)
            close = getattr(store, "close", None)
            if callable(close):
                await asyncio.to_thread(close)


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    graph: GraphGateway | None = None,
    store: Store | None = None,
    install: bool = False,
) -> AsyncIterator[Runtime]:
    """A runtime for the block, closed when it ends (also on an error). `install=True` also makes it
    the process's runtime (`runtime()`) for the block, as `micromentor serve` needs for its handlers."""
    rt = Runtime(settings, clock=clock, graph=graph, store=store)
    if install:
        configure(rt)
    try:
        yield rt
    finally:
        if install:
            _uninstall(rt)
        await rt.aclose()


_lock = threading.Lock()
_current: Runtime | None = None


def configure(new: Runtime | None) -> None:
    global _current
    with _lock:
        _current = new


def _uninstall(rt: Runtime) -> None:
    global _current
    with _lock:
        if _current is rt:
            _current = None


def runtime() -> Runtime:
    """The process's runtime: the one installed, else one made now from the environment (Azure)."""
    global _current
    with _lock:
        if _current is None:
            try:
                settings = load_settings()
            except InputError as exc:
                raise Misconfigured(exc.field, exc.message) from exc
            _current = Runtime(settings)
        return _current
