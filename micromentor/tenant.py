"""Where Graph is: the in-process emulator for `--tenant SEED.json`, else the real tenant's settings."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.jsontext import loads_limited
from graph.config import GraphSettings

__all__ = ["LOCAL_CLIENT_ID", "LOCAL_CLIENT_SECRET", "graph_settings_for", "start_local_tenant"]

LOCAL_CLIENT_ID = "micromentor-local"
LOCAL_CLIENT_SECRET = "local-secret"


def emulator_settings(running: Any) -> GraphSettings:
    return GraphSettings(
        tenant_id=running.tenant_id,
        client_id=LOCAL_CLIENT_ID,
        client_secret=LOCAL_CLIENT_SECRET,
        graph_url=running.graph_url,
        authority=running.authority,
        ca_bundle=running.ca_cert_path,
    )


@contextlib.contextmanager
def start_local_tenant(seed_path: str, *, port: int = 0) -> Iterator[Any]:
    """Start the dev-only Graph emulator in this process; imported here so production never loads it."""
    from emulator import SeedError, start_emulator

    if not os.path.isfile(seed_path):
        raise InputError("--tenant", f"no such file: {seed_path}")
    try:
        # Checked here, before the emulator parses it: a seed nested thousands deep is a usage error.
        loads_limited(Path(seed_path).read_text(encoding="utf-8"), "--tenant")
        running = start_emulator(seed_path, port=port)
    except SeedError as exc:
        raise InputError("--tenant", str(exc)) from exc
    try:
        yield running
    finally:
        running.stop()


@contextlib.contextmanager
def graph_settings_for(seed_path: str | None, fallback: GraphSettings | None) -> Iterator[GraphSettings]:
    if seed_path:
        with start_local_tenant(seed_path) as running:
            yield emulator_settings(running)
        return
    if fallback is None:
        raise InputError(
            "--tenant",
            "no Graph configured: pass --tenant SEED.json or set MICROMENTOR_TENANT_ID, "
            "MICROMENTOR_CLIENT_ID and MICROMENTOR_CLIENT_SECRET",
        )
    yield fallback
