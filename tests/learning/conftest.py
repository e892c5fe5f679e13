"""Fixtures for the learning-record tests: the external xAPI validator, a real LRS on loopback, the stores.

Both tools are npm packages micromentor did not write, installed in tests/learning/xapi by `.ci/run`
(`npm ci`): `xapi-validation` (Learning Locker's statement validator) and `xapi-statements` (Learning
Locker's xAPI statement service, run here with its in-memory models and local file storage, and its
test auth, which takes any credentials). Without node or the packages these tests skip, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.store.conftest import concurrently, store, tables_connection_string  # noqa: F401  (fixtures)

TOOLS = Path(__file__).parent / "xapi"
MODULES = TOOLS / "node_modules"
SKIP_REASON = "xAPI test tools not installed: run `npm ci` in tests/learning/xapi (node 18+)"


def _tools_ready(package: str) -> bool:
    return shutil.which("node") is not None and (MODULES / package / "package.json").is_file()


Validator = Callable[[list[dict[str, Any]]], list[list[dict[str, str]]]]


@pytest.fixture(scope="session")
def xapi_problems() -> Validator:
    """Problems `xapi-validation` finds in each statement (an empty list: valid)."""
    if not _tools_ready("xapi-validation"):
        pytest.skip(SKIP_REASON)

    def validate(statements: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
        done = subprocess.run(
            ["node", str(TOOLS / "validate.js")],
            input=json.dumps(statements),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        results: list[list[dict[str, str]]] = json.loads(done.stdout)
        return results

    return validate


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def lrs(tmp_path: Path) -> Iterator[str]:
    """A fresh Learning Locker xAPI statement service on loopback; its xAPI endpoint URL."""
    if not _tools_ready("xapi-statements"):
        pytest.skip(SKIP_REASON)
    port = _free_port()
    env = {
        **os.environ,
        "EXPRESS_PORT": str(port),
        "AUTH_REPO": "test",  # any credentials: the service's own test auth
        "EVENTS_REPO": "test",  # no Redis
        "MODELS_REPO": "memory",  # no MongoDB
        "STORAGE_REPO": "local",
        "FS_LOCAL_STORAGE_DIR": str(tmp_path / "lrs"),
        "EXPRESS_MORGAN_DIRECTORY": str(tmp_path / "lrs-logs"),
        "WINSTON_CONSOLE_LEVEL": "error",
        "SERVICE_AWAIT_UPDATES": "true",
    }
    log = (tmp_path / "lrs.log").open("w")
    server = subprocess.Popen(
        ["node", str(MODULES / "xapi-statements" / "dist" / "server.js")],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/xAPI"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/about", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"the LRS did not start: {(tmp_path / 'lrs.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def stored_statements(url: str) -> list[dict[str, Any]]:
    """Every statement the LRS holds (GET /statements, following `more`)."""
    found: list[dict[str, Any]] = []
    headers = {"X-Experience-API-Version": "1.0.3"}
    next_url: str | None = f"{url}/statements?limit=100"
    root = url.rsplit("/xAPI", 1)[0]
    while next_url:
        answer = httpx.get(next_url, headers=headers, auth=("key", "secret"), timeout=10)
        answer.raise_for_status()
        body = answer.json()
        found.extend(body["statements"])
        more = body.get("more") or ""
        next_url = (root + more if more.startswith("/") else more) or None
    return found
