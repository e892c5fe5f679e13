"""The token endpoint through real msal, JWKS validation with PyJWT, and bearer checks on /v1.0."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from emulator import RunningEmulator

from .conftest import DANA, TENANT, app_token, assert_graph_error, verify


def session(emu: RunningEmulator) -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    http.verify = emu.ca_cert_path
    return http


def test_msal_client_credentials_gets_a_token(emu: RunningEmulator) -> None:
    app = msal.ConfidentialClientApplication(
        "micromentor-local",
        client_credential="local-secret",
        authority=emu.authority,
        instance_discovery=False,
        http_client=session(emu),
    )
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert result.get("token_type") == "Bearer", result
    assert isinstance(result["access_token"], str)
    assert result["expires_in"] == 3600


def test_msal_with_a_wrong_secret_gets_invalid_client(emu: RunningEmulator) -> None:
    app = msal.ConfidentialClientApplication(
        "micromentor-local",
        client_credential="nope",
        authority=emu.authority,
        instance_discovery=False,
        http_client=session(emu),
    )
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" not in result
    assert result["error"] == "invalid_client"
    assert 7000215 in result["error_codes"]


def test_unknown_client_is_refused_in_aad_error_json(emu: RunningEmulator) -> None:
    with httpx.Client(verify=verify(emu), trust_env=False) as client:
        response = client.post(
            emu.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": "who",
                "client_secret": "x",
                "scope": "https://graph.microsoft.com/.default",
            },
        )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "unauthorized_client"
    assert body["error_codes"] == [700016]
    assert set(body) >= {"error_description", "timestamp", "trace_id", "correlation_id", "error_uri"}


def test_app_token_validates_against_jwks_with_pyjwt(emu: RunningEmulator) -> None:
    token = app_token(emu)
    with httpx.Client(verify=verify(emu), trust_env=False) as client:
        config = client.get(f"{emu.authority}/v2.0/.well-known/openid-configuration").json()
        keys = client.get(config["jwks_uri"]).json()["keys"]
    assert config["issuer"] == f"{emu.authority}/v2.0"
    assert config["token_endpoint"] == emu.token_url
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [k for k in keys if k["kid"] == kid]
    key = jwt.PyJWK(jwk).key
    claims = jwt.decode(
        token, key, algorithms=["RS256"], audience="https://graph.microsoft.com", issuer=config["issuer"]
    )
    assert claims["tid"] == TENANT
    assert claims["appid"] == "micromentor-local"
    assert "Calendars.ReadWrite" in claims["roles"]
    assert claims["exp"] > claims["iat"] >= claims["nbf"] - 1


def _certificate_assertion(client_id: str, audience: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, client_id)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    thumbprint = cert.fingerprint(hashes.SHA1()).hex()
    return pem_key, thumbprint


def test_msal_certificate_credential_is_accepted_for_a_known_client(emu: RunningEmulator) -> None:
    pem_key, thumbprint = _certificate_assertion("cert-app", emu.token_url)
    app = msal.ConfidentialClientApplication(
        "cert-app",
        client_credential={"private_key": pem_key, "thumbprint": thumbprint},
        authority=emu.authority,
        instance_discovery=False,
        http_client=session(emu),
    )
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["Calendars.Read"]


def test_graph_refuses_requests_without_a_valid_token(emu: RunningEmulator) -> None:
    with httpx.Client(base_url=emu.graph_url, verify=verify(emu), trust_env=False) as client:
        missing = client.get(f"/users/{DANA}")
        assert_graph_error(missing, 401, "InvalidAuthenticationToken")
        assert "WWW-Authenticate" in missing.headers
        forged = jwt.encode(
            {"aud": "https://graph.microsoft.com", "exp": time.time() + 60},
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            algorithm="RS256",
        )
        assert_graph_error(
            client.get(f"/users/{DANA}", headers={"Authorization": f"Bearer {forged}"}),
            401,
            "InvalidAuthenticationToken",
        )


def test_tokens_minted_for_another_audience_are_refused_by_graph(emu: RunningEmulator, admin: httpx.Client) -> None:
    user_token = admin.post("/token", json={"upn": DANA, "roles": ["Mentor"]}).json()["access_token"]
    claims = jwt.decode(user_token, options={"verify_signature": False})
    assert claims["aud"] == "api://micromentor"
    assert claims["upn"] == DANA and claims["preferred_username"] == DANA and claims["name"] == "Dana Swope"
    assert claims["roles"] == ["Mentor"] and claims["tid"] == TENANT and claims["oid"]
    with httpx.Client(base_url=emu.graph_url, verify=verify(emu), trust_env=False) as client:
        response = client.get(f"/users/{DANA}", headers={"Authorization": f"Bearer {user_token}"})
    assert_graph_error(response, 401, "InvalidAuthenticationToken")


def test_on_behalf_of_exchanges_a_user_token_for_a_graph_token_that_serves_me(
    emu: RunningEmulator, admin: httpx.Client
) -> None:
    user_token = admin.post("/token", json={"upn": DANA}).json()["access_token"]
    app = msal.ConfidentialClientApplication(
        "micromentor-local",
        client_credential="local-secret",
        authority=emu.authority,
        instance_discovery=False,
        http_client=session(emu),
    )
    result: dict[str, Any] = app.acquire_token_on_behalf_of(user_token, scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["upn"] == DANA and claims["aud"] == "https://graph.microsoft.com" and "scp" in claims
    with httpx.Client(base_url=emu.graph_url, verify=verify(emu), trust_env=False) as client:
        me = client.get("/me", headers={"Authorization": f"Bearer {result['access_token']}"})
    assert me.status_code == 200 and me.json()["userPrincipalName"] == DANA


def test_token_lifetime_is_configurable_and_expired_tokens_get_401(emu: RunningEmulator, admin: httpx.Client) -> None:
    admin.post("/config", json={"tokenLifetimeSeconds": 1}).raise_for_status()
    try:
        token = app_token(emu)
    finally:
        admin.post("/config", json={"tokenLifetimeSeconds": 3600}).raise_for_status()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1
    time.sleep(1.1)  # exp = whole-second iat + 1, so the token is now past its expiry
    with httpx.Client(base_url=emu.graph_url, verify=verify(emu), trust_env=False) as client:
        response = client.get(f"/users/{DANA}", headers={"Authorization": f"Bearer {token}"})
    error = assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert "expired" in error["message"]


def test_unknown_tenant_in_the_authority_is_aad_90002(emu: RunningEmulator) -> None:
    base = emu.authority.rsplit("/", 1)[0]
    with httpx.Client(verify=verify(emu), trust_env=False) as client:
        response = client.get(f"{base}/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400 and response.json()["error_codes"] == [90002]
