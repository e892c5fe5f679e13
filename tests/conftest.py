"""Shared fixtures: a Graph emulator on loopback, its admin surface, and a live local host (the registered
functions behind uvicorn on a free loopback port) against it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from hypothesis import settings as hypothesis_settings

from graph.config import GraphSettings
from graph.gateway import GraphGateway
from micromentor.bootstrap import Runtime, configure
from micromentor.localhost import LocalHost
from micromentor.settings import Settings
from micromentor.tenant import emulator_settings
from tests.outcome_world import completed_session  # noqa: F401  (a fixture: the outcome tests share it)

# Hypothesis' per-example deadline (200 ms) is a timing assertion: on 2 shared cores one slow example failed
# a correct property. Performance is measured in bench/, never asserted in tests.
hypothesis_settings.register_profile("micromentor", deadline=None)
hypothesis_settings.load_profile("micromentor")

# The files that take longest (seconds each, from `pytest --durations`) are handed out first: the suite
# runs one file per worker at a time (pytest-xdist --dist loadfile, in pyproject.toml), and a 2-minute file
# handed out last runs alone at the end while the other workers wait. `--no-loadscope-reorder` makes xdist
# hand files out in this order (by default it hands out the files with the most tests first).
LONGEST_FILES = (
    "reliability/test_openapi_conformance.py",  # 160
    "scale/test_three_hosts.py",  # 29
    "cli/test_one_emulator.py",  # 22
    "services/test_onboarding.py",  # 22
    "functions/test_timer_singleton.py",  # 20
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((n for n, name in enumerate(LONGEST_FILES) if path.endswith(name)), len(LONGEST_FILES))

    items.sort(key=rank)  # stable: every other test keeps its place


DATA = Path(__file__).parent / "data"
TENANT_SEED = DATA / "tenant.json"
POLICY_FILE = DATA / "policy.json"
API_NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # the live API's clock: a Monday


T = TypeVar("T")


def with_graph(settings: GraphSettings, body: Callable[[GraphGateway], Awaitable[T]]) -> T:
    """Run `body` with a fresh GraphGateway (msal + msgraph-sdk) on its own event loop, then close it."""

    async def main() -> T:
        graph = GraphGateway(settings)
        try:
            return await body(graph)
        finally:
            await graph.aclose()

    return asyncio.run(main())


def load_seed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TENANT_SEED.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh emulator per test: tests change its state (events, faults). Seeded with the test module's
    `EMULATOR_SEED` when it has one (a tenant of its own), else tests/data/tenant.json."""
    from emulator import start_emulator

    running = start_emulator(getattr(request.module, "EMULATOR_SEED", TENANT_SEED))
    try:
        yield running
    finally:
        running.stop()


class Admin:
    """The emulator's admin surface (faults, request log, attendance) over HTTPS."""

    def __init__(self, running: Any) -> None:
        self.url = running.admin_url
        self.client = httpx.Client(
            verify=ssl.create_default_context(cafile=running.ca_cert_path), trust_env=False, timeout=10
        )

    def post(self, path: str, body: Any) -> Any:
        response = self.client.post(f"{self.url}{path}", json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def get(self, path: str) -> Any:
        response = self.client.get(f"{self.url}{path}")
        response.raise_for_status()
        return response.json()

    def delete(self, path: str) -> None:
        self.client.delete(f"{self.url}{path}").raise_for_status()

    def fault(self, **spec: Any) -> Any:
        return self.post("/faults", spec)

    def requests(self) -> Any:
        return self.get("/requests")


@pytest.fixture
def admin(emulator: Any) -> Iterator[Admin]:
    client = Admin(emulator)
    try:
        yield client
    finally:
        client.client.close()


@pytest.fixture
def graph_settings(emulator: Any) -> Any:
    from micromentor.tenant import emulator_settings

    return emulator_settings(emulator)


@dataclass
class LiveApi:
    url: str
    runtime: Runtime
    host: LocalHost
    admin: Admin
    client: httpx.Client  # signed in as Maya (a mentor), base URL the API

    def auth(self, upn: str = "maya@contoso.example", *roles: str) -> dict[str, str]:
        """An Authorization header for `upn`, with a token the emulator's identity endpoint signs."""
        token = self.admin.post("/token", {"upn": upn, "roles": list(roles)})["access_token"]
        return {"Authorization": f"Bearer {token}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _live_api(emulator: Any, tmp_path: Path, *, tls: bool) -> Iterator[LiveApi]:
    import function_app
    from emulator.tls import make_certificate

    port = _free_port()
    scheme = "https" if tls else "http"
    settings = Settings(
        graph=emulator_settings(emulator),
        store_url=f"sqlite:///{tmp_path / 'api.db'}",
        public_url=f"{scheme}://127.0.0.1:{port}",
    )
    runtime = Runtime(settings, clock=lambda: API_NOW)
    configure(runtime)
    host = LocalHost(function_app.app)
    cert, key = make_certificate() if tls else (None, None)
    server = uvicorn.Server(
        uvicorn.Config(
            host.asgi(), host="127.0.0.1", port=port, log_level="warning", ssl_certfile=cert, ssl_keyfile=key
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("local host did not start")
        time.sleep(0.02)
    try:
        admin = Admin(emulator)
        url = f"{scheme}://127.0.0.1:{port}/api"
        verify: Any = ssl.create_default_context(cafile=cert) if cert else True
        live = LiveApi(url, runtime, host, admin, httpx.Client(base_url=url, timeout=60, verify=verify))
        live.client.headers.update(live.auth())
        yield live
        live.client.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        configure(None)


@pytest.fixture
def live_api(emulator: Any, tmp_path: Path) -> Iterator[LiveApi]:
    with _live_api(emulator, tmp_path, tls=False) as live:
        yield live


@pytest.fixture
def live_api_https(emulator: Any, tmp_path: Path) -> Iterator[LiveApi]:
    """The local host on https, as Graph requires of change-notification endpoints."""
    with _live_api(emulator, tmp_path, tls=True) as live:
        yield live
