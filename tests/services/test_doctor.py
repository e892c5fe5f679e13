"""The doctor against the emulator: each misconfiguration switched on, and the doctor names it with its fix."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from emulator import start_emulator
from emulator.identity import DEFAULT_APP_ROLES
from graph.config import GraphSettings
from micromentor.tenant import emulator_settings
from services.doctor import (
    PROBE_CHECKPOINT,
    Check,
    DoctorInput,
    check_local_defaults,
    check_notification_url,
    check_queue,
    explain_token_error,
    failed,
    format_text,
    run_doctor,
    token_roles,
    validation_handshake,
)
from store import open_store
from store.base import Store
from store.queues import InProcessQueues
from tests.conftest import TENANT_SEED, Admin, LiveApi
from tests.services.test_sync import NINE, book_at

MAYA, RAVI, ANA = "maya@contoso.example", "ravi@contoso.example", "ana@contoso.example"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
ALL_ROLES = DEFAULT_APP_ROLES  # what the default app holds
SECRET = "s" * 40


@dataclass(frozen=True)
class FakeSettings:
    public_url: str = "http://127.0.0.1:7071"
    link_secret: str = "change-me"
    notification_state: str = "micromentor-local-state"


@dataclass
class Tenant:
    graph: GraphSettings
    admin: Admin

    def patch_access(self, body: dict[str, Any]) -> None:
        self.admin.client.patch(f"{self.admin.url}/access", json=body).raise_for_status()

    def put_roles(self, roles: list[str]) -> None:
        self.admin.client.put(
            f"{self.admin.url}/apps/micromentor-local/roles", json={"roles": roles}
        ).raise_for_status()


@pytest.fixture
def tenant() -> Iterator[Tenant]:
    """A strict tenant: the app is declared, so nothing is granted the seed does not say; the Teams
    policy covers Maya and Ravi."""
    seed = json.loads(TENANT_SEED.read_text(encoding="utf-8"))
    seed["apps"] = [{"clientId": "micromentor-local", "clientSecret": "local-secret", "roles": ALL_ROLES}]
    seed["emulator"] = {"teamsAccessPolicy": {"users": [MAYA, RAVI]}}
    running = start_emulator(seed)
    admin = Admin(running)
    try:
        yield Tenant(emulator_settings(running), admin)
    finally:
        admin.client.close()
        running.stop()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'mm.db'}")


def doctor(
    graph: GraphSettings | None,
    store: Store,
    *mentors: str,
    real_tenant: bool = False,
    settings: FakeSettings | None = None,
    **more: Any,
) -> list[Check]:
    given = DoctorInput(
        graph=graph,
        settings=settings or FakeSettings(),
        open_store=lambda: store,
        now=NOW,
        real_tenant=real_tenant,
        mentors=mentors,
        **more,
    )
    return asyncio.run(run_doctor(given))


def named(checks: list[Check], name: str) -> list[Check]:
    return [c for c in checks if c.name == name]


def statuses(checks: list[Check]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for c in checks:
        found.setdefault(c.name, set()).add(c.status)
    return found


# --- all good --------------------------------------------------------------------------------------


def test_a_ready_tenant_has_no_failure(tenant: Tenant, store: Store) -> None:
    checks = doctor(tenant.graph, store, MAYA, RAVI)
    assert not failed(checks), format_text(checks)
    assert [c.name for c in checks] == [
        "token",
        "app-roles",
        "mailbox",
        "teams-access-policy",
        "mailbox",
        "teams-access-policy",
        "notification-url",
        "store",
        "local-defaults",
    ]
    assert {c.status for c in checks if c.name not in ("notification-url", "local-defaults")} == {"ok"}
    assert [c.detail.split(":")[0] for c in named(checks, "teams-access-policy")] == [MAYA, RAVI]
    assert store.get_checkpoint(PROBE_CHECKPOINT)


# --- 1. the token ----------------------------------------------------------------------------------


def test_a_wrong_client_secret_names_the_secret(tenant: Tenant, store: Store) -> None:
    checks = doctor(replace(tenant.graph, client_secret="not-the-secret"), store, MAYA)
    (token,) = named(checks, "token")
    assert token.status == "fail"
    assert "the client secret (MICROMENTOR_CLIENT_SECRET) was refused" in token.detail
    assert "invalid_client: AADSTS7000215" in token.detail and "Trace ID" not in token.detail
    assert token.fix is not None and "MICROMENTOR_CLIENT_SECRET" in token.fix
    # Nothing that needs a token is claimed to work.
    assert not named(checks, "app-roles") and not named(checks, "teams-access-policy")
    (mentors,) = named(checks, "mentors")
    assert mentors.status == "warn" and "not checked" in mentors.detail


def test_an_unknown_client_id_and_a_wrong_tenant_are_named(tenant: Tenant, store: Store) -> None:
    (unknown,) = named(doctor(replace(tenant.graph, client_id="someone-else"), store), "token")
    assert unknown.status == "fail" and "client id someone-else is unknown" in unknown.detail
    assert unknown.fix is not None and "MICROMENTOR_CLIENT_ID" in unknown.fix

    wrong = replace(tenant.graph, tenant_id="99999999-0000-0000-0000-000000000000")
    wrong = replace(wrong, authority=tenant.graph.authority_url.rsplit("/", 1)[0] + "/" + wrong.tenant_id)
    (token,) = named(doctor(wrong, store), "token")
    assert token.status == "fail" and "the tenant 99999999-0000-0000-0000-000000000000 is unknown" in token.detail
    assert token.fix is not None and "MICROMENTOR_TENANT_ID" in token.fix


def test_token_errors_are_explained_by_their_codes() -> None:
    secret = GraphSettings(tenant_id="t", client_id="c", client_secret="x")
    cert = GraphSettings(tenant_id="t", client_id="c", certificate_path="/k.pem")
    assert "client secret" in explain_token_error(secret, "invalid_client", "AADSTS7000215: Invalid client secret")[0]
    assert "certificate /k.pem" in explain_token_error(cert, "invalid_client", "AADSTS700027: bad signature")[0]
    assert "client id c is unknown" in explain_token_error(secret, "unauthorized_client", "AADSTS700016: …")[0]
    assert "tenant t is unknown" in explain_token_error(secret, "invalid_request", "AADSTS90002: Tenant not found")[0]
    assert "no credential" in explain_token_error(secret, None, "no client secret or certificate configured")[0]


def test_no_graph_configured_fails_the_token_check(store: Store) -> None:
    checks = doctor(None, store, MAYA)
    assert named(checks, "token")[0].status == "fail"
    assert "MICROMENTOR_TENANT_ID" in (named(checks, "token")[0].fix or "")


# --- 2. app roles ----------------------------------------------------------------------------------


def test_a_withheld_role_is_named_with_what_it_breaks(tenant: Tenant, store: Store) -> None:
    tenant.put_roles([r for r in ALL_ROLES if r not in ("OnlineMeetingArtifact.Read.All", "MailboxSettings.Read")])
    checks = doctor(tenant.graph, store, MAYA)  # a fresh gateway: msal caches tokens per app object
    roles = named(checks, "app-roles")
    assert [c.status for c in roles] == ["fail", "fail"]
    assert roles[0].detail.startswith("MailboxSettings.Read or MailboxSettings.ReadWrite missing: mailbox time zones")
    assert roles[1].detail.startswith("OnlineMeetingArtifact.Read.All missing: attendance reports")
    assert all("admin consent" in (c.fix or "") for c in roles)
    (mailbox,) = named(checks, "mailbox")  # the probe itself is refused too, and says which role
    assert mailbox.status == "fail" and "MailboxSettings.Read" in mailbox.detail


def test_a_withheld_online_meetings_role_is_not_taken_for_a_missing_policy(tenant: Tenant, store: Store) -> None:
    tenant.put_roles([r for r in ALL_ROLES if not r.startswith("OnlineMeetings.")])
    checks = doctor(tenant.graph, store, MAYA)
    assert "OnlineMeetings.Read.All or OnlineMeetings.ReadWrite.All missing" in named(checks, "app-roles")[0].detail
    (policy,) = named(checks, "teams-access-policy")
    assert policy.status == "fail" and "Authorization_RequestDenied" in policy.detail
    assert "OnlineMeetings.Read.All" in (policy.fix or "") and "Grant-Cs" not in (policy.fix or "")


def test_without_user_read_all_the_policy_is_not_probed_by_upn(tenant: Tenant, store: Store) -> None:
    tenant.put_roles([r for r in ALL_ROLES if r != "User.Read.All"])
    checks = doctor(tenant.graph, store, MAYA)
    (policy,) = named(checks, "teams-access-policy")
    assert policy.status == "fail" and "object id could not be read" in policy.detail
    assert "User.Read.All" in (policy.fix or "") and "Grant-Cs" not in (policy.fix or "")


def test_roles_are_read_from_the_token_payload() -> None:
    def jwt(claims: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"e30.{body}.sig"

    assert token_roles(jwt({"roles": ["User.Read.All"]})) == frozenset({"User.Read.All"})
    assert token_roles(jwt({"scp": "x"})) == frozenset()
    assert token_roles("opaque") is None


# --- 3 and 4. mentors --------------------------------------------------------------------------------


def test_a_missing_access_policy_for_one_mentor_is_named_with_the_grant(tenant: Tenant, store: Store) -> None:
    tenant.patch_access({"teamsAccessPolicy": {"users": [MAYA]}})
    checks = doctor(tenant.graph, store, MAYA, RAVI)
    maya, ravi = named(checks, "teams-access-policy")
    assert maya.status == "ok"
    assert ravi.status == "fail"
    assert ravi.detail == f"{RAVI}: No application access policy found for this app."
    assert ravi.fix is not None
    assert ravi.fix.startswith(f"Grant-CsApplicationAccessPolicy -PolicyName micromentor -Identity {RAVI} (or -Global)")
    assert named(checks, "app-roles")[0].status == "ok"  # the roles are fine: only the policy is missing


def test_an_unknown_mentor_fails_its_mailbox_check(tenant: Tenant, store: Store) -> None:
    checks = doctor(tenant.graph, store, "nobody@contoso.example")
    (mailbox,) = named(checks, "mailbox")
    assert mailbox.status == "fail" and "nobody@contoso.example: no such user" in mailbox.detail


def test_no_mentor_is_a_warning(tenant: Tenant, store: Store) -> None:
    (mentors,) = named(doctor(tenant.graph, store), "mentors")
    assert mentors.status == "warn" and mentors.detail.startswith("no mentor was checked")


def test_mentors_come_from_the_file_and_the_store_too(tenant: Tenant, store: Store, tmp_path: Path) -> None:
    book_at(tenant.graph, store, NINE)  # Maya's session
    catalogue = tmp_path / "mentors.json"
    catalogue.write_text(json.dumps([{"upn": "Ana@contoso.example", "skills": ["go"]}]), encoding="utf-8")
    checks = doctor(tenant.graph, store, RAVI, mentors_file=str(catalogue))
    assert [c.detail.split(":")[0] for c in named(checks, "mailbox")] == [RAVI, ANA, MAYA]
    # Ana is not under the seed's Teams policy (Maya and Ravi are).
    assert [c.status for c in named(checks, "teams-access-policy")] == ["ok", "fail", "ok"]

    catalogue.write_text("{}", encoding="utf-8")
    (bad,) = named(doctor(tenant.graph, store, RAVI, mentors_file=str(catalogue)), "mentors-file")
    assert bad.status == "fail" and "expected a JSON list" in bad.detail


# --- 5. the notification URL -------------------------------------------------------------------------


def test_an_http_public_url_warns_against_the_emulator_and_fails_against_a_real_tenant(
    tenant: Tenant, store: Store
) -> None:
    (emulated,) = named(doctor(tenant.graph, store, MAYA), "notification-url")
    assert emulated.status == "warn" and "not https" in emulated.detail and "sync still polls" in emulated.detail
    assert emulated.fix is not None and "MICROMENTOR_PUBLIC_URL" in emulated.fix
    (real,) = named(doctor(tenant.graph, store, MAYA, real_tenant=True), "notification-url")
    assert real.status == "fail"


def test_an_https_url_must_answer_the_handshake() -> None:
    async def answers(url: str) -> str | None:
        assert url == "https://mm.example/api/notifications"
        return None

    async def silent(url: str) -> str | None:
        return "answered 404, not 200"

    ok = asyncio.run(check_notification_url("https://mm.example/", True, answers))
    assert ok.status == "ok"
    bad = asyncio.run(check_notification_url("https://mm.example", True, silent))
    assert bad.status == "fail" and "answered 404" in bad.detail


# --- 6. store and queue ------------------------------------------------------------------------------


class ReadOnlyStore:
    def set_checkpoint(self, name: str, value: str) -> None:
        raise PermissionError("attempt to write a readonly database")

    def get_checkpoint(self, name: str) -> str | None:
        return None

    def list_sessions(self, **_: Any) -> list[Any]:
        return []


def test_a_store_that_cannot_be_written_or_opened_fails(tenant: Tenant, store: Store) -> None:
    checks = doctor(tenant.graph, ReadOnlyStore(), MAYA)  # type: ignore[arg-type]
    (check,) = named(checks, "store")
    assert check.status == "fail" and "readonly database" in check.detail and "MICROMENTOR_STORE" in (check.fix or "")

    def cannot_open() -> Store:
        return open_store("sqlite:////proc/micromentor-doctor/mm.db")

    given = DoctorInput(graph=None, settings=FakeSettings(), open_store=cannot_open, now=NOW, real_tenant=False)
    (check,) = named(asyncio.run(run_doctor(given)), "store")
    assert check.status == "fail" and check.detail.startswith("cannot open")


def test_the_queue_is_probed_when_configured() -> None:
    assert asyncio.run(check_queue(InProcessQueues())).status == "ok"

    class Down(InProcessQueues):
        async def put(self, name: str, body: bytes) -> None:
            raise ConnectionError("connection refused")

    down = asyncio.run(check_queue(Down()))
    assert down.status == "fail" and "connection refused" in down.detail


# --- 7. local defaults -------------------------------------------------------------------------------


def test_local_defaults_fail_only_against_a_real_tenant() -> None:
    local = FakeSettings()
    real = check_local_defaults(local, real_tenant=True)
    assert real.status == "fail"
    assert "MICROMENTOR_LINK_SECRET and MICROMENTOR_NOTIFICATION_STATE" in real.detail
    assert check_local_defaults(local, real_tenant=False).status == "warn"
    short = check_local_defaults(FakeSettings(link_secret="short", notification_state="x" * 20), real_tenant=True)
    assert short.status == "fail" and "NOTIFICATION_STATE" not in short.detail
    set_ = FakeSettings(link_secret=SECRET, notification_state="y" * 40)
    assert check_local_defaults(set_, real_tenant=True).status == "ok"


def test_a_fake_real_tenant_fails_on_defaults_and_http_and_passes_when_set(tenant: Tenant, store: Store) -> None:
    checks = doctor(tenant.graph, store, MAYA, real_tenant=True)
    assert statuses(checks)["local-defaults"] == {"fail"} and statuses(checks)["notification-url"] == {"fail"}

    async def answers(url: str) -> str | None:
        return None

    ready = FakeSettings(public_url="https://mm.example", link_secret=SECRET, notification_state="y" * 40)
    checks = doctor(tenant.graph, store, MAYA, real_tenant=True, settings=ready, handshake=answers)
    assert not failed(checks), format_text(checks)
    assert {c.status for c in checks} == {"ok"}


def test_text_has_one_line_per_check_with_the_fix() -> None:
    text = format_text([Check("token", "ok", "fine"), Check("teams-access-policy", "fail", "m: no", "grant it")])
    assert text.splitlines() == [
        "ok    token                fine",
        "fail  teams-access-policy  m: no — fix: grant it",
    ]


def test_the_function_apps_notification_route_answers_the_real_handshake(live_api: LiveApi) -> None:
    base = live_api.runtime.settings.public_url
    assert asyncio.run(validation_handshake(f"{base}/api/notifications")) is None
    assert asyncio.run(validation_handshake(f"{base}/api/health")) == "answered 405, not 200"
    assert (asyncio.run(validation_handshake("http://127.0.0.1:9/api/notifications")) or "").startswith("no answer")


def test_the_live_function_app_serves_the_doctor_to_admins_only(live_api: LiveApi) -> None:
    assert live_api.client.get("/admin/doctor").status_code == 403  # Maya, a mentor, without Mentoring.Admin
    answer = live_api.client.get("/admin/doctor", headers=live_api.auth(MAYA, "Mentoring.Admin"))
    assert answer.status_code == 200
    checks = {c["name"]: c for c in answer.json()["checks"]}
    # The function app answers its own notification route's handshake; http on loopback still only warns.
    assert checks["notification-url"]["status"] == "warn"
    assert "answers the validation handshake" in checks["notification-url"]["detail"]
    assert checks["token"]["status"] == "ok" and checks["store"]["status"] == "ok"
    assert checks["mentors"]["status"] == "warn"  # no catalogue, no sessions yet
    many = ",".join(f"m{n}@contoso.example" for n in range(51))
    capped = live_api.client.get(
        "/admin/doctor", params={"mentor": many}, headers=live_api.auth(MAYA, "Mentoring.Admin")
    )
    assert capped.status_code == 400 and capped.json()["error"]["field"] == "mentor"


# --- the outcome messages' sender mailbox ----------------------------------------------------------


def sender_checks(tenant: Tenant, store: Store, sender: str = ANA) -> list[Check]:
    checks = named(doctor(tenant.graph, store, MAYA, mail_sender=sender), "mail-sender")
    assert tenant.admin.get("/mail")["value"] == []  # the probes send nothing
    return checks


def test_the_sender_mailbox_is_probed_without_sending(tenant: Tenant, store: Store) -> None:
    [check] = sender_checks(tenant, store)
    assert check.status == "ok" and check.detail.startswith(f"{ANA}: the app may send as it and read its Sent Items")
    # No sender configured: nothing to check (outcome messages are optional).
    assert named(doctor(tenant.graph, store, MAYA), "mail-sender") == []


def test_a_sender_that_is_not_a_user_fails(tenant: Tenant, store: Store) -> None:
    [check] = sender_checks(tenant, store, "nobody@contoso.example")
    assert check.status == "fail" and "no such user" in check.detail
    assert check.fix is not None and "MICROMENTOR_MAIL_SENDER" in check.fix


def test_a_missing_mail_permission_names_the_permission_and_the_rbac_role(tenant: Tenant, store: Store) -> None:
    tenant.put_roles([r for r in ALL_ROLES if r != "Mail.Read"])
    [check] = sender_checks(tenant, store)
    assert check.status == "fail" and check.detail.startswith("Sent Items: ")
    assert "Mail.Read is neither in the token nor assigned to the app" in check.detail
    assert check.fix is not None
    assert 'New-ManagementRoleAssignment -App micromentor-local -Role "Application Mail.Read"' in check.fix
    tenant.put_roles([r for r in ALL_ROLES if r != "Mail.Send"])
    [check] = sender_checks(tenant, store)
    assert check.status == "fail" and check.detail.startswith("sendMail: ")
    assert check.fix is not None and '"Application Mail.Send"' in check.fix


def test_a_sender_outside_the_rbac_scope_fails_both_ways_with_the_scope_fix(tenant: Tenant, store: Store) -> None:
    tenant.patch_access({"mailScope": [MAYA]})  # RBAC for Applications scoped to Maya's mailbox, not Ana's
    read, send = sender_checks(tenant, store)
    assert (read.status, send.status) == ("fail", "fail")
    assert read.detail.startswith("Sent Items: ") and send.detail.startswith("sendMail: ")
    for check, role in ((read, "Mail.Read"), (send, "Mail.Send")):
        assert f"the token carries {role}, so {ANA} is outside the scope" in check.detail
        assert check.fix is not None
        assert f"Test-ServicePrincipalAuthorization -Identity micromentor-local -Resource {ANA}" in check.fix
    tenant.patch_access({"mailScope": [MAYA, ANA]})
    assert [c.status for c in sender_checks(tenant, store)] == ["ok"]


def test_a_sender_outside_an_application_access_policy_names_the_policy(tenant: Tenant, store: Store) -> None:
    tenant.patch_access({"mailAccessPolicy": [MAYA]})
    checks = sender_checks(tenant, store)
    assert [c.status for c in checks] == ["fail", "fail"]
    assert all("application access policy" in c.detail for c in checks)
    assert all(c.fix is not None and f"add {ANA} to the policy's group" in c.fix for c in checks)
