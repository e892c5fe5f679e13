"""Tokens from Entra ID (or the emulator's identity endpoints) through msal, for msgraph-sdk."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import msal
import requests
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator

from graph.config import GRAPH_SCOPE, GraphSettings
from graph.errors import GraphAuthError

__all__ = ["FEDERATION_SCOPE", "MsalTokenProvider", "build_confidential_client", "managed_identity_assertion"]

log = logging.getLogger(__name__)
# The audience Entra ID expects of a managed identity's token used as a federated credential (public cloud).
FEDERATION_SCOPE = "api://AzureADTokenExchange/.default"


@functools.cache
def _managed_identity(client_id: str) -> Any:
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=client_id)  # caches its own tokens until they near expiry


def managed_identity_assertion(client_id: str) -> str:
    """A token of the user-assigned managed identity `client_id`, as the app's client assertion."""
    return str(_managed_identity(client_id).get_token(FEDERATION_SCOPE).token)


def _http_session(ca_bundle: str | None) -> requests.Session:
    # REQUESTS_CA_BUNDLE in the environment silently overrides msal's verify= argument,
    # so hand msal a session that ignores the environment and trusts exactly what we say.
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle if ca_bundle else True
    return session


def _credential(settings: GraphSettings) -> str | dict[str, Any]:
    if settings.federated_mi_client_id:
        client_id = settings.federated_mi_client_id

        def assertion() -> str:
            # msal calls this whenever it needs a new app token, so the assertion is always a fresh one.
            return managed_identity_assertion(client_id)

        return {"client_assertion": assertion}
    if settings.certificate_path:
        pem = Path(settings.certificate_path).read_text(encoding="utf-8")
        credential = {"private_key": pem}
        if settings.certificate_thumbprint:
            credential["thumbprint"] = settings.certificate_thumbprint
        else:
            credential["public_certificate"] = pem
        return credential
    if settings.client_secret:
        return settings.client_secret
    raise GraphAuthError(
        "no app credential configured: MICROMENTOR_FEDERATED_MI_CLIENT_ID, MICROMENTOR_CERTIFICATE_PATH "
        "or MICROMENTOR_CLIENT_SECRET"
    )


def build_confidential_client(settings: GraphSettings) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        settings.client_id,
        client_credential=_credential(settings),
        authority=settings.authority_url,
        instance_discovery=settings.is_entra_id,
        http_client=_http_session(settings.ca_bundle),
        token_cache=msal.TokenCache(),
    )


class MsalTokenProvider(AccessTokenProvider):
    """App-only tokens (client credentials); msal's cache serves them until they near expiry."""

    def __init__(self, settings: GraphSettings) -> None:
        self._settings = settings
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()
        self._hosts = AllowedHostsValidator([urlparse(settings.graph_url).hostname or ""])
        # The last token and the monotonic time until which it is handed out without asking msal: every
        # Graph request asks for a token, and msal's own cache is behind a worker thread (msal may do I/O).
        self._held: tuple[str, float] | None = None
        # The fetch in flight, per event loop, and whether it is a forced one (a refresh): requests sent at
        # once (a cold slot search sends six) share one token request instead of each sending its own,
        # and requests refused at once share one refresh.
        self._fetching: tuple[asyncio.AbstractEventLoop, asyncio.Future[str], bool] | None = None

    def _client(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app is None:
                self._app = build_confidential_client(self._settings)
            return self._app

    def _acquire(self, force_refresh: bool) -> str:
        app = self._client()
        if force_refresh:
            # The token was refused (expired or revoked early): drop what msal cached.
            with self._lock:
                self._app = None
            app = self._client()
        result: dict[str, Any] = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        with self._lock:
            stale = app is not self._app  # refreshed meanwhile: this answer may be the refused token
        token = result.get("access_token")
        if not token:
            raise GraphAuthError(
                f"could not get a Graph token from {self._settings.authority_url}: "
                f"{result.get('error')}: {result.get('error_description', '')}".strip(),
                code=str(result.get("error") or "") or None,  # invalid_client, unauthorized_client, …
            )
        lifetime = result.get("expires_in")  # seconds left, also for a token from msal's cache
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0 and not stale:
            # Handed out until 5 minutes before it expires (msal renews earlier, at its refresh_on; the token
            # is still good), or half its life when that is shorter than 10 minutes.
            self._held = (str(token), time.monotonic() + lifetime - min(300.0, lifetime / 2))
        return str(token)

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        if additional_authentication_context and additional_authentication_context.get("force"):
            await self.refresh()
        held = self._held
        if held is not None and time.monotonic() < held[1]:
            return held[0]
        return await self._fetch(force=False)

    async def _fetch(self, *, force: bool) -> str:
        """The fetch in flight on this loop, joined; else a new one (a refresh does not join a plain one:
        msal's cache would answer it with the token being replaced)."""
        loop = asyncio.get_running_loop()
        fetching = self._fetching
        if fetching is None or fetching[0] is not loop or fetching[1].done() or (force and not fetching[2]):
            # msal is synchronous and does network I/O: keep it off the event loop.
            fetching = (loop, asyncio.ensure_future(asyncio.to_thread(self._acquire, force)), force)
            self._fetching = fetching
        return await asyncio.shield(fetching[1])  # one caller cancelled does not cancel the others' fetch

    async def refresh(self, refused: str | None = None) -> None:
        """A new token from Entra ID (the last one was refused): msal's cache and ours are dropped. With
        `refused` (the token Graph answered 401 to): nothing to do when a newer one is held already, as
        when requests sent at once were refused together and the first one's refresh has come back."""
        held = self._held
        if refused is not None and held is not None and held[0] != refused:
            return
        self._held = None
        await self._fetch(force=True)

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts
