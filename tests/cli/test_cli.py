"""The `micromentor` command as cli.md fixes it: JSON on stdout, one line on stderr, exit 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from micromentor.cli import main
from store import open_store
from tests.conftest import POLICY_FILE, TENANT_SEED

ANA, RAVI, MAYA = "ana@contoso.example", "ravi@contoso.example", "maya@contoso.example"
NOW = "2026-11-30T00:00:00Z"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_slots_for_the_example_tenant_pacific_and_india_have_no_overlap(capsys: pytest.CaptureFixture[str]) -> None:
    # Ana's day window 08:00-18:00 PST is 16:00-02:00Z; Ravi's 08:00-18:00 IST is 02:30-12:30Z: disjoint.
    code, body, err = cli(
        capsys, "slots", "--tenant", str(TENANT_SEED), "--mentor", ANA, "--mentee", RAVI, "--now", NOW
    )
    assert code == 0, err
    assert body["slots"] == []
    assert body["reasons"]
    assert body["searched"] == {"from": "2026-11-30T02:00:00Z", "to": "2026-12-14T00:00:00Z"}


def test_slots_for_maya_and_ravi_hand_worked(capsys: pytest.CaptureFixture[str]) -> None:
    # Maya (London = UTC in winter) works Mon-Thu 07:30-15:30; Ravi's IST window 08:00-18:00 ends 12:30Z
    # and his working hours start 04:30Z. Shared: Mon-Thu 08:00-12:30Z, 15-minute slots start 08:00..12:15
    # (18 a day), on 8 days (Mon-Thu of two weeks) = 144 slots. No events block Maya.
    code, body, err = cli(
        capsys, "slots", "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--mentee", RAVI, "--now", NOW
    )
    assert code == 0, err
    starts = [s["start"] for s in body["slots"]]
    assert len(starts) == 144
    assert starts[0] == "2026-11-30T08:00:00Z" and starts[17] == "2026-11-30T12:15:00Z"
    assert starts[18] == "2026-12-01T08:00:00Z"
    assert "2026-12-04T08:00:00Z" not in starts  # Friday: Maya does not work
    assert body["slots"][0]["end"] == "2026-11-30T08:15:00Z"
    assert starts == sorted(starts)


def test_slots_limit_ranks_and_explains(capsys: pytest.CaptureFixture[str]) -> None:
    code, body, _ = cli(
        capsys, "slots", "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--mentee", RAVI, "--now", NOW, "--limit", "3"
    )
    assert code == 0
    assert len(body["slots"]) == 3 and all(s.get("why") for s in body["slots"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--mentor", "nobody@contoso.example", "--mentee", RAVI, "--now", NOW], "nobody@contoso.example"),
        (["--mentor", MAYA, "--mentee", "ghost@contoso.example", "--now", NOW], "ghost@contoso.example"),
        (["--mentor", MAYA, "--mentee", MAYA, "--now", NOW], "mentee"),
        (["--mentor", MAYA, "--now", NOW], "mentee"),
        (["--mentor", MAYA, "--mentee", RAVI, "--now", NOW, "--minutes", "25"], "minutes"),
        (["--mentor", MAYA, "--mentee", RAVI, "--now", "2026-11-30T00:00:00"], "--now"),
        (["--mentee", RAVI, "--now", NOW], "--mentor"),
    ],
)
def test_slots_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, body, err = cli(capsys, "slots", "--tenant", str(TENANT_SEED), *argv)
    assert code == 2 and body is None
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_policy_file_errors_name_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "policy.json"
    bad.write_text(json.dumps({"max_sessions_per_week": "five"}))
    code, _, err = cli(
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
        "--policy",
        str(bad),
    )
    assert code == 2 and "max_sessions_per_week" in err


def test_example_policy_applies(capsys: pytest.CaptureFixture[str]) -> None:
    code, body, _ = cli(
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
        "--policy",
        str(POLICY_FILE),
    )
    assert code == 0 and len(body["slots"]) == 144  # its Friday no-meeting day changes nothing for Maya


def test_malformed_seed_names_the_bad_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    seed = json.loads(TENANT_SEED.read_text())
    seed["users"][1]["mailboxSettings"]["timeZone"] = "Mars Standard Time"
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    code, _, err = cli(capsys, "slots", "--tenant", str(path), "--mentor", MAYA, "--mentee", RAVI, "--now", NOW)
    assert code == 2 and "users[1].mailboxSettings.timeZone" in err


def test_book_twice_with_one_key_creates_one_meeting(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = str(tmp_path / "mm.db")
    argv = [
        "book",
        "--tenant",
        str(TENANT_SEED),
        "--mentor",
        MAYA,
        "--mentee",
        RAVI,
        "--start",
        "2026-11-30T09:00:00Z",
        "--question",
        "How do I give feedback upward?",
        "--now",
        NOW,
        "--idempotency-key",
        "cli-1",
        "--store",
        store,
    ]
    code, first, err = cli(capsys, *argv)
    assert code == 0, err
    assert set(first) >= {"id", "eventId", "joinUrl", "start", "end", "attendees"}
    assert first["start"] == "2026-11-30T09:00:00Z" and first["end"] == "2026-11-30T09:15:00Z"
    assert first["attendees"] == [MAYA, RAVI]
    code, second, _ = cli(capsys, *argv)
    assert code == 0 and second["id"] == first["id"] and second["eventId"] == first["eventId"]


def test_book_an_invalid_slot_exits_1_with_the_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Friday: Maya does not work, so the slot is outside her working hours.
    code, body, err = cli(
        capsys,
        "book",
        "--tenant",
        str(TENANT_SEED),
        "--mentor",
        MAYA,
        "--mentee",
        RAVI,
        "--start",
        "2026-12-04T09:00:00Z",
        "--question",
        "Why?",
        "--now",
        NOW,
        "--store",
        str(tmp_path / "mm.db"),
    )
    assert code == 1 and body is None and "working_hours" in err


def test_installed_entry_point_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "micromentor",
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
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [slot] = json.loads(done.stdout)["slots"]
    start = datetime.fromisoformat(slot["start"].replace("Z", "+00:00"))
    assert start >= datetime(2026, 11, 30, 2, tzinfo=UTC) + timedelta(0)


def test_report_formats_and_segments_from_the_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = str(tmp_path / "mm.db")
    code, _, err = cli(
        capsys, "book", "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--mentee", RAVI,
        "--start", "2026-11-30T09:00:00Z", "--question", "How?", "--now", NOW, "--store", store,
    )  # fmt: skip
    assert code == 0, err
    period = ["--from", "2026-11-30T00:00:00Z", "--to", "2026-12-07T00:00:00Z", "--store", store]
    code, report, err = cli(capsys, "report", *period, "--tenant", str(TENANT_SEED))
    assert code == 0, err
    assert report["sessions"]["scheduled"] == 1 and report["completionRate"] is None
    # Maya: Engineering, London; Ravi: Marketing, Bengaluru (tenant seed): two people, fewer than the
    # minimum segment size (5), so no breakdown is shown (docs/report.md); names come from the directory.
    assert report["segments"] == []
    assert report["segmentRules"] == {"minSize": 5, "withheld": ["department", "officeLocation"]}
    assert [m["name"] for m in report["mentors"]] == ["Maya Lind"]
    assert main(["report", *period, "--format", "csv"]) == 0
    csv_text = capsys.readouterr().out
    assert csv_text.splitlines()[0].startswith("scope,mentor")
    out = tmp_path / "report.html"
    assert main(["report", *period, "--format", "html", "--out", str(out)]) == 0
    assert "<svg" in out.read_text() or "No sessions" in out.read_text()
    assert main(["report", *period, "--format", "xml"]) == 2


def test_report_out_creates_its_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder" / "report.json"
    open_store(f"sqlite:///{tmp_path / 'mm.db'}")  # report reads a store, never creates one
    assert main(["report", "--store", str(tmp_path / "mm.db"), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["sessions"]["sessions"] == 0


def _subcommands() -> list[str]:
    import argparse

    from micromentor.cli import _parser

    [choices] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(choices.choices)


@pytest.mark.parametrize("command", _subcommands())
@pytest.mark.parametrize("bad", ["--bogus", "--bogus=1"])
def test_an_unknown_option_is_named_before_any_missing_one(
    capsys: pytest.CaptureFixture[str], command: str, bad: str
) -> None:
    # `play` and `book` have required options: argparse alone would blame `--session` / `--mentor`.
    assert main([command, bad]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"micromentor {command}: unrecognized arguments: --bogus\n"


def test_abbreviations_and_negative_numbers_still_reach_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slots", "--ment", "x@contoso.example"]) == 2
    assert capsys.readouterr().err == "micromentor slots: ambiguous option: --ment could match --mentor, --mentee\n"
