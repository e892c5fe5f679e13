"""Findings of the newcomer review (issue 14, branch cli2): the store's tenant, option names in errors,
path errors, the session-page links `book` prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from micromentor.cli import main
from store import open_store
from store.tenant_mark import store_tenant
from tests.conftest import TENANT_SEED

ONBOARDING_SEED = Path(__file__).resolve().parent.parent / "data" / "onboarding-tenant.json"
CONTOSO_ID = "11111111-2222-3333-4444-555555555555"  # tests/data/tenant.json
ONBOARDING_ID = "22222222-3333-4444-5555-666666666666"  # tests/data/onboarding-tenant.json
MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
NOW = "2026-11-30T00:00:00Z"
BOOK = [
    "book", "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--mentee", RAVI,
    "--start", "2026-11-30T09:00:00Z", "--question", "How?", "--now", NOW,
]  # fmt: skip


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_a_store_records_its_tenant_and_refuses_another(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = str(tmp_path / "mm.db")
    code, _, err = cli(capsys, *BOOK, "--store", store)
    assert code == 0, err
    assert store_tenant(open_store(f"sqlite:///{store}")) == CONTOSO_ID
    # The same store against the onboarding tenant: its sessions' people are unknown there.
    code, body, err = cli(capsys, "sync", "--tenant", str(ONBOARDING_SEED), "--store", store, "--now", NOW)
    assert code == 2 and body is None
    [line] = err.strip().splitlines()
    assert line.startswith("micromentor: --store: ") and CONTOSO_ID in line and ONBOARDING_ID in line
    # Its own tenant still works.
    code, _, err = cli(capsys, "sync", "--tenant", str(TENANT_SEED), "--store", store, "--now", NOW)
    assert code == 0, err


def test_serve_refuses_a_store_of_another_tenant(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = str(tmp_path / "mm.db")
    code, _, err = cli(capsys, *BOOK, "--store", store)
    assert code == 0, err
    done = subprocess.run(
        [sys.executable, "-m", "micromentor", "serve", "--port", "0", "--tenant", str(ONBOARDING_SEED),
         "--store", store],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    refusals = [line for line in done.stderr.splitlines() if "--store" in line]
    assert len(refusals) == 1 and CONTOSO_ID in refusals[0], done.stderr
