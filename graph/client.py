"""Builds the msgraph-sdk client for a Graph base URL, with the SDK's own retries switched off.

One retry layer only: `graph.retry` (tenacity) owns retries for 429/503/504 and broken
connections, because it also covers `$batch` items and connection drops, which the SDK's
RetryHandler does not. Leaving both on would multiply attempts (4 x 4 = 16 sends of one create).
"""

from __future__ import annotations

import importlib.util
import ssl
import sys

import httpx
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from kiota_http.middleware.options import RetryHandlerOption, UrlReplaceHandlerOption
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory

from graph.auth import MsalTokenProvider
from graph.config import GraphSettings
from graph.lanes import GatedTransport, Lanes
from telemetry import graph_response_hook

__all__ = ["build_graph_client", "build_http_client"]

if importlib.util.find_spec("sniffio") is None:
    # httpcore tries `import sniffio` on every request (httpcore/_synchronization.py, to tell asyncio from
    # trio); anyio 4 no longer installs it, so each try searched every sys.path entry again: about 24
    # file-system lookups per Graph request. None in sys.modules makes the failed import immediate.
    sys.modules["sniffio"] = None  # type: ignore[assignment]


def build_http_client(settings: GraphSettings, lanes: Lanes | None = None) -> httpx.AsyncClient:
    """With `lanes`, every request waits for a slot in its lane (graph/lanes.py) at the bottom of the
    SDK's middleware, so each HTTP exchange is held, and no retry's wait is."""
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(
        verify=ssl.create_default_context(cafile=settings.ca_bundle) if settings.ca_bundle else True,
        trust_env=False,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
    )
    if lanes is not None:
        transport = GatedTransport(transport, lanes)
    base = httpx.AsyncClient(
        base_url=settings.graph_url,
        timeout=httpx.Timeout(settings.timeout_seconds),
        trust_env=False,
        transport=transport,
        event_hooks={"response": [graph_response_hook]},
    )
    options = {
        RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0),
        UrlReplaceHandlerOption.get_key(): UrlReplaceHandlerOption(
            enabled=True, replacement_pairs={"/users/me-token-to-replace": "/me"}
        ),
    }
    client: httpx.AsyncClient = GraphClientFactory.create_with_default_middleware(client=base, options=options)
    return client


def build_graph_client(
    settings: GraphSettings, token_provider: MsalTokenProvider, lanes: Lanes | None = None
) -> tuple[GraphServiceClient, httpx.AsyncClient]:
    http = build_http_client(settings, lanes)
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(token_provider), http)
    adapter.base_url = settings.graph_url.rstrip("/")
    return GraphServiceClient(request_adapter=adapter), http
