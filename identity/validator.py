"""Validate `Authorization: Bearer …` Entra ID access tokens (RS256) against the tenant's signing keys.

Checks, in order: the header's shape; the token's header (RS256 only, a `kid`); the signature with the
tenant JWKS key of that `kid`; issuer (`{authority}/v2.0`, and for Entra ID also the v1 issuer
`https://sts.windows.net/{tid}/`); audience; `exp` / `nbf` / `iat` with clock skew; `tid` = our tenant.

Signing keys (JWKS) are fetched from `{authority}/discovery/v2.0/keys` and cached for `jwks_ttl_seconds`.
A token whose `kid` is not in the cache triggers one refetch (Entra ID rolls its keys over), but at most
one per `refetch_interval_seconds`, so a stream of tokens with made-up key ids cannot turn into a stream
of requests to the identity provider. If a refetch fails, keys already cached keep working (stale but
better than refusing every caller while the provider hiccups); with no keys at all it is a 503.

The fetch is synchronous (httpx) and runs in a worker thread under a lock: one fetch at a time for the
whole process, whatever event loop (the Functions worker, `asyncio.run` in the CLI and tests) asks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from identity.caller import Caller, caller_from_claims
from identity.errors import IdentityUnavailable, Unauthorized

__all__ = ["MAX_TOKEN_CHARS", "TokenValidator", "bearer_token"]

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
MAX_TOKEN_CHARS = 16 * 1024  # Entra ID tokens are a few kB; anything far bigger is not one of them
MAX_JWKS_BYTES = 1024 * 1024
_ENTRA_HOSTS = (".microsoftonline.com", ".microsoftonline.us", ".chinacloudapi.cn")


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header value, or `Unauthorized`."""
    if header is None or not header.strip():
        raise Unauthorized("sign in: this API needs an Entra ID bearer token", error=None)
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized("sign in: the Authorization header must use the Bearer scheme", error=None)
    token = rest.strip()
    if not token or " " in token:
        raise Unauthorized("the Authorization header must be 'Bearer <token>'", error="invalid_request")
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized("the bearer token is too large")
    return token


@dataclass(frozen=True, slots=True)
class _KeySet:
    keys: dict[str, jwt.PyJWK]
    fetched_at: float


def _parse_jwks(data: Any) -> dict[str, jwt.PyJWK]:
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWKS document (no 'keys' list)")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in data["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        try:
            keys[kid] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        except jwt.PyJWTError as exc:
            log.warning("ignoring an unusable signing key %s: %s", kid, exc)
    return keys


def _is_entra_id(authority: str) -> bool:
    host = (urlsplit(authority).hostname or "").lower()
    return any(host.endswith(suffix) for suffix in _ENTRA_HOSTS)


