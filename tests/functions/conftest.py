"""A live local host: the registered functions behind uvicorn on a free loopback port, against the emulator."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from micromentor.bootstrap import Runtime, configure
from micromentor.localhost import LocalHost
from micromentor.settings import Settings
from micromentor.tenant import emulator_settings

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


@dataclass
class LiveApi:
    url: str
    runtime: Runtime
    host: LocalHost


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_api(emulator: Any, tmp_path: Path) -> Iterator[LiveApi]:
    import function_app

    port = _free_port()
    settings = Settings(
        graph=emulator_settings(emulator),
        store_url=f"sqlite:///{tmp_path / 'api.db'}",
        public_url=f"http://127.0.0.1:{port}",
    )
    runtime = Runtime(settings, clock=lambda: NOW)
    configure(runtime)
    host = LocalHost(function_app.app)
    server = uvicorn.Server(uvicorn.Config(host.asgi(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("local host did not start")
        time.sleep(0.02)
    try:
        yield LiveApi(f"http://127.0.0.1:{port}/api", runtime, host)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        configure(None)
