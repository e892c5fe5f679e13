"""Change notifications on users/{id}/events: validation handshake, maximum lifetime, delivery."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulator import RunningEmulator
from emulator.tls import make_certificate

from .conftest import DANA, assert_graph_error


class Receiver:
    """A plain-http notification endpoint on loopback that echoes validation tokens (or refuses to)."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self.validations = 0
        self.echo = True
        self.got = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                token = parse_qs(urlsplit(self.path).query).get("validationToken")
                if token:
                    receiver.validations += 1
                    reply = token[0].encode() if receiver.echo else b"nope"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                    return
                receiver.notifications.extend(json.loads(body)["value"])
                receiver.got.set()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        # Graph calls only https endpoints: the receiver serves TLS with a throwaway certificate.
        cert, key = make_certificate()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


def in_minutes(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def subscribe(graph: httpx.Client, receiver: Receiver, **changes: Any) -> httpx.Response:
    body = {
        "changeType": "created,updated,deleted",
        "notificationUrl": receiver.url,
        "resource": f"users/{DANA}/events",
        "expirationDateTime": in_minutes(60),
        "clientState": "secretClientValue",
        "latestSupportedTlsVersion": "v1_2",
        **changes,
    }
    return graph.post("/subscriptions", json=body)


def test_subscription_validates_then_notifies_on_change(
    graph: httpx.Client, receiver: Receiver, emu: RunningEmulator
) -> None:
    response = subscribe(graph, receiver)
    assert response.status_code == 201, response.text
    subscription = response.json()
    assert receiver.validations == 1
    assert subscription["clientState"] == "secretClientValue"
    assert subscription["applicationId"] == "micromentor-local"
    assert subscription["changeType"] == "created,updated,deleted"
    event = graph.post(
        f"/users/{DANA}/events",
        json={
            "subject": "notify me",
            "start": {"dateTime": "2035-01-01T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2035-01-01T11:00:00", "timeZone": "UTC"},
        },
    ).json()
    assert receiver.got.wait(5)
    (note,) = [n for n in receiver.notifications if n["resourceData"]["id"] == event["id"]]
    assert note["subscriptionId"] == subscription["id"]
    assert note["changeType"] == "created" and note["clientState"] == "secretClientValue"
    assert note["tenantId"] == emu.tenant_id
    assert note["resource"].lower() == f"users/dc17674c-81d9-4adb-bfb2-8f6a442e4622/events/{event['id']}".lower()
    assert "subscriptionExpirationDateTime" in note
    assert graph.delete(f"/subscriptions/{subscription['id']}").status_code == 204
    assert_graph_error(graph.get(f"/subscriptions/{subscription['id']}"), 404, "ResourceNotFound")


def test_failed_validation_refuses_the_subscription(graph: httpx.Client, receiver: Receiver) -> None:
    receiver.echo = False
    assert_graph_error(subscribe(graph, receiver), 400, "InvalidRequest")


def test_expiration_beyond_the_documented_maximum_is_refused(graph: httpx.Client, receiver: Receiver) -> None:
    error = assert_graph_error(subscribe(graph, receiver, expirationDateTime=in_minutes(10_081)), 400, "ExtensionError")
    assert "10080" in error["message"]
    assert receiver.validations == 0


def test_renewal_extends_the_expiration(graph: httpx.Client, receiver: Receiver) -> None:
    subscription = subscribe(graph, receiver).json()
    renewed = graph.patch(f"/subscriptions/{subscription['id']}", json={"expirationDateTime": in_minutes(600)})
    assert renewed.status_code == 200
    assert renewed.json()["expirationDateTime"] > subscription["expirationDateTime"]
    assert (
        graph.patch(f"/subscriptions/{subscription['id']}", json={"expirationDateTime": in_minutes(20_000)}).status_code
        == 400
    )
    graph.delete(f"/subscriptions/{subscription['id']}")


def test_notification_urls_must_be_https(graph: httpx.Client, receiver: Receiver) -> None:
    plain = receiver.url.replace("https://", "http://")
    assert_graph_error(subscribe(graph, receiver, notificationUrl=plain), 400, "InvalidRequest")
    assert_graph_error(subscribe(graph, receiver, lifecycleNotificationUrl=plain), 400, "InvalidRequest")


def test_lifecycle_notifications_are_delivered_and_removal_removes(
    graph: httpx.Client, admin: httpx.Client, receiver: Receiver
) -> None:
    created = subscribe(graph, receiver, lifecycleNotificationUrl=receiver.url + "?lifecycle=1")
    assert created.status_code == 201, created.text
    assert receiver.validations >= 2  # both URLs were validated
    sub_id = created.json()["id"]
    for event in ("reauthorizationRequired", "missed", "subscriptionRemoved"):
        receiver.got.clear()
        sent = admin.post(f"/subscriptions/{sub_id}/lifecycle", json={"event": event})
        assert sent.status_code == 202, sent.text
        assert receiver.got.wait(5)
        assert receiver.notifications[-1]["lifecycleEvent"] == event
        assert receiver.notifications[-1]["clientState"] == "secretClientValue"
    assert graph.get(f"/subscriptions/{sub_id}").status_code == 404
