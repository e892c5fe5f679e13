"""Fault injection: throttling with Retry-After then success, every-Nth, dropAfterWrite, the request log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import DANA, SAMANTHA, assert_graph_error


@pytest.fixture(autouse=True)
def clean(admin: httpx.Client) -> Any:
    admin.delete("/faults")
    yield
    admin.delete("/faults")


def fault(admin: httpx.Client, **spec: Any) -> dict[str, Any]:
    response = admin.post("/faults", json=spec)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_429_with_retry_after_then_success(graph: httpx.Client, admin: httpx.Client) -> None:
    fault(admin, method="POST", path="/calendar/getSchedule$", status=429, retryAfter=3, times=1)
    body = {
        "schedules": [DANA],
        "startTime": {"dateTime": "2026-12-01T00:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": "2026-12-02T00:00:00", "timeZone": "UTC"},
    }
    first = graph.post(f"/users/{DANA}/calendar/getSchedule", json=body)
    assert_graph_error(first, 429, "TooManyRequests")
    assert first.headers["Retry-After"] == "3"
    assert graph.post(f"/users/{DANA}/calendar/getSchedule", json=body).status_code == 200


def test_every_nth_request_and_5xx(graph: httpx.Client, admin: httpx.Client) -> None:
    fault(admin, method="GET", path=f"^/users/{DANA}$", status=503, every=2)
    statuses = [graph.get(f"/users/{DANA}").status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 503]
    # Other routes are untouched.
    assert graph.get(f"/users/{SAMANTHA}").status_code == 200


def test_drop_after_write_leaves_the_event_created(graph: httpx.Client, admin: httpx.Client) -> None:
    fault(admin, method="POST", path=r"^/users/[^/]+/events$", dropAfterWrite=True, times=1)
    body = {
        "subject": "dropped reply",
        "transactionId": "tx-drop-1",
        "start": {"dateTime": "2034-01-02T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2034-01-02T10:30:00", "timeZone": "UTC"},
    }
    with pytest.raises(httpx.RemoteProtocolError):
        graph.post(f"/users/{DANA}/events", json=body)
    window = {"startDateTime": "2034-01-02T00:00:00Z", "endDateTime": "2034-01-03T00:00:00Z"}

    def dropped() -> list[dict[str, Any]]:
        events = graph.get(f"/users/{DANA}/calendarView", params=window).json()["value"]
        return [e for e in events if e["subject"] == "dropped reply"]  # (2 January 2034 also has a stand-up)

    assert len(dropped()) == 1
    # The client's retry with the same transactionId makes no second one (and is refused: see test_events).
    retry = graph.post(f"/users/{DANA}/events", json=body)
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "ErrorDuplicateTransactionId"
    assert len(dropped()) == 1


def test_request_log_counts_per_route_and_resets(graph: httpx.Client, admin: httpx.Client) -> None:
    assert admin.post("/requests/reset").status_code == 204
    graph.get(f"/users/{DANA}")
    graph.get(f"/users/{SAMANTHA}")
    graph.get(f"/users/{DANA}/mailboxSettings")
    log = admin.get("/requests").json()
    assert log["counts"] == {"GET /users/{user}": 2, "GET /users/{user}/mailboxSettings": 1}
    assert [(r["method"], r["path"], r["status"]) for r in log["requests"]] == [
        ("GET", f"/users/{DANA}", 200),
        ("GET", f"/users/{SAMANTHA}", 200),
        ("GET", f"/users/{DANA}/mailboxSettings", 200),
    ]


def test_faults_can_be_listed_and_removed_and_bad_specs_are_400(admin: httpx.Client, graph: httpx.Client) -> None:
    rule = fault(admin, path="^/users", status=504)
    assert [f["id"] for f in admin.get("/faults").json()["value"]] == [rule["id"]]
    assert graph.get(f"/users/{DANA}").status_code == 504
    assert admin.delete(f"/faults/{rule['id']}").status_code == 204
    assert graph.get(f"/users/{DANA}").status_code == 200
    assert admin.post("/faults", json={"path": "(", "status": 429}).status_code == 400
    assert admin.post("/faults", json={"path": "x", "status": 418}).status_code == 400


def test_latency_setting_is_reported(admin: httpx.Client, graph: httpx.Client) -> None:
    assert admin.post("/config", json={"latencyMs": 5}).json()["latencyMs"] == 5
    try:
        assert graph.get(f"/users/{DANA}").status_code == 200
    finally:
        admin.post("/config", json={"latencyMs": 0})
    fault(admin, path=f"^/users/{DANA}$", latencyMs=1)
    assert graph.get(f"/users/{DANA}").status_code == 200
