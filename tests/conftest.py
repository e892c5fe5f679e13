"""Shared fixtures: a Graph emulator on loopback and a gateway that talks to it through msgraph-sdk."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

DATA = Path(__file__).parent / "data"
TENANT_SEED = DATA / "tenant.json"
POLICY_FILE = DATA / "policy.json"


def load_seed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TENANT_SEED.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def emulator() -> Iterator[Any]:
    """A fresh emulator per test: tests change its state (events, faults)."""
    from emulator import start_emulator

    running = start_emulator(TENANT_SEED)
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
