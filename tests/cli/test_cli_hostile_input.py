"""The CLI refuses what the HTTP API refuses (issue #12): exit 2 and one line naming the argument."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from micromentor.cli import main
from tests.conftest import TENANT_SEED

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
NOW = "2026-11-30T00:00:00Z"


def book(tmp_path: Path, *changes: str) -> list[str]:
    argv = ["book", "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--mentee", RAVI, "--now", NOW]
    argv += ["--start", "2026-11-30T09:00:00Z", "--question", "How?", "--store", str(tmp_path / "mm.db")]
    return [*argv, *changes]


def one_line(capsys: pytest.CaptureFixture[str], argv: list[str], names: str) -> None:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == "" and err.count("\n") == 1 and names in err, err


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "9999-12-31T00:00:00Z", "0001-01-01T00:00Z"]
)
def test_out_of_range_times_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, moment: str) -> None:
    slots = ["slots", "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--mentee", RAVI]
    one_line(capsys, [*slots, "--now", moment], "--now")
    one_line(capsys, [*book(tmp_path), "--start", moment], "--start")
    one_line(capsys, ["report", "--store", str(tmp_path / "mm.db"), "--from", moment], "--from")


@pytest.mark.parametrize("question", ["why \udcff?", "why \ud800?", "why\u0000?"])
def test_bad_question_characters_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, question: str) -> None:
    one_line(capsys, [*book(tmp_path), "--question", question], "question")


def test_argv_bytes_that_are_not_utf8_exit_2(tmp_path: Path) -> None:
    # Linux hands such bytes to Python as lone surrogates (surrogateescape).
    argv = [sys.executable.encode(), b"-m", b"micromentor", *(a.encode() for a in book(tmp_path))]
    argv[argv.index(b"How?")] = b"How \xff?"
    done = subprocess.run(argv, capture_output=True, timeout=120, env={**os.environ, "PYTHONUTF8": "1"})
    assert done.returncode == 2, done.stderr
    assert done.stdout == b"" and done.stderr.count(b"\n") == 1 and b"question" in done.stderr


def test_deep_json_files_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"buffer_minutes": ' + "[" * 50_000 + "]" * 50_000 + "}", encoding="utf-8")
    slots = ["slots", "--mentor", MAYA, "--mentee", RAVI, "--now", NOW]
    one_line(capsys, [*slots, "--tenant", str(TENANT_SEED), "--policy", str(deep)], "--policy")
    one_line(capsys, [*slots, "--tenant", str(deep)], "--tenant")
    one_line(capsys, ["demo", "--tenant", str(deep), "--out", str(tmp_path / "out")], "--tenant")
