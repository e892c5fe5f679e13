"""`micromentor series start|show|stop|run` on the example tenant (an emulator seeded per command) and a
SQLite store: JSON on stdout; errors one line on stderr naming the field, exit 2 (input) or 1 (refused).

Maya (London = UTC in winter) works Mon-Thu 07:30-15:30, Ravi's day window ends 12:30Z: the first session
Tue 1 Dec 10:00Z fits; 20 minutes by default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from micromentor.cli import main
from tests.conftest import TENANT_SEED

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
NOW = "2026-11-30T00:00:00Z"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def start(capsys: pytest.CaptureFixture[str], store: Path, *extra: str) -> tuple[int, Any, str]:
    return cli(
        capsys, "series", "start", "--tenant", str(TENANT_SEED), "--store", str(store), "--now", NOW,
        "--mentor", MAYA, "--mentee", RAVI, "--start", "2026-12-01T10:00:00Z", "--question", "How do I review?",
        *extra,
    )  # fmt: skip


def test_start_show_stop(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = tmp_path / "mm.db"
    code, body, err = start(capsys, store, "--count", "6")
    assert code == 0, err
    assert (body["state"], body["minutes"], body["intervalDays"], body["count"]) == ("active", 20, 14, 6)
    assert body["sessions"][0]["start"] == "2026-12-01T10:00:00Z" and body["sessions"][0]["minutes"] == 20
    series_id = body["id"]

    code, shown, err = cli(capsys, "series", "show", "--id", series_id, "--store", str(store))
    assert code == 0, err
    assert shown["sessionIds"] == [body["sessions"][0]["id"]] and shown["createdBy"] == RAVI

    code, stopped, err = cli(capsys, "series", "stop", "--id", series_id, "--by", MAYA, "--store", str(store))
    assert code == 0, err
    assert (stopped["state"], stopped["stopReason"], stopped["stoppedBy"]) == ("stopped", "stopped_by_mentor", MAYA)

    code, _, err = cli(capsys, "series", "stop", "--id", series_id, "--by", RAVI, "--store", str(store))
    assert (code, err) == (1, "micromentor: --id: this series is already stopped\n")


def test_input_errors_are_one_line_naming_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = start(capsys, tmp_path / "mm.db", "--minutes", "25")
    assert code == 2 and err.startswith("micromentor: --minutes: ") and err.count("\n") == 1
    code, _, err = start(capsys, tmp_path / "mm.db", "--interval-days", "3")
    assert code == 2 and err.startswith("micromentor: --interval-days: ")
    code, _, err = start(capsys, tmp_path / "mm.db", "--count", "x")
    assert code == 2 and "--count" in err and err.count("\n") == 1

    code, body, _ = start(capsys, tmp_path / "mm.db")
    assert code == 0
    code, _, err = cli(capsys, "series", "stop", "--id", body["id"], "--by", "ana@contoso.example",
                       "--store", str(tmp_path / "mm.db"))  # fmt: skip
    assert code == 2 and err.startswith("micromentor: --by: ")
    code, _, err = cli(capsys, "series", "show", "--id", "nope", "--store", str(tmp_path / "mm.db"))
    assert (code, err) == (2, "micromentor: --id: no series 'nope'\n")
