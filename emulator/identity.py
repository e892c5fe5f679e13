"""The emulator's Entra ID: a signing key, OIDC discovery, JWKS, the v2.0 token endpoint
(client credentials with a secret or a certificate assertion, and on-behalf-of), and token checks."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.model import App

__all__ = ["DEFAULT_APP_ROLES", "DEFAULT_SCOPES", "GRAPH_AUDIENCES", "Identity", "TokenError"]

GRAPH_AUDIENCES = ("https://graph.microsoft.com", "https://graph.microsoft.com/",
                   "00000003-0000-0000-c000-000000000000")
DEFAULT_APP_ROLES = ["Calendars.ReadWrite", "MailboxSettings.Read", "User.Read.All",
                     "OnlineMeetings.ReadWrite.All", "OnlineMeetingArtifact.Read.All",
                     "Mail.Send", "Mail.Read"]  # the outcome messages' sender mailbox (README, RBAC-scoped)
DEFAULT_SCOPES = ["Calendars.ReadWrite", "MailboxSettings.Read", "User.Read",
                  "OnlineMeetings.ReadWrite", "OnlineMeetingArtifact.Read.All"]
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_OBO_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class TokenError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _aad_error(status: int, error: str, code: int, description: str) -> tuple[int, dict[str, Any]]:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return status, {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
        f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


class Identity:
    def __init__(self, tenant_id: str, apps: Mapping[str, App], lifetime: Callable[[], int]) -> None:
        self.tenant_id = tenant_id
        self.apps = apps
        self.lifetime = lifetime
        self.base_url = ""
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = self._key.public_key()
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = _b64(hashlib.sha256(der).digest()[:20])
        numbers = public.public_numbers()
        self._jwk = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": _b64(numbers.e.to_bytes(3, "big")),
            "alg": "RS256",
            "issuer": "",
        }
        self._public = public
        self._cache: dict[str, dict[str, Any]] = {}
        self._cache_lock = threading.Lock()

    # ---- discovery -------------------------------------------------------------------------------------

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def issuer(self) -> str:
        return f"{self.authority}/v2.0"

    def openid_configuration(self) -> dict[str, Any]:
        auth = self.authority
        return {
            "token_endpoint": f"{auth}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": f"{auth}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": self.issuer,
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{auth}/openid/userinfo",
            "authorization_endpoint": f"{auth}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{auth}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{auth}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                                 "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._jwk, issuer=self.issuer)]}

    # ---- minting ---------------------------------------------------------------------------------------

    def sign(self, claims: dict[str, Any], lifetime: int | None = None) -> tuple[str, int]:
        now = int(time.time())
        seconds = self.lifetime() if lifetime is None else lifetime
        body = {"iss": self.issuer, "tid": self.tenant_id, "iat": now, "nbf": now, "exp": now + seconds,
                "ver": "2.0", "uti": _b64(uuid.uuid4().bytes), **claims}
        body = {name: value for name, value in body.items() if value is not None}  # None: leave the claim out
        token = jwt.encode(body, self._key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})
        return token, seconds

    def app_token(self, app: App, audience: str) -> tuple[str, int]:
        roles = DEFAULT_APP_ROLES if app.roles is None else app.roles
        return self.sign({
            "aud": audience, "appid": app.client_id, "azp": app.client_id, "idtyp": "app",
            "oid": app.object_id, "sub": app.object_id, "roles": list(roles),
        })

    def user_token(self, user: Mapping[str, Any], audience: str, roles: list[str] | None, scopes: list[str] | None,
                   lifetime: int | None = None, client_id: str = "micromentor-local",
                   tenant_id: str | None = None,
                   extra_claims: Mapping[str, Any] | None = None) -> tuple[str, int]:
        claims: dict[str, Any] = {
            "aud": audience, "oid": user["id"], "sub": user["id"], "upn": user["upn"],
            "preferred_username": user["upn"], "name": user["name"], "azp": client_id, "appid": client_id,
            "idtyp": "user", "scp": " ".join(scopes if scopes is not None else DEFAULT_SCOPES),
        }
        if roles:
            claims["roles"] = list(roles)
        if tenant_id:
            claims["tid"] = tenant_id
        # Hostile shapes for tests (another oid beside someone's e-mail; no oid): None drops a claim.
        claims.update(extra_claims or {})
        return self.sign(claims, lifetime)

    # ---- checking --------------------------------------------------------------------------------------

    def validate(self, token: str, audiences: tuple[str, ...] | None = GRAPH_AUDIENCES) -> dict[str, Any]:
        with self._cache_lock:
            cached = self._cache.get(token)
        fresh = cached is not None and cached["exp"] > time.time()
        if cached is not None and fresh and (audiences is None or cached.get("aud") in audiences):
            return cached
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._public, algorithms=["RS256"], issuer=self.issuer,
                options={"verify_aud": False, "require": ["exp", "iat", "nbf"]}, leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("Lifetime validation failed, the token is expired.") from None
        except jwt.InvalidSignatureError:
            raise TokenError("IDX10511: Signature validation failed.") from None
        except jwt.InvalidIssuerError:
            raise TokenError("Access token validation failure. Invalid issuer.") from None
        except jwt.PyJWTError:
            raise TokenError("Access token validation failure.") from None
        if audiences is not None and claims.get("aud") not in audiences:
            raise TokenError("Access token validation failure. Invalid audience.")
        with self._cache_lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[token] = claims
        return claims

    # ---- the token endpoint ----------------------------------------------------------------------------

    def token_endpoint(self, form: Mapping[str, str], basic: tuple[str, str] | None,
                       find_user: Callable[[str], Mapping[str, Any] | None]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type", "")
        if grant not in ("client_credentials", _OBO_GRANT):
            return _aad_error(400, "unsupported_grant_type", 70003,
                              f"The app requested an unsupported grant type '{grant}'.")
        client_id = form.get("client_id") or (basic[0] if basic else "")
        if not client_id:
            return _aad_error(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'client_id'.")
        app = self.apps.get(client_id)
        if app is None:
            return _aad_error(400, "unauthorized_client", 700016,
                              f"Application with identifier '{client_id}' was not found in the directory "
                              f"'{self.tenant_id}'.")
        problem = self._client_auth(app, form, basic)
        if problem is not None:
            return problem
        scope = form.get("scope", "")
        scopes = scope.split()
        defaults = [s for s in scopes if s.endswith("/.default")]
        if grant == "client_credentials":
            if len(defaults) != 1 or len(scopes) != 1:
                return _aad_error(400, "invalid_scope", 1002012,
                                  f"The provided value for scope {scope} is not valid. Client credential flows "
                                  "must have a scope value with /.default suffixed to the resource identifier "
                                  "(application ID URI).")
            token, seconds = self.app_token(app, defaults[0][: -len("/.default")])
            return 200, {"token_type": "Bearer", "expires_in": seconds, "ext_expires_in": seconds,
                         "access_token": token}
        return self._on_behalf_of(app, form, scopes, find_user)

    def _client_auth(self, app: App, form: Mapping[str, str],
                     basic: tuple[str, str] | None) -> tuple[int, dict[str, Any]] | None:
        if form.get("client_assertion_type") == _ASSERTION_TYPE and form.get("client_assertion"):
            try:
                claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
                header = jwt.get_unverified_header(form["client_assertion"])
            except jwt.PyJWTError:
                return _aad_error(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
            if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
                return _aad_error(401, "invalid_client", 700023,
                                  "Client assertion audience claim does not match Realm issuer.")
            if not (header.get("x5t") or header.get("x5t#S256") or header.get("kid")):
                return _aad_error(401, "invalid_client", 700027, "Client assertion failed signature validation.")
            return None
        secret = form.get("client_secret") or (basic[1] if basic else None)
        if not secret:
            return _aad_error(401, "invalid_client", 7000218,
                              "The request body must contain the following parameter: 'client_assertion' or "
                              "'client_secret'.")
        if app.client_secret is None or secret != app.client_secret:
            return _aad_error(401, "invalid_client", 7000215,
                              "Invalid client secret provided. Ensure the secret being sent in the request is "
                              f"the client secret value, not the client secret ID, for a secret added to app "
                              f"'{app.client_id}'.")
        return None

    def _on_behalf_of(self, app: App, form: Mapping[str, str], scopes: list[str],
                      find_user: Callable[[str], Mapping[str, Any] | None]) -> tuple[int, dict[str, Any]]:
        if form.get("requested_token_use") != "on_behalf_of":
            return _aad_error(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'requested_token_use'.")
        try:
            incoming = self.validate(form.get("assertion", ""), audiences=None)
        except TokenError as exc:
            return _aad_error(400, "invalid_grant", 50013, f"Assertion failed signature validation. {exc.message}")
        user = find_user(str(incoming.get("oid", "")))
        if user is None:
            return _aad_error(400, "invalid_grant", 50020, "The user in the assertion is not in this tenant.")
        resources = {s.rsplit("/", 1)[0] for s in scopes if "/" in s}
        audience = resources.pop() if len(resources) == 1 else "https://graph.microsoft.com"
        names = [s.rsplit("/", 1)[1] for s in scopes if "/" in s and not s.endswith("/.default")]
        names = names or DEFAULT_SCOPES
        token, seconds = self.user_token(user, audience, None, names, client_id=app.client_id)
        return 200, {"token_type": "Bearer", "scope": " ".join(scopes), "expires_in": seconds,
                     "ext_expires_in": seconds, "access_token": token}