class TokenValidator:
    """Validates bearer tokens for one API (audience) in one tenant; one instance per process."""

    def __init__(
        self,
        *,
        authority: str,
        audience: str | Sequence[str],
        tenant_id: str,
        ca_bundle: str | None = None,
        clock_skew_seconds: int = 120,
        jwks_ttl_seconds: int = 3600,
        refetch_interval_seconds: int = 60,
        jwks_uri: str | None = None,
        timeout_seconds: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.authority = authority.rstrip("/")
        self.audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not self.audiences or not all(self.audiences):
            raise ValueError("at least one non-empty audience is required")
        self.tenant_id = tenant_id
        self.jwks_uri = jwks_uri or f"{self.authority}/discovery/v2.0/keys"
        issuers = {f"{self.authority}/v2.0"}
        if _is_entra_id(self.authority):
            parts = urlsplit(self.authority)
            # The authority may name the tenant by domain; tokens always name it by id.
            issuers.add(f"{parts.scheme}://{parts.netloc}/{tenant_id}/v2.0")
            issuers.add(f"https://sts.windows.net/{tenant_id}/")
        self.issuers = frozenset(issuers)
        self._skew = clock_skew_seconds
        self._ttl = jwks_ttl_seconds
        self._refetch_interval = refetch_interval_seconds
        self._timeout = timeout_seconds
        self._ca_bundle = ca_bundle
        self._transport = transport
        self._clock = clock
        self._keyset: _KeySet | None = None
        self._last_attempt: float | None = None
        self._state_lock = threading.Lock()
        self._fetch_lock = threading.Lock()
        self.fetch_count = 0  # JWKS requests sent, for operators and tests

    # --- public -------------------------------------------------------------------------------------

    async def validate(self, header: str | None) -> Caller:
        """The caller behind an `Authorization` header value; `Unauthorized` / `IdentityUnavailable`."""
        token = bearer_token(header)
        kid = self._kid(token)
        key = self._cached_key(kid)
        if key is None:
            key = await asyncio.to_thread(self._key_after_refresh, kid)
        return caller_from_claims(self._claims(token, key), token)

    # --- token checks -------------------------------------------------------------------------------

    @staticmethod
    def _kid(token: str) -> str:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("the bearer token is not a well-formed JWT") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthorized(f"the token must be signed with {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("the token header names no signing key (kid)")
        return kid

    def _claims(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=list(self.audiences),
                issuer=self.issuers,
                leeway=self._skew,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("the token was issued for another audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("the token was issued by another authority") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("the token signature is invalid") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"the token has no {exc.claim} claim") from None
        except jwt.PyJWTError:
            raise Unauthorized("the bearer token could not be validated") from None
        tid = claims.get("tid")
        if not isinstance(tid, str) or tid.lower() != self.tenant_id.lower():
            raise Unauthorized("the token was issued for another tenant")
        return claims

    # --- signing keys -------------------------------------------------------------------------------

    def _fresh(self, keyset: _KeySet | None, now: float) -> bool:
        return keyset is not None and now - keyset.fetched_at < self._ttl

    def _cached_key(self, kid: str) -> jwt.PyJWK | None:
        """The key from a fresh cache, without I/O; None means: go and (maybe) fetch."""
        with self._state_lock:
            keyset = self._keyset
        if keyset is not None and self._fresh(keyset, self._clock()):
            return keyset.keys.get(kid)
        return None

    def _key_after_refresh(self, kid: str) -> jwt.PyJWK:
        with self._fetch_lock:  # one fetch at a time; latecomers find the keys the first one got
            now = self._clock()
            with self._state_lock:
                keyset, last = self._keyset, self._last_attempt
            recently = last is not None and now - last < self._refetch_interval
            if keyset is not None and kid in keyset.keys and (self._fresh(keyset, now) or recently):
                return keyset.keys[kid]
            if recently:  # fetched (or failed to) moments ago: do not ask again for this kid yet
                if keyset is None:
                    raise IdentityUnavailable("the token signing keys are unavailable; try again shortly")
                raise Unauthorized("the token is signed by an unknown key")
            with self._state_lock:
                self._last_attempt = now
            try:
                keys = self._fetch()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("could not fetch the signing keys from %s: %s", self.jwks_uri, exc)
                if keyset is not None and kid in keyset.keys:
                    return keyset.keys[kid]  # stale, but the provider is down: keep serving
                raise IdentityUnavailable(f"the token signing keys are unavailable: {exc}") from exc
            with self._state_lock:
                self._keyset = _KeySet(keys, now)
            if kid not in keys:
                raise Unauthorized("the token is signed by an unknown key")
            return keys[kid]

    def _fetch(self) -> dict[str, jwt.PyJWK]:
        self.fetch_count += 1
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=self._ca_bundle) if self._ca_bundle else True
        with httpx.Client(verify=verify, trust_env=False, timeout=self._timeout, transport=self._transport) as client:
            response = client.get(self.jwks_uri, headers={"Accept": "application/json"})
            response.raise_for_status()
            if len(response.content) > MAX_JWKS_BYTES:
                raise ValueError("the JWKS document is too large")
            try:
                data = json.loads(response.content)
            except ValueError as exc:
                raise ValueError(f"the JWKS document is not JSON: {exc}") from exc
        return _parse_jwks(data)
