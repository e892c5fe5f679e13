"""Telemetry of Graph calls through the OpenTelemetry SDK's in-memory exporter and reader: a span per call
with Graph's request ids, throttled answers counted. Without an SDK (production without Application
Insights) the same code is the API's no-op."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import telemetry
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from tests.conftest import LiveApi, with_graph

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
_EXPORTER = InMemorySpanExporter()
_READER = InMemoryMetricReader()


@pytest.fixture(scope="module", autouse=True)
def sdk() -> None:
    # The global providers can be set once per process; later tests keep them (spans then cost a little).
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER


def counter(name: str) -> float:
    data = _READER.get_metrics_data()
    total = 0.0
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    total += sum(point.value for point in metric.data.data_points)  # type: ignore[union-attr]
    return total


def graph_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("graph ")]


def test_a_graph_call_is_a_span_with_graphs_request_ids(
    graph_settings: GraphSettings, spans: InMemorySpanExporter
) -> None:
    async def body(graph: GraphGateway) -> Any:
        return await graph.get_user("ana@contoso.example")

    with_graph(graph_settings, body)
    [span] = graph_spans(spans)
    assert span.name == "graph GET /users/{user}"  # no mailbox address in a span name
    assert span.kind == trace.SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert len(str(attributes[telemetry.GRAPH_REQUEST_ID])) == 36  # the emulator's request-id, a GUID
    assert attributes[telemetry.GRAPH_CLIENT_REQUEST_ID]
    assert attributes["http.response.status_code"] == 200


def test_a_throttled_answer_is_counted_and_the_retry_stays_in_the_calls_span(
    graph_settings: GraphSettings, admin: Any, spans: InMemorySpanExporter
) -> None:
    admin.fault(method="GET", path=r"/users/[^/]+$", status=429, retryAfter=0, times=1)
    before = counter("micromentor.graph.throttled")

    async def body(graph: GraphGateway) -> Any:
        return await graph.get_user("ravi@contoso.example")

    with_graph(graph_settings, body)
    assert counter("micromentor.graph.throttled") == before + 1
    [span] = graph_spans(spans)
    assert dict(span.attributes or {})["http.response.status_code"] == 200  # the last answer, after the retry


def test_without_application_insights_nothing_is_configured() -> None:
    assert telemetry.configure_from_environment({}) is False


def test_application_insights_with_entra_id_uses_the_named_identity() -> None:
    from azure.identity import ManagedIdentityCredential

    credential = telemetry._entra_credential("Authorization=AAD;ClientId=6e1f5b2a-0000-4000-8000-000000000002")
    assert isinstance(credential, ManagedIdentityCredential)
    assert telemetry._entra_credential("") is None


def histogram_count(name: str) -> int:
    data = _READER.get_metrics_data()
    return sum(
        point.count  # type: ignore[union-attr]
        for resource in (data.resource_metrics if data else ())
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    )


def test_bookings_conflicts_and_sync_lag_are_recorded(live_api: LiveApi) -> None:
    bookings, conflicts = counter("micromentor.bookings"), counter("micromentor.conflicts")
    lags = histogram_count("micromentor.sync.lag")
    body = {"mentor": MAYA, "mentees": [RAVI], "start": "2026-11-30T09:00:00Z", "minutes": 15, "question": "Why?"}
    first = live_api.client.post("/sessions", json=body, headers={"Idempotency-Key": "otel-1"}, timeout=30)
    assert first.status_code == 201, first.text
    replay = live_api.client.post("/sessions", json=body, headers={"Idempotency-Key": "otel-1"}, timeout=30)
    taken = live_api.client.post("/sessions", json=body, headers={"Idempotency-Key": "otel-2"}, timeout=30)
    assert (replay.status_code, taken.status_code) == (200, 409)
    assert counter("micromentor.bookings") == bookings + 1  # a replay is not a booking
    assert counter("micromentor.conflicts") == conflicts + 1

    async def sync() -> None:
        await live_api.host.run_timer("plan_sync")
        await live_api.host.drain()

    live_api.host.run_threadsafe(sync())
    # The live host's own queue worker may have taken the message before drain() looked: wait for it.
    deadline = time.monotonic() + 20
    while histogram_count("micromentor.sync.lag") == lags and time.monotonic() < deadline:
        time.sleep(0.05)
    assert histogram_count("micromentor.sync.lag") == lags + 1  # Maya's sessions: one organizer synced


def test_application_insights_gets_the_connection_string_and_the_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity import ManagedIdentityCredential

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("azure.monitor.opentelemetry.configure_azure_monitor", lambda **kw: calls.append(kw))
    monkeypatch.setattr(trace, "get_tracer_provider", trace.NoOpTracerProvider)  # as in a fresh worker
    env = {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=00000000-0000-0000-0000-000000000000",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=6e1f5b2a-0000-4000-8000-000000000002;Authorization=AAD",
    }
    assert telemetry.configure_from_environment(env) is True
    [kwargs] = calls
    assert kwargs["connection_string"] == env["APPLICATIONINSIGHTS_CONNECTION_STRING"]
    assert isinstance(kwargs["credential"], ManagedIdentityCredential)
    assert kwargs["logger_name"] == "micromentor"
    # The Python worker (PYTHON_ENABLE_OPENTELEMETRY) may have installed an SDK first: never twice.
    monkeypatch.setattr(trace, "get_tracer_provider", TracerProvider)
    assert telemetry.configure_from_environment(env) is False
    assert len(calls) == 1


def test_sync_lag_ignores_what_it_cannot_read() -> None:
    before = histogram_count("micromentor.sync.lag")
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    telemetry.record_sync_lag(None, now)  # a change notification's message
    telemetry.record_sync_lag("yesterday", now)
    telemetry.record_sync_lag("2026-11-30T08:59:00", now)  # no offset: not comparable
    assert histogram_count("micromentor.sync.lag") == before
    telemetry.record_sync_lag("2026-11-30T08:59:00+00:00", now)
    assert histogram_count("micromentor.sync.lag") == before + 1
