"""docs/openapi.json declares every answer the routes give: Schemathesis runs every check against
`micromentor serve` (the registered functions, on loopback, against the emulator) with a bounded
number of examples, and must find no server error and no conformance failure (issue #12)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveApi

REPO = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = 30  # per operation and phase: about 1,000 requests, well under a minute on 2 cores


def test_a_wrong_method_is_a_405_naming_the_allowed_ones(live_api: LiveApi) -> None:
    for method, route, allowed in (("DELETE", "/sessions", {"POST"}), ("TRACE", "/admin/policy", {"GET", "PUT"})):
        answer = live_api.client.request(method, route)
        assert answer.status_code == 405, answer.text
        assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= allowed
        assert answer.json()["error"]["field"] == "method"


@pytest.mark.timeout(600)
@pytest.mark.skipif(not SCHEMATHESIS.exists() and not shutil.which("schemathesis"), reason="schemathesis missing")
def test_schemathesis_finds_no_server_error_and_no_conformance_failure(tmp_path: Path) -> None:
    serve = subprocess.Popen(
        [sys.executable, "-m", "micromentor", "serve", "--port", "0", "--store", str(tmp_path / "serve.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert serve.stdout is not None
        ready = json.loads(serve.stdout.readline())
        # An admin who is also a mentor: every route is reachable, so the checks see real answers.
        token = httpx.post(
            f"{ready['admin']}/token",
            json={"upn": "maya@contoso.example", "roles": ["Mentoring.Admin"]},
            verify=False,
            timeout=30,
        ).json()["access_token"]
        run = subprocess.run(
            [
                str(SCHEMATHESIS if SCHEMATHESIS.exists() else shutil.which("schemathesis")),
                "--no-color",
                "--config-file",
                str(REPO / "tests" / "reliability" / "schemathesis.toml"),
                "run",
                str(REPO / "docs" / "openapi.json"),
                "--url",
                ready["api"],
                "--checks",
                "all",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                "20261129",
                "--generation-database",
                "none",
                "--request-timeout",
                "60",
                "--header",
                f"Authorization: Bearer {token}",
            ],
            capture_output=True,
            text=True,
            timeout=540,
            cwd=tmp_path,
        )
        summary = run.stdout[-6000:]
        assert run.returncode == 0, summary
        assert "generated" in summary and "failure" not in summary.split("Test cases:")[-1], summary
    finally:
        serve.terminate()
        serve.wait(timeout=30)
