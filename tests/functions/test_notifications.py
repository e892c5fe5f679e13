"""Change notifications end to end: subscribe (Graph validates our endpoint), change the meeting in
Outlook, Graph notifies, the organizer is queued, the queue worker syncs, the session follows."""

from __future__ import annotations

import json
import time
from typing import Any

from core.model import SessionState
from tests.conftest import LiveApi
from tests.services.test_sync import graph_call

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"


def test_validation_handshake_echoes_the_token(live_api: LiveApi) -> None:
    answer = live_api.client.post("/notifications", params={"validationToken": "a b&c"})
    assert answer.status_code == 200 and answer.text == "a b&c"
    assert answer.headers["content-type"].startswith("text/plain")


def test_wrong_client_state_is_dropped(live_api: LiveApi) -> None:
    body = {"value": [{"subscriptionId": "x", "clientState": "forged", "resource": f"users/{MAYA}/events/1"}]}
    answer = live_api.client.post("/notifications", json=body)
    assert answer.status_code == 202 and answer.json() == {"queued": [], "rejected": 1}


def test_a_meeting_cancelled_in_outlook_reaches_the_session(
    live_api_https: LiveApi, graph_settings: Any, admin: Any
) -> None:
    live_api = live_api_https
    booked = live_api.client.post(
        "/sessions",
        json={"mentor": MAYA, "mentees": [RAVI], "start": "2026-11-30T10:00:00Z", "question": "How do I delegate?"},
        timeout=30,
    ).json()
    live_api.host.run_threadsafe(live_api.host.run_timer("renew_graph_subscriptions"))
    assert live_api.runtime.store.get_checkpoint(f"subscribed:{MAYA}") is not None
    assert graph_call(graph_settings, "POST", f"/users/{MAYA}/events/{booked['eventId']}/cancel", {}).status_code == 202
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        session = live_api.runtime.store.get_session(booked["id"])
        if session is not None and session.state == SessionState.CANCELLED:
            break
        time.sleep(0.1)
    assert session is not None and session.state == SessionState.CANCELLED
    assert session.state_reason in {"cancelled_in_outlook", "deleted_in_outlook"}
    delivered = admin.get("/notifications")["value"]
    assert delivered and all(d.get("status") == 202 for d in delivered)


def test_a_lifecycle_notification_makes_the_subscription_due_again(live_api_https: LiveApi, admin: Any) -> None:
    live_api = live_api_https
    live_api.client.post(
        "/sessions",
        json={"mentor": MAYA, "mentees": [RAVI], "start": "2026-11-30T10:00:00Z", "question": "How do I delegate?"},
    )
    host = live_api.host
    host.run_threadsafe(host.run_timer("renew_graph_subscriptions"))
    store = live_api.runtime.store
    subscribed = json.loads(store.get_checkpoint(f"subscribed:{MAYA}") or "{}")
    # Graph itself sends the lifecycle notification, to the lifecycle URL micromentor gave.
    admin.post(f"/subscriptions/{subscribed['id']}/lifecycle", {"event": "reauthorizationRequired"})
    deadline = time.monotonic() + 10
    while json.loads(store.get_checkpoint(f"subscribed:{MAYA}") or "{}")["expires"] != "":
        assert time.monotonic() < deadline, "the lifecycle notification did not arrive"
        time.sleep(0.05)
    host.run_threadsafe(host.run_timer("renew_graph_subscriptions"))  # renewed (PATCH) at once
    renewed = json.loads(store.get_checkpoint(f"subscribed:{MAYA}") or "{}")
    assert renewed["id"] == subscribed["id"] and renewed["expires"]


def test_a_plain_http_public_url_subscribes_nobody(live_api: LiveApi, admin: Any) -> None:
    live_api.client.post(
        "/sessions",
        json={"mentor": MAYA, "mentees": [RAVI], "start": "2026-11-30T10:00:00Z", "question": "How do I delegate?"},
    )
    live_api.host.run_threadsafe(live_api.host.run_timer("renew_graph_subscriptions"))
    assert live_api.runtime.store.get_checkpoint(f"subscribed:{MAYA}") is None
    assert admin.get("/state")["subscriptions"] == []
