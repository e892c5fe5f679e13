"""OpenTelemetry for micromentor, through `opentelemetry-api` only: without an SDK configured every span and
counter here is a no-op. `configure_from_environment` installs Azure Monitor's distro when the function
app has an Application Insights connection string (host.json's telemetryMode is OpenTelemetry).

Spans: one per Graph HTTP call (`graph <what>`), carrying Graph's `request-id` and `client-request-id`, the
two values Microsoft support asks for. Counters: bookings, conflicts, throttled Graph calls, sessions
decided by sync; histogram: sync lag (seconds from the organizer being queued to its sync finishing).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind

__all__ = [
    "BOOKINGS",
    "CONFLICTS",
    "SESSIONS_DECIDED",
    "SYNC_LAG",
    "THROTTLED",
    "configure_from_environment",
    "graph_response_hook",
    "graph_span",
    "record_graph_response",
    "record_sync_lag",
]

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("micromentor")
_meter = metrics.get_meter("micromentor")

BOOKINGS = _meter.create_counter("micromentor.bookings", unit="{booking}", description="sessions booked")
CONFLICTS = _meter.create_counter(
    "micromentor.conflicts", unit="{booking}", description="bookings refused: slot taken or a policy rule (409/422)"
)
THROTTLED = _meter.create_counter(
    "micromentor.graph.throttled", unit="{call}", description="Graph answers 429 (each one, retries included)"
)
SESSIONS_DECIDED = _meter.create_counter(
    "micromentor.sessions.decided", unit="{session}", description="sessions sync moved to a state, by state"
)
SYNC_LAG = _meter.create_histogram(
    "micromentor.sync.lag", unit="s", description="from an organizer being queued for sync to its sync finishing"
)

_ADDRESS = re.compile(r"[^\s/]+@[^\s/]+")
GRAPH_REQUEST_ID = "graph.request_id"
GRAPH_CLIENT_REQUEST_ID = "graph.client_request_id"


@contextmanager
def graph_span(what: str) -> Iterator[Span]:
    # Span names are grouped and kept by Application Insights: no mailbox addresses in them.
    with _tracer.start_as_current_span(f"graph {_ADDRESS.sub('{user}', what)}", kind=SpanKind.CLIENT) as span:
        yield span


def _first(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    return str(value) if value else None


def record_graph_response(status: int, response_headers: Mapping[str, str], request_headers: Mapping[str, str]) -> None:
    """Note one Graph HTTP answer on the current span (the `graph_span` around the call)."""
    span = trace.get_current_span()
    request_id = _first(response_headers, "request-id")
    client_request_id = _first(response_headers, "client-request-id") or _first(request_headers, "client-request-id")
    if request_id:
        span.set_attribute(GRAPH_REQUEST_ID, request_id)
    if client_request_id:
        span.set_attribute(GRAPH_CLIENT_REQUEST_ID, client_request_id)
    span.set_attribute("http.response.status_code", status)
    if status == 429:
        THROTTLED.add(1)


async def graph_response_hook(response: httpx.Response) -> None:
    """httpx response hook of the Graph client: every answer, retries included, inside its `graph_span`."""
    record_graph_response(response.status_code, response.headers, response.request.headers)


def record_sync_lag(queued: object, now: datetime) -> None:
    """`queued` as plan_sync stamps it on a sync-work message; anything else (older messages, change
    notifications) is no measurement, and never a reason to fail the sync that already happened."""
    if not isinstance(queued, str):
        return
    try:
        lag = (now - datetime.fromisoformat(queued)).total_seconds()
    except (ValueError, TypeError):
        log.warning("sync-work message with an unreadable 'queued': %r", queued)
        return
    SYNC_LAG.record(max(0.0, lag))


def _entra_credential(auth: str | None) -> Any:
    """APPLICATIONINSIGHTS_AUTHENTICATION_STRING `Authorization=AAD;ClientId=<id>`: send with that identity."""
    if not auth:
        return None
    parts = dict(p.split("=", 1) for p in auth.split(";") if "=" in p)
    if parts.get("Authorization", "").upper() != "AAD":
        return None
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=parts.get("ClientId") or None)


def configure_from_environment(env: Mapping[str, str] | None = None) -> bool:
    """Install Azure Monitor's OpenTelemetry distro if Application Insights is configured; True if it was."""
    env = os.environ if env is None else env
    connection_string = env.get("APPLICATIONINSIGHTS_CONNECTION_STRING")
    if not connection_string:
        return False
    if type(trace.get_tracer_provider()).__name__ == "TracerProvider":
        return False  # the Python worker (PYTHON_ENABLE_OPENTELEMETRY) or a test already installed an SDK
    try:
        from azure.monitor.opentelemetry import configure_azure_monitor
    except ImportError:  # a slimmer install: the API stays a no-op
        log.warning("APPLICATIONINSIGHTS_CONNECTION_STRING is set but azure-monitor-opentelemetry is missing")
        return False
    configure_azure_monitor(
        connection_string=connection_string,
        credential=_entra_credential(env.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")),
        logger_name="micromentor",
    )
    return True
