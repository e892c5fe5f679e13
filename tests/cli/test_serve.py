"""`micromentor serve` as a person runs it: one ready line with the URLs, real HTTP, clean stop on SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx


def test_serve_prints_urls_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "micromentor", "serve", "--port", "0", "--store", str(tmp_path / "serve.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert set(ready) >= {"api", "graph", "authority", "admin", "ca"}
        assert ready["api"].startswith("http://127.0.0.1:") and ready["graph"].endswith("/v1.0")
        health = httpx.get(f"{ready['api']}/health", timeout=30)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        anonymous = httpx.get(f"{ready['api']}/slots", timeout=30)
        assert anonymous.status_code == 401
        minted = httpx.post(
            f"{ready['admin']}/token", json={"upn": "maya@contoso.example"}, verify=False, timeout=30
        ).json()["access_token"]
        slots = httpx.get(
            f"{ready['api']}/slots",
            params={"mentor": "maya@contoso.example", "mentee": "ravi@contoso.example", "limit": 1},
            headers={"Authorization": f"Bearer {minted}"},
            timeout=30,
        )
        assert slots.status_code == 200 and len(slots.json()["slots"]) <= 1
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    stderr = process.stderr.read() if process.stderr else ""
    assert code == 0, stderr
    # One line a request on stderr: method, path, status, time.
    lines = [line for line in stderr.splitlines() if " /api/" in line]
    assert re.search(r" GET /api/health 200 \d+ ms$", lines[0]), stderr
    assert re.search(r" GET /api/slots 401 \d+ ms$", lines[1]), stderr
    assert re.search(r" GET /api/slots 200 \d+ ms$", lines[2]), stderr
