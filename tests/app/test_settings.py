"""Settings from the environment: defaults for local use, refusals that name the setting."""

from __future__ import annotations

import pytest

from core.errors import InputError
from micromentor.settings import load_settings

REAL_TENANT = {
    "MICROMENTOR_TENANT_ID": "11111111-2222-3333-4444-555555555555",
    "MICROMENTOR_CLIENT_ID": "app",
    "MICROMENTOR_CLIENT_SECRET": "s",
}


def test_local_defaults_without_a_tenant() -> None:
    settings = load_settings({})
    assert settings.graph is None
    assert settings.store_url == "sqlite:///.micromentor/micromentor.db"
    assert settings.api_audience == "api://micromentor"


def test_a_real_tenant_needs_its_own_secrets() -> None:
    with pytest.raises(InputError) as missing:
        load_settings(REAL_TENANT)
    assert missing.value.field == "MICROMENTOR_LINK_SECRET"
    with pytest.raises(InputError) as short:
        load_settings({**REAL_TENANT, "MICROMENTOR_LINK_SECRET": "short"})
    assert short.value.field == "MICROMENTOR_LINK_SECRET"
    with pytest.raises(InputError) as state:
        load_settings({**REAL_TENANT, "MICROMENTOR_LINK_SECRET": "x" * 40})
    assert state.value.field == "MICROMENTOR_NOTIFICATION_STATE"
    secrets = {"MICROMENTOR_LINK_SECRET": "x" * 40, "MICROMENTOR_NOTIFICATION_STATE": "y" * 20}
    with pytest.raises(InputError) as plain_http:
        load_settings({**REAL_TENANT, **secrets, "MICROMENTOR_PUBLIC_URL": "http://mentoring.contoso.com"})
    assert plain_http.value.field == "MICROMENTOR_PUBLIC_URL"
    settings = load_settings({**REAL_TENANT, **secrets, "MICROMENTOR_PUBLIC_URL": "https://mm.azurewebsites.net"})
    assert settings.graph is not None and settings.graph.authority_url.startswith("https://login.microsoftonline.com/")


def test_the_doctor_loads_a_real_tenant_on_local_defaults_to_name_them() -> None:
    from services.doctor import check_local_defaults

    settings = load_settings(REAL_TENANT, refuse_local_defaults=False)
    assert settings.graph is not None and settings.graph.is_entra_id
    check = check_local_defaults(settings, real_tenant=settings.graph.is_entra_id)
    assert check.status == "fail" and "MICROMENTOR_LINK_SECRET and MICROMENTOR_NOTIFICATION_STATE" in check.detail


def test_an_emulator_tenant_keeps_the_local_defaults() -> None:
    settings = load_settings({**REAL_TENANT, "MICROMENTOR_AUTHORITY": "https://127.0.0.1:9999/tenant"})
    assert settings.link_secret == "change-me"


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"MICROMENTOR_GRAPH_ATTEMPTS": "many"}, "MICROMENTOR_GRAPH_ATTEMPTS"),
        ({"MICROMENTOR_GRAPH_MAILBOX_CONCURRENCY": "0"}, "MICROMENTOR_GRAPH_MAILBOX_CONCURRENCY"),
        ({"MICROMENTOR_GRAPH_MEETING_CONCURRENCY": "0"}, "MICROMENTOR_GRAPH_MEETING_CONCURRENCY"),
        ({"MICROMENTOR_GRAPH_MEETING_CONCURRENCY": "four"}, "MICROMENTOR_GRAPH_MEETING_CONCURRENCY"),
        ({"MICROMENTOR_GRAPH_MAILBOX_CACHE_SECONDS": "0"}, "MICROMENTOR_GRAPH_MAILBOX_CACHE_SECONDS"),
        ({"MICROMENTOR_GRAPH_MAILBOX_CACHE_SECONDS": "an hour"}, "MICROMENTOR_GRAPH_MAILBOX_CACHE_SECONDS"),
        ({"MICROMENTOR_POLICY_FILE": "/nonexistent.json"}, "MICROMENTOR_POLICY_FILE"),
        ({"MICROMENTOR_NOTIFICATION_STATE": "z" * 129}, "MICROMENTOR_NOTIFICATION_STATE"),
    ],
)
def test_bad_settings_name_themselves(env: dict[str, str], field: str) -> None:
    with pytest.raises(InputError) as bad:
        load_settings({**REAL_TENANT, "MICROMENTOR_AUTHORITY": "https://127.0.0.1:1/t", **env})
    assert bad.value.field == field


