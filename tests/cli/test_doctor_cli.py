"""`micromentor doctor`: one line per check (or the JSON contract), exit 0 without a failure, 1 with one,
2 for bad usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from micromentor.cli import main
from tests.conftest import TENANT_SEED

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["doctor", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def strict_seed(tmp_path: Path) -> Path:
    """Apps declared: the Teams access policy covers Maya only."""
    seed: dict[str, Any] = json.loads(TENANT_SEED.read_text(encoding="utf-8"))
    seed["apps"] = [{"clientId": "micromentor-local", "clientSecret": "local-secret"}]
    seed["emulator"] = {"teamsAccessPolicy": {"users": [MAYA]}}
    path = tmp_path / "strict.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    return path


def test_a_ready_emulated_tenant_exits_0_with_the_json_contract(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(
        capsys, "--tenant", str(TENANT_SEED), "--mentor", MAYA, "--store", str(tmp_path / "mm.db"), "--format", "json"
    )
    assert code == 0, out + err
    body = json.loads(out)
    assert set(body) == {"checks"}
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in body["checks"])
    assert {c["name"]: c["status"] for c in body["checks"]} == {
        "token": "ok",
        "app-roles": "ok",
        "mailbox": "ok",
        "teams-access-policy": "ok",
        "notification-url": "warn",  # http loopback against the emulator: notifications off, sync polls
        "store": "ok",
        "local-defaults": "warn",
    }
    assert all(c["fix"] is None for c in body["checks"] if c["status"] == "ok")


def test_a_missing_policy_exits_1_with_one_line_naming_the_mentor_and_the_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed = strict_seed(tmp_path)
    code, out, _ = run(
        capsys, "--tenant", str(seed), "--mentor", MAYA, "--mentor", RAVI, "--store", str(tmp_path / "a.db")
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("ok    token ")
    failing = [line for line in lines if line.startswith("fail")]
    assert failing == [
        f"fail  teams-access-policy  {RAVI}: No application access policy found for this app. — fix: "
        f"Grant-CsApplicationAccessPolicy -PolicyName micromentor -Identity {RAVI} (or -Global), after "
        "New-CsApplicationAccessPolicy -Identity micromentor -AppIds micromentor-local; allow up to 30 minutes"
    ]


def test_mentors_come_from_the_mentors_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = tmp_path / "mentors.json"
    catalogue.write_text(json.dumps([{"upn": RAVI, "skills": ["python"]}]), encoding="utf-8")
    monkeypatch.setenv("MICROMENTOR_MENTORS_FILE", str(catalogue))
    code, out, _ = run(capsys, "--tenant", str(strict_seed(tmp_path)), "--store", str(tmp_path / "b.db"))
    assert code == 1 and f"fail  teams-access-policy  {RAVI}: No application access policy" in out


def test_an_unwritable_store_is_a_failed_check_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "--tenant",
        str(TENANT_SEED),
        "--mentor",
        MAYA,
        "--store",
        "/proc/micromentor-doctor/mm.db",
        "--format",
        "json",
    )
    assert code == 1 and err == ""
    (store,) = [c for c in json.loads(out)["checks"] if c["name"] == "store"]
    assert store["status"] == "fail" and "MICROMENTOR_STORE" in store["fix"]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--format", "xml"], "--format"),
        (["--tenant", "/no/such/seed.json"], "--tenant"),
        (["--mentor"], "--mentor"),
        (["--surprise"], "--surprise"),
    ],
)
def test_bad_usage_exits_2_with_one_line_naming_the_argument(
    capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and named in err
