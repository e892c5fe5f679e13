"""The README's first hour, run as written: `micromentor emulator --tenant tests/data/tenant.json` in its
own process, then every later command of the section in order through the CLI's main(), in a fresh folder.
Only `demo` is left out (it has its own tests; its 20-30 s are not needed here) and the session id of the
README's `book` output is replaced by the one actually booked."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from micromentor.cli import main
from tests.app.test_docs import ROOT, first_hour_commands


def test_the_first_hour_runs_in_order_on_one_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").symlink_to(ROOT / "tests")  # the README runs from a clone: tests/data/… is there
    for name in ("MICROMENTOR_TENANT_ID", "MICROMENTOR_CLIENT_ID", "MICROMENTOR_STORE", "MICROMENTOR_SETTINGS"):
        monkeypatch.delenv(name, raising=False)
    commands = first_hour_commands()
    [emulator] = [c for c in commands if c[1] == "emulator"]
    readme_id = next(c[c.index("--session") + 1] for c in commands if c[1] == "play")
    process = subprocess.Popen(
        [sys.executable, "-m", "micromentor", *emulator[1:]], cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    answers: dict[str, Any] = {}
    try:
        assert process.stdout is not None and process.stdout.readline()
        booked = readme_id
        for argv in commands[commands.index(emulator) + 1 :]:
            argv = [booked if word == readme_id else word for word in argv]
            code = main(argv[1:])
            out, err = capsys.readouterr()
            assert code == 0, f"{' '.join(argv)}: {err}"
            answers[argv[1]] = json.loads(out)
            if argv[1] == "book":
                booked = answers["book"]["id"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    # What the README's output blocks show.
    assert answers["book"]["state"] == "scheduled" and answers["book"]["start"] == "2026-12-01T09:00:00Z"
    assert answers["play"]["attended"] == ["maya@contoso.example", "ravi@contoso.example"]
    assert answers["sync"]["decided"] == {"completed": 1}
    assert (answers["send-due"]["planned"], answers["send-due"]["sent"]) == (3, 2)
    assert answers["report"]["sessions"]["completed"] == 1 and answers["report"]["completionRate"] == 1.0