@pytest.mark.parametrize(
    "authority",
    [
        None,
        "https://login.microsoftonline.com/contoso.example",
        "https://login.microsoft.com/contoso.example",
        "https://login.chinacloudapi.cn/contoso.example",
        "https://login.microsoftonline.us/contoso.example",
        "https://login.partner.microsoftonline.cn/contoso.example",
        "https://sts.contoso.example/adfs",
        "https://127.0.0.1.nip.io/tenant",
        "https://localhost.evil.example/tenant",
    ],
)
def test_every_authority_but_loopback_needs_its_own_secrets(authority: str | None) -> None:
    env = dict(REAL_TENANT) if authority is None else {**REAL_TENANT, "MICROMENTOR_AUTHORITY": authority}
    with pytest.raises(InputError) as missing:
        load_settings(env)
    assert missing.value.field == "MICROMENTOR_LINK_SECRET"
    with pytest.raises(InputError) as state:
        load_settings({**env, "MICROMENTOR_LINK_SECRET": "x" * 40})
    assert state.value.field == "MICROMENTOR_NOTIFICATION_STATE"


@pytest.mark.parametrize(
    "authority", ["https://127.0.0.1:9999/t", "https://127.8.9.10:1/t", "https://[::1]:9999/t", "https://localhost:1/t"]
)
def test_the_emulator_on_loopback_keeps_the_local_defaults(authority: str) -> None:
    assert load_settings({**REAL_TENANT, "MICROMENTOR_AUTHORITY": authority}).link_secret == "change-me"


def test_an_unresolved_key_vault_reference_is_refused_by_name() -> None:
    reference = "@Microsoft.KeyVault(VaultName=kv-mm-abc;SecretName=link-secret)"
    with pytest.raises(InputError) as unresolved:
        load_settings({**REAL_TENANT, "MICROMENTOR_LINK_SECRET": reference})
    assert unresolved.value.field == "MICROMENTOR_LINK_SECRET" and "Key Vault" in unresolved.value.message


def test_a_misconfigured_app_answers_503_without_naming_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import azure.functions as func

    from functions.health import health
    from micromentor.bootstrap import configure

    for name, value in REAL_TENANT.items():
        monkeypatch.setenv(name, value)  # a real tenant with the local link secret: refused at start
    monkeypatch.delenv("MICROMENTOR_LINK_SECRET", raising=False)
    configure(None)
    try:
        request = func.HttpRequest(method="GET", url="/api/health", body=b"")
        answer = asyncio.run(health.build().get_user_function()(request))
    finally:
        configure(None)
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert b"MICROMENTOR_LINK_SECRET" not in answer.get_body()  # a caller cannot fix it: the log says


def test_the_sent_items_settle_period_is_configurable_and_checked() -> None:
    assert load_settings({}).mail_settle_minutes == 30
    assert load_settings({"MICROMENTOR_MAIL_SETTLE_MINUTES": "5"}).mail_settle_minutes == 5
    for bad in ("-1", "1441", "soon"):
        with pytest.raises(InputError) as refused:
            load_settings({"MICROMENTOR_MAIL_SETTLE_MINUTES": bad})
        assert refused.value.field == "MICROMENTOR_MAIL_SETTLE_MINUTES"
