"""One emulator for a sequence of commands: `micromentor emulator` runs in its own process, and `book`,
`play`, `sync` and `report` (through the CLI's main()) all see its tenant and its store."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.model import SessionState
from micromentor.cli import main
from store import open_store
from tests.conftest import TENANT_SEED

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
NOW = "2026-11-30T00:00:00Z"  # a Monday
START = "2026-12-01T09:00:00Z"  # Tuesday 09:00 London (Maya), 14:30 Kolkata (Ravi): inside both days
AFTER = "2026-12-01T10:00:00Z"  # 45 minutes after the 15-minute meeting ended
WEEK = ("--from", "2026-11-30T00:00:00Z", "--to", "2026-12-07T00:00:00Z")


@pytest.fixture
def running_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """`micromentor emulator` started in tmp_path (its default settings file lands there), as a user would."""
    monkeypatch.chdir(tmp_path)
    for name in ("MICROMENTOR_TENANT_ID", "MICROMENTOR_CLIENT_ID", "MICROMENTOR_STORE", "MICROMENTOR_SETTINGS"):
        monkeypatch.delenv(name, raising=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "micromentor", "emulator", "--tenant", str(TENANT_SEED)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        yield {"ready": json.loads(line), "process": process, "dir": tmp_path}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        body = json.loads(out) if out.strip() else None
    except ValueError:
        body = out
    return code, body, err


def test_book_play_sync_report_on_one_emulator(
    running_emulator: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder: Path = running_emulator["dir"]
    ready = running_emulator["ready"]
    settings = json.loads((folder / ".micromentor" / "emulator.json").read_text(encoding="utf-8"))
    assert settings["graph"] == ready["graph"] and settings["admin"] == ready["admin"]
    assert settings["store"] == f"sqlite:///{(folder / '.micromentor' / 'micromentor.db').resolve()}"

    code, session, err = run(
        capsys, "book", "--mentor", MAYA, "--mentee", RAVI, "--start", START, "--now", NOW, "--question", "Retros?"
    )
    assert code == 0, err
    assert "used the emulator of .micromentor/emulator.json" in err
    assert session["state"] == "scheduled" and session["joinUrl"]

    code, played, err = run(capsys, "play", "--session", session["id"])
    assert code == 0, err
    assert played["attended"] == [MAYA, RAVI] and played["absent"] == []
    assert (played["joined"], played["left"]) == (START, "2026-12-01T09:15:00Z")

    # The same emulator still has the meeting: sync decides from its attendance instead of finding the
    # event gone (what a second `--tenant` run did: "deleted in Outlook").
    code, synced, err = run(capsys, "sync", "--now", AFTER)
    assert code == 0, err
    assert synced == {"organizers": 1, "moved": 0, "cancelled": 0, "repaired": 0, "decided": {"completed": 1}}

    code, report, err = run(capsys, "report", *WEEK)
    assert code == 0, err
    assert report["sessions"]["sessions"] == 1
    assert report["sessions"]["completed"] == 1 and report["sessions"]["cancelled"] == 0
    assert report["completionRate"] == 1.0


def test_a_mentee_who_never_joins_is_a_no_show(
    running_emulator: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, session, err = run(
        capsys, "book", "--mentor", MAYA, "--mentee", RAVI, "--start", START, "--now", NOW, "--question", "Retros?"
    )
    assert code == 0, err
    code, played, _ = run(capsys, "play", "--session", session["id"], "--absent", RAVI)
    assert code == 0 and played["attended"] == [MAYA] and played["absent"] == [RAVI]
    code, synced, err = run(capsys, "sync", "--now", AFTER)
    assert code == 0, err
    assert synced["decided"] == {"no_show": 1}
    code, report, _ = run(capsys, "report", *WEEK)
    assert (report["sessions"]["completed"], report["sessions"]["noShow"]) == (0, 1)


def test_play_names_a_wrong_session_and_a_stranger(
    running_emulator: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, session, _ = run(
        capsys, "book", "--mentor", MAYA, "--mentee", RAVI, "--start", START, "--now", NOW, "--question", "Retros?"
    )
    assert code == 0
    code, _, err = run(capsys, "play", "--session", "no-such-session")
    assert code == 2 and err.strip().endswith("--session: no session no-such-session in " + _store(running_emulator))
    code, _, err = run(capsys, "play", "--session", session["id"], "--absent", "ana@contoso.example")
    assert code == 2 and "--absent: ana@contoso.example is not in session" in err
    code, _, err = run(capsys, "play", "--session", session["id"], "--minutes", "16")
    assert code == 2 and "--minutes" in err


def _store(emulator: dict[str, Any]) -> str:
    return str(emulator["ready"]["store"])


def test_the_settings_file_goes_when_the_emulator_stops(running_emulator: dict[str, Any]) -> None:
    path = running_emulator["dir"] / ".micromentor" / "emulator.json"
    assert path.is_file()
    process: subprocess.Popen[str] = running_emulator["process"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert not path.exists()


def test_a_named_settings_file_of_a_stopped_emulator_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = {
        "graph": "https://127.0.0.1:9/v1.0",
        "authority": "https://127.0.0.1:9/t",
        "admin": "https://127.0.0.1:9/_emulator",
        "ca": "ca.pem",
        "tenantId": "t",
        "store": "sqlite:///x.db",
        "pid": int(dead.stdout),
    }
    (tmp_path / "emu.json").write_text(json.dumps(stale), encoding="utf-8")
    code, _, err = run(capsys, "sync", "--settings", "emu.json")
    assert code == 2
    assert err == "micromentor: --settings: the emulator that wrote emu.json is no longer running\n"
    code, _, err = run(capsys, "sync", "--settings", "missing.json")
    assert code == 2 and err.startswith("micromentor: --settings: no such file: missing.json")
    # Left in the default place, the same file is named and ignored: no emulator, no Graph, exit 2.
    (tmp_path / ".micromentor").mkdir()
    (tmp_path / ".micromentor" / "emulator.json").write_text(json.dumps(stale), encoding="utf-8")
    monkeypatch.delenv("MICROMENTOR_TENANT_ID", raising=False)
    code, _, err = run(capsys, "slots", "--mentor", MAYA, "--mentee", RAVI)
    assert code == 2
    assert "ignoring .micromentor/emulator.json: its emulator is no longer running" in err


def test_a_tenant_run_says_its_emulator_ends_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "slots", "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--mentee", RAVI, "--now", NOW)
    assert code == 0
    assert f"--tenant: the emulator seeded from {TENANT_SEED} stopped with this command" in err
    assert "micromentor emulator --tenant" in err


@pytest.mark.parametrize("command", ["sync", "report"])
def test_sync_and_report_refuse_a_store_that_is_not_there(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "nonexistent" / "x.db"
    code, out, err = run(capsys, command, "--tenant", str(TENANT_SEED), "--store", str(typo))
    assert code == 2 and out is None
    assert err.splitlines()[-1] == (
        f"micromentor: --store: no store at {typo}: `book`, `serve` and `demo` create one (see docs/cli.md)"
    )
    assert not typo.exists() and not typo.parent.exists()  # nothing created


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    from importlib.metadata import version

    assert capsys.readouterr().out == f"micromentor {version('micromentor')}\n"


def test_slots_show_each_persons_local_time_and_whose_day_the_why_means(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, body, err = run(
        capsys,
        "slots",
        "--tenant",
        str(TENANT_SEED),
        "--mentor",
        MAYA,
        "--mentee",
        RAVI,
        "--now",
        NOW,
        "--limit",
        "1",
    )
    assert code == 0, err
    (slot,) = body["slots"]
    # Maya works from 07:30 London but the day window opens at 08:00; Ravi (IST, UTC+05:30) is at 13:30.
    assert slot["start"] == "2026-11-30T08:00:00Z"
    assert slot["local"][MAYA] == "Mon 30 Nov 08:00-08:15 Europe/London"
    assert slot["local"][RAVI].startswith("Mon 30 Nov 13:30-13:45 Asia/")  # Kolkata or its old name Calcutta
    assert slot["why"].endswith("(the mentor's day, Europe/London)")


def test_progress_is_a_bar_only_on_a_terminal() -> None:
    import io

    from micromentor.progress import Progress

    piped = io.StringIO()
    progress = Progress(2, "sync", unit="organizer", stream=piped)
    progress.step("maya: 1 completed")
    progress.step("ana: no change")
    progress.close()
    assert not progress.active
    assert piped.getvalue() == "[1/2] maya: 1 completed\n[2/2] ana: no change\n"

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    bar = Progress(2, "sync", unit="organizer", stream=screen)
    assert bar.active
    bar.step("maya: 1 completed")
    bar.close()
    assert "sync" in screen.getvalue() and "1/2" in screen.getvalue() and "[1/2] maya" not in screen.getvalue()


def test_the_emulator_stops_when_killed_and_the_next_command_says_so(
    running_emulator: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    process: subprocess.Popen[str] = running_emulator["process"]
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    time.sleep(0.1)
    code, _, err = run(capsys, "report", *WEEK)
    # No store was made (nothing booked), and the dead emulator's file is named, not used.
    assert "ignoring .micromentor/emulator.json: its emulator is no longer running" in err
    assert code == 2 and "--store: no store at" in err


def test_from_another_folder_the_settings_are_named(
    running_emulator: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = running_emulator["dir"] / ".micromentor" / "emulator.json"
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    code, _, err = run(
        capsys, "book", "--mentor", MAYA, "--mentee", RAVI, "--start", START, "--now", NOW, "--question", "Q?"
    )
    assert code == 2 and "no Graph configured" in err  # no emulator file here, none named
    monkeypatch.setenv("MICROMENTOR_SETTINGS", str(settings))
    code, session, err = run(
        capsys, "book", "--mentor", MAYA, "--mentee", RAVI, "--start", START, "--now", NOW, "--question", "Q?"
    )
    assert code == 0, err
    assert session["state"] == "scheduled"
    assert "used the emulator" not in err  # named, so nothing to point out
    monkeypatch.delenv("MICROMENTOR_SETTINGS")
    # The store is the emulator's (an absolute path), whichever folder the command runs in.
    code, report, err = run(capsys, "report", "--settings", str(settings), *WEEK)
    assert code == 0, err
    assert report["sessions"]["scheduled"] == 1


def test_play_refuses_a_cancelled_session_and_a_replay_adds_no_second_report(
    running_emulator: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, session, _ = run(
        capsys, "book", "--mentor", MAYA, "--mentee", RAVI, "--start", START, "--now", NOW, "--question", "Retros?"
    )
    assert code == 0
    code, first, err = run(capsys, "play", "--session", session["id"], "--absent", RAVI)
    assert "alreadyPlayed" not in first
    assert code == 0, err
    code, again, err = run(capsys, "play", "--session", session["id"], "--absent", RAVI)
    assert code == 0, err
    assert again["alreadyPlayed"] is True
    assert (again["attended"], again["absent"], again["left"]) == ([MAYA], [RAVI], "2026-12-01T09:15:00Z")
    settings = json.loads((running_emulator["dir"] / ".micromentor" / "emulator.json").read_text(encoding="utf-8"))
    with httpx.Client(verify=ssl.create_default_context(cafile=settings["ca"]), timeout=30) as admin:
        state = admin.get(f"{settings['admin']}/state").json()
    [meeting] = [m for m in state["onlineMeetings"] if m["joinWebUrl"] == session["joinUrl"]]
    assert len(meeting["attendanceReports"]) == 1

    ten = "2026-12-01T10:00:00Z"
    book = ("book", "--mentor", MAYA, "--mentee", RAVI, "--start", ten, "--now", NOW, "--question", "Q?")
    code, other, _ = run(capsys, *book)
    assert code == 0
    store = open_store(_store(running_emulator))  # the store the CLI uses
    cancel = partial(replace, state=SessionState.CANCELLED, state_reason="cancelled_by_request")
    store.update_session(other["id"], cancel)
    code, _, err = run(capsys, "play", "--session", other["id"])
    assert code == 2 and "--session:" in err and "cancelled" in err


def test_a_second_emulator_leaves_the_first_ones_settings_file_alone(running_emulator: dict[str, Any]) -> None:
    # Writing it would orphan the first emulator, and deleting it on stop would leave the first one's
    # commands without Graph. The second still serves (its ready line), but writes no settings file.
    settings = running_emulator["dir"] / ".micromentor" / "emulator.json"
    before = settings.read_text(encoding="utf-8")
    second = subprocess.Popen(
        [sys.executable, "-m", "micromentor", "emulator", "--tenant", str(TENANT_SEED)],
        cwd=running_emulator["dir"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert second.stdout is not None
        ready = json.loads(second.stdout.readline())
        assert ready["settings"] is None and ready["graph"] != running_emulator["ready"]["graph"]
        assert settings.read_text(encoding="utf-8") == before
    finally:
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=20)
    assert second.returncode == 0 and "writes no settings file" in err
    assert settings.read_text(encoding="utf-8") == before
    assert running_emulator["process"].poll() is None
