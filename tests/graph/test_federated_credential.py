"""Graph without a secret: the app registration trusts a managed identity (a federated identity credential),
whose token msal sends as the client assertion. The emulator's token endpoint takes an assertion whose
iss and sub are the app's client id; here a stand-in for the managed identity returns one."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import jwt
import pytest

from graph.auth import FEDERATION_SCOPE, managed_identity_assertion
from graph.config import GraphSettings
from graph.errors import GraphAuthError
from graph.gateway import GraphGateway
from micromentor.settings import load_settings
from tests.conftest import with_graph

MI_CLIENT_ID = "0b5a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"


def assertion_for(client_id: str) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": "api://AzureADTokenExchange", "iat": now, "exp": now + 600}
    return jwt.encode(claims, "managed-identity-stand-in-key-32-bytes!", algorithm="HS256", headers={"kid": "mi"})


@pytest.fixture
def federated(graph_settings: GraphSettings, monkeypatch: pytest.MonkeyPatch) -> tuple[GraphSettings, list[str]]:
    asked: list[str] = []

    def stand_in(client_id: str) -> str:
        asked.append(client_id)
        return assertion_for(graph_settings.client_id)

    monkeypatch.setattr("graph.auth.managed_identity_assertion", stand_in)
    return replace(graph_settings, client_secret=None, federated_mi_client_id=MI_CLIENT_ID), asked


def test_a_graph_call_with_the_managed_identitys_assertion_and_no_secret(
    federated: tuple[GraphSettings, list[str]],
) -> None:
    settings, asked = federated

    async def body(graph: GraphGateway) -> Any:
        user = await graph.get_user("ana@contoso.example")
        return user, await graph.token()

    user, token = with_graph(settings, body)
    assert user.upn == "ana@contoso.example"
    assert jwt.decode(token, options={"verify_signature": False})["appid"] == settings.client_id
    assert asked == [MI_CLIENT_ID]  # asked for the configured identity's token, once (msal caches the result)


def test_an_assertion_for_another_app_is_refused(
    graph_settings: GraphSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graph.auth.managed_identity_assertion", lambda client_id: assertion_for("someone-else"))
    settings = replace(graph_settings, client_secret=None, federated_mi_client_id=MI_CLIENT_ID)

    async def body(graph: GraphGateway) -> Any:
        return await graph.token()

    with pytest.raises(GraphAuthError, match="700023"):
        with_graph(settings, body)


def test_the_assertion_is_the_managed_identitys_token_for_the_exchange_audience(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str | None, tuple[str, ...]]] = []

    class Credential:
        def __init__(self, *, client_id: str | None = None) -> None:
            self.client_id = client_id

        def get_token(self, *scopes: str) -> Any:
            seen.append((self.client_id, scopes))
            return type("Token", (), {"token": "mi-token"})()

    monkeypatch.setattr("azure.identity.ManagedIdentityCredential", Credential)
    from graph import auth

    auth._managed_identity.cache_clear()
    try:
        assert managed_identity_assertion(MI_CLIENT_ID) == "mi-token"
    finally:
        auth._managed_identity.cache_clear()
    assert seen == [(MI_CLIENT_ID, (FEDERATION_SCOPE,))]
    assert FEDERATION_SCOPE == "api://AzureADTokenExchange/.default"


def test_the_setting_names_the_identity() -> None:
    settings = load_settings(
        {
            "MICROMENTOR_TENANT_ID": "t",
            "MICROMENTOR_CLIENT_ID": "app",
            "MICROMENTOR_AUTHORITY": "https://127.0.0.1:1/t",
            "MICROMENTOR_FEDERATED_MI_CLIENT_ID": MI_CLIENT_ID,
        }
    )
    assert settings.graph is not None and settings.graph.federated_mi_client_id == MI_CLIENT_ID
    assert settings.graph.client_secret is None
