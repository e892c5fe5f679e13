"""GET /api/admin/report against the emulated tenant, and the CLI beside it: one period rule on both."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from micromentor import cli as cli_module
from micromentor.cli import main
from store import open_store
from tests.functions import test_admin_and_requests_http as base
from tests.functions.test_admin_and_requests_http import NOW, Api

# The fixtures of the admin routes' tests: an emulated tenant, the functions host, tokens.
api, mint, admin_token = base.api, base.mint, base.admin_token
EMULATOR_SEED = base.EMULATOR_SEED  # its tenant, for the emulator fixture (tests/conftest.py)

PAT = "pat@contoso.example"  # Pacific Standard Time in the seed

# (query, expected period in UTC) with NOW = Mon 30 Nov 2026 06:00Z; the end of today is Dec 1 00:00Z in
# UTC. The zone is given: without it the CLI uses UTC and HTTP the caller's mailbox zone (Lena: London).
CASES = [
    ({"tz": "UTC"}, ("2026-09-08T00:00:00Z", "2026-12-01T00:00:00Z")),
    ({"to": "2026-01-01T00:00:00Z", "tz": "UTC"}, ("2025-10-09T00:00:00Z", "2026-01-01T00:00:00Z")),
    ({"from": "2026-11-01T00:00:00Z", "tz": "UTC"}, ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")),
    (
        {"from": "2026-11-02T00:00:00Z", "to": "2026-11-09T00:00:00Z", "tz": "UTC"},
        ("2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z"),
    ),
    # London: the end of today is the same instant (GMT in winter), 84 days back is in summer time.
    # (Times are written in the viewer's zone, with its offset: 00:00 BST = 23:00Z the day before.)
    ({"tz": "Europe/London"}, ("2026-09-08T00:00:00+01:00", "2026-12-01T00:00:00+00:00")),
    ({"quarter": "2026Q4", "tz": "UTC"}, ("2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z")),
    # London is on summer time (UTC+1) on Oct 1: the quarter starts at 23:00Z the day before.
    ({"quarter": "2026Q4", "tz": "Europe/London"}, ("2026-10-01T00:00:00+01:00", "2027-01-01T00:00:00+00:00")),
]


def run_cli(capsys: pytest.CaptureFixture[str], store: Path, query: dict[str, str]) -> tuple[int, str, str]:
    argv = ["report", "--store", str(store)]
    for key, value in query.items():
        argv += [f"--{key}", value]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_and_http_give_the_same_period_for_each_combination(
    api: Api,
    admin_token: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(cli_module, "utc_now", lambda: NOW)
    monkeypatch.delenv("MICROMENTOR_TENANT_ID", raising=False)
    store = tmp_path / "cli.db"
    open_store(f"sqlite:///{store}")
    for query, (start, end) in CASES:
        code, out, err = run_cli(capsys, store, query)
        assert code == 0, (query, err)
        answer = api("GET", "admin/report", token=admin_token, params=query)
        assert answer.status == 200, (query, answer.text)
        cli_period = json.loads(out)["period"]
        http_period = answer.json["period"]
        assert (cli_period["from"], cli_period["to"]) == (start, end), query
        assert (http_period["from"], http_period["to"]) == (start, end), query


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": "2025-11-01T00:00:00Z"}, 422, "from"),  # 395 days to the end of today
        ({"from": "2025-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z"}, 422, "to"),
        ({"quarter": "2026Q9"}, 422, "quarter"),
        ({"quarter": "2026Q4", "from": "2026-10-01T00:00:00Z"}, 422, "quarter"),
        ({"tz": "Mars/Olympus"}, 422, "tz"),
        ({"from": "2026-12-07T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, 400, "to"),
    ],
)
def test_a_period_the_report_cannot_use_names_its_field(
    api: Api, admin_token: str, params: dict[str, str], status: int, field: str
) -> None:
    answer = api("GET", "admin/report", token=admin_token, params=params)
    assert answer.status == status
    assert answer.error["field"] == field


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--from", "2025-11-01T00:00:00Z"], "--from"),
        (["--quarter", "2026Q9"], "--quarter"),
        (["--tz", "Mars/Olympus"], "--tz"),
        (["--to", "2026-01-01T00:00:00Z", "--from", "2026-02-01T00:00:00Z"], "--to"),
    ],
)
def test_the_cli_exits_2_naming_the_option(
    argv: list[str], field: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cli_module, "utc_now", lambda: NOW)
    store = tmp_path / "cli.db"
    open_store(f"sqlite:///{store}")
    assert main(["report", "--store", str(store), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"micromentor: {field}: ") and err.count("\n") == 1


def test_without_tz_the_admins_mailbox_zone_sets_the_end_of_today(api: Api, mint: Callable[..., str]) -> None:
    # Pat's mailbox is in Pacific time: at 06:00Z it is still Sunday 29 Nov there, so today ends at
    # Mon 30 Nov 00:00 PST = 08:00Z; 84 days before, Mon 7 Sep 00:00, is summer time (PDT, UTC-7) = 07:00Z.
    answer = api("GET", "admin/report", token=mint(PAT, roles=["Mentoring.Admin"]))
    assert answer.status == 200
    assert answer.json["timeZone"] == "America/Los_Angeles"
    assert answer.json["period"] == {"from": "2026-09-07T00:00:00-07:00", "to": "2026-11-30T00:00:00-08:00"}
    given = api("GET", "admin/report", token=mint(PAT, roles=["Mentoring.Admin"]), params={"tz": "UTC"})
    assert given.json["period"]["to"] == "2026-12-01T00:00:00Z"
