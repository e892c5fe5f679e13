"""On-behalf-of against the emulator's token endpoint: a user's token for this API is exchanged for a
Graph token as that user, which the emulator's Graph then serves `/me` with."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import replace
from typing import Any

import httpx
import jwt
import pytest

from graph.config import GraphSettings
from identity import OnBehalfOf, OnBehalfOfError, Unauthorized
from tests.conftest import Admin

GRAPH_CALENDARS = "https://graph.microsoft.com/Calendars.ReadWrite"


def user_token(admin: Admin, **body: Any) -> str:
    return str(admin.post("/token", {"upn": "ravi@contoso.example", **body})["access_token"])


def test_a_user_token_is_exchanged_for_a_graph_token_as_that_user(
    graph_settings: GraphSettings, admin: Admin, emulator: Any
) -> None:
    obo = OnBehalfOf(graph_settings)
    graph_token = asyncio.run(obo.token_for(user_token(admin), [GRAPH_CALENDARS]))
    claims = jwt.decode(graph_token, options={"verify_signature": False})
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["upn"] == "ravi@contoso.example"
    assert claims["scp"] == "Calendars.ReadWrite"
    assert claims["idtyp"] == "user"
    with httpx.Client(verify=ssl.create_default_context(cafile=emulator.ca_cert_path), trust_env=False) as client:
        me = client.get(f"{emulator.graph_url}/me", headers={"Authorization": f"Bearer {graph_token}"})
    assert me.status_code == 200 and me.json()["userPrincipalName"] == "ravi@contoso.example"


def test_an_expired_user_token_means_sign_in_again(graph_settings: GraphSettings, admin: Admin) -> None:
    expired = user_token(admin, expiresInSeconds=-60)
    with pytest.raises(Unauthorized) as caught:
        asyncio.run(OnBehalfOf(graph_settings).token_for(expired, [GRAPH_CALENDARS]))
    assert caught.value.message.startswith("sign in again: AADSTS50013")


def test_a_wrong_app_secret_is_a_server_side_error(graph_settings: GraphSettings, admin: Admin) -> None:
    wrong = replace(graph_settings, client_secret="not-the-secret")
    with pytest.raises(OnBehalfOfError) as caught:
        asyncio.run(OnBehalfOf(wrong).token_for(user_token(admin), [GRAPH_CALENDARS]))
    assert "invalid_client" in caught.value.message


def test_no_assertion_is_refused_before_any_call(graph_settings: GraphSettings) -> None:
    with pytest.raises(Unauthorized):
        asyncio.run(OnBehalfOf(graph_settings).token_for("", [GRAPH_CALENDARS]))
