"""The admin and request routes as the Functions host runs them: each blueprint registered on a fresh
`FunctionApp`, its user function awaited with an `azure.functions.HttpRequest`, a `Runtime` pointed at
the emulator (onboarding seed, see tests/services/test_requests.py) and a SQLite file. Tokens are the
emulator's (`POST /_emulator/token`), validated against its JWKS."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
import httpx
import pytest

from emulator import RunningEmulator
from functions.admin import bp as admin_bp
from functions.http import MAX_BODY_BYTES
from functions.requests import bp as requests_bp
from micromentor.bootstrap import Runtime, configure
from micromentor.localhost import starlette_path
from micromentor.settings import Settings
from micromentor.tenant import emulator_settings
from tests.conftest import DATA, Admin

CAMILLE, BEN, LENA, PAT = (f"{n}@contoso.example" for n in ("camille", "ben", "lena", "pat"))
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
ASK = {"skill": "python", "question": "How should I structure my first Python service?"}

EMULATOR_SEED = DATA / "onboarding-tenant.json"  # the emulator fixture's tenant (tests/conftest.py)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str
    mimetype: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = self.json["error"]
        return error


class Api:
    """Calls the registered functions like the host does; a fresh Runtime (so a fresh event loop's
    Graph client) per call, all sharing one store."""

    def __init__(self, emulator: RunningEmulator, store_url: str, mentors_file: str) -> None:
        self.settings = Settings(
            graph=emulator_settings(emulator),
            store_url=store_url,
            extra={"MICROMENTOR_MENTORS_FILE": mentors_file},
        )
        app = func.FunctionApp()
        for blueprint in (admin_bp, requests_bp):
            app.register_functions(blueprint)
        self.routes: dict[tuple[str, str], Callable[[func.HttpRequest], Any]] = {}
        for function in app.get_functions():
            declared = function.get_trigger()
            assert declared is not None
            trigger = declared.get_dict_repr()
            for method in trigger["methods"]:
                path = starlette_path(trigger["route"])  # as a client sees it: {area:regex(^admin$)} is "admin"
                self.routes[(str(method).upper(), path)] = function.get_user_function()

    def __call__(
        self,
        method: str,
        route: str,
        *,
        token: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        query: str = "",
    ) -> Answer:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        request = func.HttpRequest(
            method, f"http://127.0.0.1:7071/api/{route}{'?' + query if query else ''}", headers=sent,
            params=params or {}, body=payload,
        )
        handler = self.routes[(method, route)]
        rt = Runtime(self.settings, clock=lambda: NOW)

        async def call() -> func.HttpResponse:
            try:
                response: func.HttpResponse = await handler(request)
                return response
            finally:
                await rt.aclose()

        configure(rt)
        try:
            response = asyncio.run(call())
        finally:
            configure(None)
        return Answer(
            response.status_code, dict(response.headers), response.get_body().decode("utf-8"), response.mimetype
        )


@pytest.fixture
def api(emulator: RunningEmulator, tmp_path: Path) -> Api:
    return Api(emulator, f"sqlite:///{tmp_path / 'mm.db'}", str(DATA / "onboarding-mentors.json"))


@pytest.fixture
def mint(emulator: RunningEmulator) -> Iterator[Callable[..., str]]:
    admin = Admin(emulator)

    def token(upn: str = CAMILLE, **body: Any) -> str:
        return str(admin.post("/token", {"upn": upn, **body})["access_token"])

    try:
        yield token
    finally:
        admin.client.close()


@pytest.fixture
def admin_token(mint: Callable[..., str]) -> str:
    return mint(LENA, roles=["Mentoring.Admin"])


# --- identity on the admin routes -------------------------------------------------------------------


@pytest.mark.parametrize("route", ["admin/policy", "admin/policy/history", "admin/report", "admin/doctor"])
def test_admin_routes_need_a_token(api: Api, route: str) -> None:
    answer = api("GET", route)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.error["code"] == "unauthorized"


def test_an_expired_or_foreign_token_is_a_401_with_invalid_token(api: Api, mint: Callable[..., str]) -> None:
    expired = api("GET", "admin/policy", token=mint(LENA, roles=["Mentoring.Admin"], expiresInSeconds=-600))
    assert expired.status == 401
    assert expired.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    foreign = api("GET", "admin/policy", token=mint(LENA, roles=["Mentoring.Admin"], audience="api://someone-else"))
    assert foreign.status == 401 and foreign.error["message"] == "the token was issued for another audience"
    garbage = api("GET", "admin/policy", headers={"Authorization": "Bearer ???"})
    assert garbage.status == 401


@pytest.mark.parametrize("route", ["admin/policy", "admin/policy/history", "admin/report", "admin/doctor"])
def test_admin_routes_need_the_admin_role(api: Api, mint: Callable[..., str], route: str) -> None:
    answer = api("GET", route, token=mint(CAMILLE))
    assert answer.status == 403
    assert answer.error == {
        "code": "forbidden",
        "message": "this needs the app role Mentoring.Admin",
        "field": "Authorization",
    }
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]


def test_no_body_is_read_before_the_token_is_checked(api: Api) -> None:
    answer = api("PUT", "admin/policy", raw=b"x" * (MAX_BODY_BYTES + 1))
    assert answer.status == 401


# --- the doctor ---------------------------------------------------------------------------------------


def test_the_doctor_answers_every_check_with_200(api: Api, admin_token: str, emulator: RunningEmulator) -> None:
    # Ben loses the Teams access policy: the route still answers 200, and the body says who and how to fix it.
    admin = Admin(emulator)
    try:
        policy = {"teamsAccessPolicy": {"global": False, "users": [CAMILLE]}}
        admin.client.patch(f"{admin.url}/access", json=policy).raise_for_status()
    finally:
        admin.client.close()
    answer = api("GET", "admin/doctor", token=admin_token, params={"mentor": "nobody@contoso.example"})
    assert answer.status == 200 and answer.mimetype == "application/json"
    checks = answer.json["checks"]
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in checks)
    assert all(c["status"] in ("ok", "warn", "fail") for c in checks)
    by_name = {c["name"]: c for c in checks}
    assert by_name["token"]["status"] == "ok" and by_name["store"]["status"] == "ok"
    mailboxes = [c["detail"].split(":")[0] for c in checks if c["name"] == "mailbox"]
    assert mailboxes[0] == "nobody@contoso.example"  # ?mentor= first, then the catalogue
    assert mailboxes[1:] == [BEN, CAMILLE, "dora@contoso.example", "kiran@contoso.example", LENA, PAT]
    assert next(c["status"] for c in checks if c["name"] == "mailbox") == "fail"
    policy = {c["detail"].split(":")[0]: c for c in checks if c["name"] == "teams-access-policy"}
    assert policy[CAMILLE]["status"] == "ok"
    assert policy[BEN]["status"] == "fail" and policy[BEN]["fix"].startswith("Grant-CsApplicationAccessPolicy")
    assert by_name["notification-url"]["status"] == "warn"  # http on loopback, against the emulator


# --- the policy ---------------------------------------------------------------------------------------


def test_read_replace_and_history_of_the_policy(api: Api, admin_token: str) -> None:
    first = api("GET", "admin/policy", token=admin_token)
    assert first.status == 200 and first.headers["ETag"] == '"0"'
    assert first.json["version"] == 0 and first.json["policy"]["buffer_minutes"] == 5

    policy = dict(first.json["policy"], buffer_minutes=10)
    saved = api("PUT", "admin/policy", token=admin_token, body=policy, headers={"If-Match": '"0"'})
    assert saved.status == 200 and saved.headers["ETag"] == '"1"'
    # Who, proven by the object id: name claims alone could be anyone's.
    assert saved.json["version"] == 1 and saved.json["changedBy"].startswith(f"{LENA} (oid ")
    assert saved.json["policy"]["buffer_minutes"] == 10
    assert saved.json["changedAt"] == "2026-11-30T06:00:00Z"

    assert api("GET", "admin/policy", token=admin_token).json == saved.json

    stale = api("PUT", "admin/policy", token=admin_token, body={"buffer_minutes": 0}, headers={"If-Match": "0"})
    assert stale.status == 409 and stale.error["field"] == "If-Match"

    history = api("GET", "admin/policy/history", token=admin_token)
    assert history.status == 200
    assert [(v["version"], v["changedBy"]) for v in history.json["versions"]] == [(1, saved.json["changedBy"])]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (
            json.dumps({"overrides": {"ana@contoso.example": {"max_sessions_per_week": -1}}}).encode(),
            "overrides.ana@contoso.example.max_sessions_per_week",
        ),
        (b'{"day_start": "8am"}', "day_start"),
        (b"{not json", "body"),
        (b"", "body"),
        (b"[1, 2]", "body"),
        (b"\xff\xfe", "body"),
        (b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}', "body"),
    ],
)
def test_a_bad_policy_body_is_a_400_naming_the_field(api: Api, admin_token: str, raw: bytes, field: str) -> None:
    answer = api("PUT", "admin/policy", token=admin_token, raw=raw)
    assert answer.status == 400
    assert answer.error["field"] == field


def test_a_malformed_if_match_is_a_400(api: Api, admin_token: str) -> None:
    answer = api("PUT", "admin/policy", token=admin_token, body={}, headers={"If-Match": "latest"})
    assert answer.status == 400 and answer.error["field"] == "If-Match"


# --- the report ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mimetype"), [("json", "application/json"), ("csv", "text/csv"), ("html", "text/html")]
)
def test_the_report_in_each_format(api: Api, admin_token: str, fmt: str, mimetype: str) -> None:
    answer = api("GET", "admin/report", token=admin_token, params={"format": fmt})
    assert answer.status == 200 and answer.mimetype == mimetype and answer.text


def test_the_report_counts_a_booked_request(api: Api, admin_token: str, mint: Callable[..., str]) -> None:
    booked = api("POST", "requests", token=mint(CAMILLE), body={**ASK, "sessions": 1})
    assert booked.status == 201
    report = api(
        "GET",
        "admin/report",
        token=admin_token,
        params={"from": "2026-11-30T00:00:00Z", "to": "2026-12-07T00:00:00Z"},
    )
    assert report.status == 200
    assert json.dumps(booked.json["request"]["id"]) in report.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-12-01T00:00:00"}, "from"),
        ({"to": "soon"}, "to"),
        ({"from": "2026-12-07T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "to"),
    ],
)
def test_a_bad_report_query_is_a_400_naming_the_field(
    api: Api, admin_token: str, params: dict[str, str], field: str
) -> None:
    answer = api("GET", "admin/report", token=admin_token, params=params)
    assert answer.status == 400 and answer.error["field"] == field


# --- requests -----------------------------------------------------------------------------------------


def test_a_mentee_asks_for_onboarding_and_a_retry_with_the_key_is_the_same_request(
    api: Api, mint: Callable[..., str]
) -> None:
    token = mint(CAMILLE)
    first = api("POST", "requests", token=token, body={**ASK, "sessions": 3}, headers={"Idempotency-Key": "k-1"})
    assert first.status == 201
    sessions = first.json["sessions"]
    # Nobody has sessions yet: Ben, Dora, Kiran by UPN, each on a new day (Kiran on Wednesday: 08:00Z
    # is 13:30 in India, inside his hours).
    assert [(s["mentor"], s["start"]) for s in sessions] == [
        (BEN, "2026-11-30T08:45:00Z"),
        ("dora@contoso.example", "2026-12-01T10:00:00Z"),
        ("kiran@contoso.example", "2026-12-02T08:00:00Z"),
    ]
    assert first.json["request"]["mentee"] == CAMILLE  # left out of the body: the caller
    assert first.json["unmet"] == []
    assert all(s["requestId"] == first.json["request"]["id"] for s in sessions)

    again = api("POST", "requests", token=token, body={**ASK, "sessions": 3}, headers={"Idempotency-Key": "k-1"})
    assert again.status == 200 and again.json == first.json

    other = api("POST", "requests", token=token, body={**ASK, "sessions": 2}, headers={"Idempotency-Key": "k-1"})
    assert other.status == 409 and other.error["field"] == "Idempotency-Key"


def test_asking_for_someone_else_needs_the_admin_role(api: Api, mint: Callable[..., str], admin_token: str) -> None:
    refused = api("POST", "requests", token=mint(CAMILLE), body={**ASK, "mentee": BEN})
    assert refused.status == 403
    on_behalf = api("POST", "requests", token=admin_token, body={**ASK, "mentee": CAMILLE, "mentors": [BEN]})
    assert on_behalf.status == 201
    assert [s["mentor"] for s in on_behalf.json["sessions"]] == [BEN]


def test_an_app_token_without_the_admin_role_cannot_ask(api: Api, emulator: RunningEmulator) -> None:
    with httpx.Client(verify=ssl.create_default_context(cafile=emulator.ca_cert_path), trust_env=False) as client:
        token = client.post(
            emulator.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": "micromentor-local",
                "client_secret": "local-secret",
                "scope": "api://micromentor/.default",
            },
        ).json()["access_token"]
    assert api("POST", "requests", token=token, body={**ASK, "mentee": CAMILLE}).status == 403


def test_requests_need_a_token(api: Api) -> None:
    answer = api("POST", "requests", body={**ASK, "mentee": CAMILLE})
    assert answer.status == 401 and answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**ASK, "sessions": 4}, 400, "sessions"),
        ({**ASK, "sessions": "3"}, 400, "sessions"),
        ({**ASK, "mentors": ["nobody@contoso.example"]}, 404, "mentors[0]"),
        ({**ASK, "mentors": [PAT], "skill": "sales"}, 422, "mentors"),
        ({**ASK, "priority": "high"}, 400, "priority"),
        ({"skill": "python"}, 400, "question"),
        ({**ASK, "question": "x" * 5000}, 400, "question"),
    ],
)
def test_bad_requests_are_4xx_naming_the_field(
    api: Api, mint: Callable[..., str], body: dict[str, Any], status: int, field: str
) -> None:
    answer = api("POST", "requests", token=mint(CAMILLE), body=body)
    assert answer.status == status
    assert answer.error["field"] == field


def test_no_slot_is_a_422_with_the_reasons_and_the_request(api: Api, mint: Callable[..., str]) -> None:
    answer = api("POST", "requests", token=mint(CAMILLE), body={**ASK, "skill": "sales", "mentors": [PAT]})
    assert answer.status == 422
    assert answer.json["unmet"] == [{"mentor": PAT, "reason": "no overlap of working hours"}]
    assert answer.json["request"]["mentee"] == CAMILLE and answer.json["request"]["id"]


@pytest.mark.parametrize("raw", [b"", b"{", b"null", b'"text"', b"\x00\x01", b"x" * (MAX_BODY_BYTES + 1)])
def test_malformed_request_bodies_are_400(api: Api, mint: Callable[..., str], raw: bytes) -> None:
    answer = api("POST", "requests", token=mint(CAMILLE), raw=raw)
    assert answer.status == 400 and answer.error["field"] == "body"


def test_a_missing_catalogue_file_is_a_server_error_not_the_callers(
    emulator: RunningEmulator, tmp_path: Path, mint: Callable[..., str]
) -> None:
    api = Api(emulator, f"sqlite:///{tmp_path / 'mm.db'}", str(tmp_path / "no-such-catalogue.json"))
    answer = api("POST", "requests", token=mint(CAMILLE), body=ASK)
    # The operator's mistake: 503 "misconfigured" (like every `Misconfigured`), the path kept out of the answer.
    assert answer.status == 503 and answer.error["code"] == "misconfigured"
    assert "no-such-catalogue" not in answer.text and answer.headers["Retry-After"] == "300"
