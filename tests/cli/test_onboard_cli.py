"""`micromentor onboard` on the onboarding cohort tenant (an emulator seeded per command) and a SQLite store.
The cohort and its expected plan are worked out in tests/services/test_onboarding.py; here: the contract
of the command (JSON or text on stdout, progress on stderr, one-line errors naming the option, line and
column, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from micromentor.cli import main
from tests.conftest import DATA

SEED = DATA / "onboarding-cohort-tenant.json"
MENTORS = DATA / "onboarding-cohort-mentors.json"
COHORT = DATA / "onboarding-cohort.csv"
NOW = "2026-11-30T06:00:00Z"


def onboard(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["onboard", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def base(store: Path, joiners: Path = COHORT) -> list[str]:
    return [
        "--joiners",
        str(joiners),
        "--mentors",
        str(MENTORS),
        "--tenant",
        str(SEED),
        "--store",
        str(store),
        "--now",
        NOW,
    ]


def test_a_dry_run_prints_the_plan_as_json_and_progress_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = onboard(capsys, *base(tmp_path / "mm.db"), "--dry-run")
    assert code == 0, err
    body: Any = json.loads(out)
    assert (body["dryRun"], body["placed"], body["unplaced"], body["sessions"]) == (True, 3, 3, 9)
    [ana] = [j for j in body["joiners"] if j["upn"] == "ana@contoso.example"]
    assert [(s["mentor"], s["start"], s["sessionId"]) for s in ana["sessions"]] == [
        ("maya@contoso.example", "2026-11-30T09:00:00Z", None),
        ("sita@contoso.example", "2026-12-01T09:00:00Z", None),
        ("omar@contoso.example", "2026-12-02T09:00:00Z", None),
    ]
    [kai] = [j for j in body["joiners"] if j["upn"] == "kai@contoso.example"]
    assert (kai["placed"], kai["reason"]) == (False, "no mentor with a free slot in the first two weeks")
    assert "onboard: reading the calendars of 3 mentors with 4 joiners\n" in err


def test_text_output_books_and_names_who_was_not_placed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = onboard(capsys, *base(tmp_path / "mm.db"), "--format", "text")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "3 of 6 joiners placed, 9 sessions booked"
    assert (
        "tom@contoso.example (starts 2026-11-30): 0 sessions; not placed: unknown user: not in the directory" in lines
    )
    assert "onboard: ana@contoso.example: 3 session(s) booked\n" in err


@pytest.mark.parametrize(
    ("csv", "where", "message"),
    [
        ("upn,start_date,skills\na@x,2026-12-01,\nb@x,2026-02-30,\n", "line 3, column start_date", "expected a date"),
        ("upn,start_date,skills,manager\n", "line 1, column 4", "unknown column 'manager'"),
        ("upn,start_date,skills\n,2026-12-01,python\n", "line 2, column upn", "required"),
        ("upn,start_date,skills\na@x,2026-12-01,\na@x,2026-12-02,\n", "line 3, column upn", "listed twice"),
    ],
)
def test_bad_rows_are_one_line_naming_the_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, csv: str, where: str, message: str
) -> None:
    joiners = tmp_path / "joiners.csv"
    joiners.write_text(csv, encoding="utf-8")
    code, out, err = onboard(capsys, *base(tmp_path / "mm.db", joiners))
    assert (code, out) == (2, "")
    assert err.startswith(f"micromentor: --joiners {joiners} {where}: ") and message in err
    assert err.count("\n") == 1


def test_a_missing_file_or_option_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = onboard(capsys, *base(tmp_path / "mm.db", tmp_path / "nope.csv"))
    assert code == 2 and err.startswith("micromentor: --joiners: cannot read ") and err.count("\n") == 1
    code, _, err = onboard(capsys, "--mentors", str(MENTORS))
    assert code == 2 and "--joiners" in err and err.count("\n") == 1
    code, _, err = onboard(capsys, "--joiners", str(COHORT), "--mentors", str(tmp_path / "none.json"))
    assert code == 2 and err.startswith("micromentor: --mentors: mentor catalogue ") and err.count("\n") == 1


def test_201_joiners_are_one_line_naming_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("upn,start_date,skills\n" + "".join(f"j{i}@x.example,2026-12-01,\n" for i in range(201)))
    code, out, err = onboard(capsys, *base(tmp_path / "mm.db", path))
    assert (code, out) == (2, "")
    assert err == f"micromentor: --joiners {path}: at most 200 joiners in one run, got 201: split the list\n"


def test_a_large_file_of_accented_text_is_too_large_not_bad_utf8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    # 46 ASCII bytes, then 2-byte characters: the 1,000,001st byte (where the read stops) splits one.
    text = "upn,start_date,skills\nab@x.example,2026-12-01," + "é" * 5_000_000 + "\n"
    assert len(text[:46].encode()) == 46
    path.write_bytes(text.encode("utf-8"))
    code, _, err = onboard(capsys, *base(tmp_path / "mm.db", path))
    assert (code, err) == (2, f"micromentor: --joiners {path}: larger than 1000000 bytes\n")


def test_a_cp1252_file_names_the_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "upn,start_date,skills\nana@contoso.example,2026-11-30,\nbob@x.example,2026-11-30,José\n".encode("cp1252")
    )
    code, _, err = onboard(capsys, *base(tmp_path / "mm.db", path))
    assert code == 2
    assert err == (
        f"micromentor: --joiners {path} line 3: not UTF-8 text (byte 0xE9); save the file as CSV UTF-8\n"
    )


def test_a_dry_run_creates_no_store_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = tmp_path / "new.db"
    code, out, err = onboard(capsys, *base(store), "--dry-run")
    assert code == 0, err
    assert json.loads(out)["sessions"] == 9
    assert not store.exists()
