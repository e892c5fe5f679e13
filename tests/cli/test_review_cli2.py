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


SLOTS = ["slots", "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--mentee", RAVI, "--now", NOW]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        ([*SLOTS, "--limit", "0"], "--limit"),
        ([*SLOTS, "--minutes", "25"], "--minutes"),
        ([*SLOTS, "--mentee", "ghost@contoso.example"], "--mentee"),
        (["slots", "--tenant", str(TENANT_SEED), "--mentor", "ghost@contoso.example", "--mentee", RAVI], "--mentor"),
        ([*BOOK, "--minutes", "25"], "--minutes"),
        ([*BOOK, "--question", " "], "--question"),
        ([*BOOK, "--topic", "x" * 121], "--topic"),
        ([*BOOK, "--idempotency-key", ""], "--idempotency-key"),
    ],
)
def test_errors_name_the_option_not_the_service_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], option: str
) -> None:
    store = ["--store", str(tmp_path / "mm.db")] if argv[0] == "book" else []
    code, body, err = cli(capsys, *argv, *store)
    assert code == 2 and body is None
    [line] = err.strip().splitlines()
    assert line.startswith(f"micromentor: {option}: "), line


def test_report_out_that_is_a_folder_or_unwritable_is_exit_2_naming_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = str(tmp_path / "mm.db")
    open_store(f"sqlite:///{store}")
    folder = tmp_path / "somefolder"
    folder.mkdir()
    for out in (str(folder), "/proc/x.json"):
        code, _, err = cli(capsys, "report", "--store", store, "--out", out)
        assert code == 2, err
        [line] = err.strip().splitlines()
        assert line.startswith("micromentor: --out: ") and out in line


@pytest.mark.parametrize("store", ["/proc/nope/x.db", "/proc/x.db"])
def test_book_with_a_store_that_cannot_be_made_is_exit_2_naming_store(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    code, _, err = cli(capsys, *BOOK, "--store", store)
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("micromentor: --store: ")


@pytest.mark.parametrize(
    ("argv", "option"), [(["--tz", "localtime"], "--tz"), (["--quarter", "\uff12\uff10\uff12\uff16Q4"], "--quarter")]
)
def test_report_refuses_a_server_zone_and_full_width_digits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], option: str
) -> None:
    store = str(tmp_path / "mm.db")
    open_store(f"sqlite:///{store}")
    code, _, err = cli(capsys, "report", "--store", store, *argv)
    assert code == 2
    assert err.startswith(f"micromentor: {option}: ")


def test_book_prints_each_attendees_session_page_link(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from services.session_links import read_session_link

    monkeypatch.setenv("MICROMENTOR_PUBLIC_URL", "http://127.0.0.1:8080")
    code, body, err = cli(capsys, *BOOK, "--store", str(tmp_path / "mm.db"))
    assert code == 0, err
    pages = body["sessionPages"]
    assert list(pages) == [MAYA, RAVI]
    for person, url in pages.items():
        prefix = "http://127.0.0.1:8080/api/session-page/"
        assert url.startswith(prefix)
        # Signed with the development secret (MICROMENTOR_LINK_SECRET unset), for this person and session;
        # valid 30 days after the end (09:15Z on 30 Nov).
        claims = read_session_link(url[len(prefix) :], secret="change-me", now=datetime(2026, 12, 1, tzinfo=UTC))
        assert (claims.session_id, claims.person) == (body["id"], person)
        assert claims.expires == datetime(2026, 12, 30, 9, 15, tzinfo=UTC)
