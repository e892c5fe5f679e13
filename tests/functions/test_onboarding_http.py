"""POST /api/admin/onboarding as the Functions host runs it (the `Api` harness of
test_admin_and_requests_http.py), on the onboarding cohort tenant; the cohort's plan is worked out by hand
in tests/services/test_onboarding.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import RunningEmulator
from tests.conftest import DATA, Admin
from tests.functions.test_admin_and_requests_http import Api

MAYA, ANA = "maya@contoso.example", "ana@contoso.example"
COHORT: list[dict[str, Any]] = [
    {"upn": "ana@contoso.example", "startDate": "2026-11-30", "skills": ["python"]},
    {"upn": "ben@contoso.example", "startDate": "2026-11-30", "skills": ["sales"]},
    {"upn": "nia@contoso.example", "startDate": "2026-12-07", "skills": ["python", "design"]},
    {"upn": "tom@contoso.example", "startDate": "2026-11-30"},
]

EMULATOR_SEED = DATA / "onboarding-cohort-tenant.json"  # the emulator fixture's tenant (tests/conftest.py)


@pytest.fixture
def api(emulator: RunningEmulator, tmp_path: Path) -> Api:
    return Api(emulator, f"sqlite:///{tmp_path / 'mm.db'}", str(DATA / "onboarding-cohort-mentors.json"))


@pytest.fixture
def mint(emulator: RunningEmulator) -> Iterator[Callable[..., str]]:
    admin = Admin(emulator)

    def token(upn: str, **body: Any) -> str:
        return str(admin.post("/token", {"upn": upn, **body})["access_token"])

    try:
        yield token
    finally:
        admin.client.close()


def test_an_admin_onboards_a_cohort_and_a_retry_books_nothing_twice(api: Api, mint: Callable[..., str]) -> None:
    token = mint(MAYA, roles=["Mentoring.Admin"])
    answer = api("POST", "admin/onboarding", token=token, body={"joiners": COHORT})
    assert answer.status == 200, answer.text
    body = answer.json
    assert (body["dryRun"], body["placed"], body["unplaced"], body["sessions"]) == (False, 3, 1, 9)
    [ana] = [j for j in body["joiners"] if j["upn"] == ANA]
    assert [(s["n"], s["mentor"], s["start"]) for s in ana["sessions"]] == [
        (1, "maya@contoso.example", "2026-11-30T09:00:00Z"),
        (2, "sita@contoso.example", "2026-12-01T09:00:00Z"),
        (3, "omar@contoso.example", "2026-12-02T09:00:00Z"),
    ]
    assert all(s["sessionId"] and s["joinUrl"] for s in ana["sessions"])
    [tom] = [j for j in body["joiners"] if j["upn"] == "tom@contoso.example"]
    assert (tom["placed"], tom["reason"], tom["sessions"]) == (False, "unknown user: not in the directory", [])

    again = api("POST", "admin/onboarding", token=token, body={"joiners": COHORT}).json
    ids = sorted(s["sessionId"] for j in body["joiners"] for s in j["sessions"])
    assert sorted(s["sessionId"] for j in again["joiners"] for s in j["sessions"]) == ids


def test_onboarding_needs_the_admin_role(api: Api, mint: Callable[..., str]) -> None:
    assert api("POST", "admin/onboarding", body={"joiners": COHORT}).status == 401
    answer = api("POST", "admin/onboarding", token=mint(ANA), body={"joiners": COHORT})
    assert answer.status == 403 and answer.error["field"] == "Authorization"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"joiners": [COHORT[0], COHORT[1], {**COHORT[2], "startDate": "2026-12-32"}]}, "joiners[2].startDate",
         "expected a date as YYYY-MM-DD"),
        ({"joiners": [{**COHORT[0], "startDate": "20261130"}]}, "joiners[0].startDate", "YYYY-MM-DD"),
        ({"joiners": [{**COHORT[0], "startDate": "9999-12-31"}]}, "joiners[0].startDate", "is not between"),
        ({"joiners": [COHORT[0], {**COHORT[1], "upn": " "}]}, "joiners[1].upn", "required"),
        ({"joiners": [{**COHORT[0], "upn": "ana"}]}, "joiners[0].upn", "not a user principal name"),
        ({"joiners": [COHORT[0], {**COHORT[1], "upn": "ANA@contoso.example"}]}, "joiners[1].upn", "listed twice"),
        ({"joiners": [{**COHORT[0], "team": "x"}]}, "joiners[0].team", "unknown field"),
        ({"joiners": [{**COHORT[0], "skills": "python"}]}, "joiners[0].skills", "must be a list"),
        ({"joiners": [{"upn": ANA}]}, "joiners[0].startDate", "required"),
        ({"joiners": []}, "joiners", "needs at least 1"),
        ({"joiners": COHORT, "dryRun": "yes"}, "dryRun", "must be true or false"),
        # review: one @, no whitespace or invisible character (a zero-width space pasted from a sheet)
        ({"joiners": [{**COHORT[0], "upn": "a b@contoso.example"}]}, "joiners[0].upn", "(U+0020)"),
        ({"joiners": [{**COHORT[0], "upn": "a@b@contoso.example"}]}, "joiners[0].upn", "exactly one @"),
        ({"joiners": [{**COHORT[0], "upn": "ana\u200b@contoso.example"}]}, "joiners[0].upn", "(U+200B)"),
        ({"joiners": [{**COHORT[0], "upn": "@contoso.example"}]}, "joiners[0].upn", "exactly one @"),
        ({"joiners": [{**COHORT[0], "upn": "ana@"}]}, "joiners[0].upn", "exactly one @"),
        ({"joiners": None}, "joiners", ""),
        ({"joiners": [{**COHORT[0], "skills": [" "]}]}, "joiners[0].skills", "must not be empty"),
        ({"joiners": [{**COHORT[0], "startDate": 20261130}]}, "joiners[0].startDate", ""),
        ({"joiners": [{**COHORT[0], "upn": 5}]}, "joiners[0].upn", ""),
        ({"joiners": [COHORT[0]], "dryrun": True}, "dryrun", "unknown field"),
        # the API's cap: a run of 50 joiners answers well within Functions' 230 s (docs/onboarding.md)
        ({"joiners": [{**COHORT[0], "upn": f"j{i}@x.example"} for i in range(51)]}, "joiners",
         "at most 50 joiners a request (the answer must come within the 230 s HTTP limit), got 51: split the "
         "list, or use `micromentor onboard --joiners FILE.csv` (up to 200)"),
        ({"joiners": [{**COHORT[0], "upn": f"j{i}@x.example"} for i in range(201)]}, "joiners", "at most 50"),
    ],
)  # fmt: skip
def test_bad_bodies_are_a_400_naming_the_field(
    api: Api, mint: Callable[..., str], body: dict[str, Any], field: str, message: str
) -> None:
    answer = api("POST", "admin/onboarding", token=mint(MAYA, roles=["Mentoring.Admin"]), body=body)
    assert answer.status == 400, answer.text
    assert answer.error["field"] == field and message in answer.error["message"]


def test_a_dry_run_answers_the_plan_and_books_nothing(api: Api, mint: Callable[..., str]) -> None:
    token = mint(MAYA, roles=["Mentoring.Admin"])
    body = api("POST", "admin/onboarding", token=token, body={"joiners": COHORT, "dryRun": True}).json
    assert (body["dryRun"], body["placed"], body["sessions"]) == (True, 3, 9)
    assert all(s["sessionId"] is None for j in body["joiners"] for s in j["sessions"])
