"""On-behalf-of: trade a signed-in user's token (sent to this API) for a token to call another API,
such as Graph, as that user. msal does the exchange and caches the result per incoming token."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import msal
import requests

from graph.auth import build_confidential_client
from graph.config import GraphSettings
from identity.caller import Caller
from identity.errors import IdentityError, IdentityUnavailable, Unauthorized

__all__ = ["OnBehalfOf", "OnBehalfOfError"]

# Entra ID answers these when the user must sign in again or consent (MFA, a revoked session, a
# conditional-access claims challenge): the caller has to get a new token, which is what a 401 says.
_USER_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required", "login_required"})


class OnBehalfOfError(IdentityError):
    """The identity provider refused the exchange for a reason the user cannot fix (HTTP 502)."""


class OnBehalfOf:
    """Tokens for downstream APIs, acquired as the signed-in caller (one instance per process).

    Uses the app registration of `settings` (client secret or certificate) as the middle tier."""

    def __init__(self, settings: GraphSettings) -> None:
        self._settings = settings
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def _client(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app is None:
                self._app = build_confidential_client(self._settings)
            return self._app

    def _acquire(self, assertion: str, scopes: list[str]) -> str:
        try:
            result: dict[str, Any] = self._client().acquire_token_on_behalf_of(assertion, scopes)
        except requests.RequestException as exc:
            raise IdentityUnavailable(f"the token endpoint is unreachable: {exc}") from exc
        token = result.get("access_token")
        if isinstance(token, str) and token:
            return token
        error = str(result.get("error") or "unknown_error")
        description = str(result.get("error_description") or "").split(" Trace ID:")[0]
        if error in _USER_ERRORS:
            raise Unauthorized(f"sign in again: {description or error}")
        raise OnBehalfOfError(f"on-behalf-of token refused: {error}: {description}".rstrip(": "))

    async def token_for(self, caller: Caller | str, scopes: Sequence[str]) -> str:
        """An access token for `scopes` (e.g. `https://graph.microsoft.com/Calendars.ReadWrite`) as the
        user whose bearer token `caller` carries. msal is synchronous: it runs in a worker thread."""
        assertion = caller.token if isinstance(caller, Caller) else caller
        if not assertion:
            raise Unauthorized("no user token to act on behalf of", error=None)
        wanted = list(scopes)
        if not wanted:
            raise ValueError("at least one scope is required")
        return await asyncio.to_thread(self._acquire, assertion, wanted)
