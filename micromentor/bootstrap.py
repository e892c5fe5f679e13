"""The composition root: builds adapters once per process, lazily, from settings.

Function handlers call `runtime()`; the CLI, the local host and tests install their own
`Runtime` first with `configure()` (for example one pointed at the Graph emulator).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from core.errors import InputError, Misconfigured
from core.jsontext import loads_limited
from graph.errors import GraphAuthError
from graph.gateway import GraphGateway
from micromentor.settings import Settings, load_settings
from policies import TenantPolicy, parse_policy
from store import open_store
from store.base import Store
from store.outbox import Outbox, open_outbox
from store.series import SeriesStore, open_series_store

__all__ = ["Runtime", "configure", "runtime", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Runtime:
    """Everything a service needs: Graph, the store, the tenant policy and the clock."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock

    @cached_property
    def graph(self) -> GraphGateway:
        if self.settings.graph is None:
            raise GraphAuthError(
                "Graph is not configured: set MICROMENTOR_TENANT_ID, MICROMENTOR_CLIENT_ID and a credential "
                "(federated managed identity, certificate or secret), or start with --tenant SEED.json to use "
                "the emulator"
            )
        return GraphGateway(self.settings.graph)

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings.store_url)

    @cached_property
    def outbox(self) -> Outbox:
        """The outcome messages' outbox, beside the store."""
        return open_outbox(self.store)

    @cached_property
    def series(self) -> SeriesStore:
        """The series store, beside the store (services/series.py)."""
        return open_series_store(self.store)

    def tenant_policy(self) -> TenantPolicy:
        """The newest admin-saved policy, else the policy file, else the defaults of policy.md."""
        saved = self.store.latest_policy()
        if saved is not None:
            return parse_policy(saved.policy)
        if self.settings.policy_file:
            text = Path(self.settings.policy_file).read_text(encoding="utf-8")
            return parse_policy(loads_limited(text, "MICROMENTOR_POLICY_FILE"))
        return TenantPolicy()

    async def aclose(self) -> None:
        if "graph" in self.__dict__:
            await self.graph.aclose()


_lock = threading.Lock()
_current: Runtime | None = None


def configure(new: Runtime | None) -> None:
    global _current
    with _lock:
        _current = new


def runtime() -> Runtime:
    global _current
    with _lock:
        if _current is None:
            try:
                settings = load_settings()
            except InputError as exc:
                raise Misconfigured(exc.field, exc.message) from exc
            _current = Runtime(settings)
        return _current
