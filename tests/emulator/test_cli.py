"""`python -m emulator`: one ready line on stdout, clean exit on SIGTERM, exit 2 for a bad seed."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_one_ready_line_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--tenant", str(ROOT / "tests" / "data" / "tenant.json")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert set(ready) == {"graph", "authority", "admin", "ca"}
        assert ready["graph"].startswith("https://127.0.0.1:") and ready["graph"].endswith("/v1.0")
        assert ready["authority"].endswith("/11111111-2222-3333-4444-555555555555")
        context = ssl.create_default_context(cafile=ready["ca"])
        with httpx.Client(verify=context, trust_env=False) as client:
            assert client.get(f"{ready['admin']}/state").json()["tenantId"] == "11111111-2222-3333-4444-555555555555"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_bad_seed_exits_2_with_the_path(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"users": []}', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--tenant", str(seed)], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "tenantId: required" in result.stderr
    assert result.stdout == ""
