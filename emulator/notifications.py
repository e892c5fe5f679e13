"""Change notifications for `users/{id}/events` subscriptions: the validation handshake, and delivery
of notifications from a background thread (one attempt each; outcomes kept for the admin surface)."""

from __future__ import annotations

import json
import queue
import ssl
import threading
import urllib.error
import urllib.request
from collections import deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from emulator.model import Event, Subscription
from emulator.state import TenantState
from emulator.timeutil import utc_stamp

__all__ = ["Notifier", "validate_endpoint"]


def _open(request: urllib.request.Request, timeout: float) -> tuple[int, str, str]:
    # Callbacks are usually plain http on loopback; an https one is not verified (it is a test double).
    context = ssl._create_unverified_context()
    handler = urllib.request.HTTPSHandler(context=context)
    opener = urllib.request.build_opener(handler, urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read().decode("utf-8", "replace")
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", "") if exc.headers else "", ""


def validate_endpoint(url: str, timeout: float = 10.0) -> str | None:
    """None when the endpoint echoes the validation token with 200 text/plain, else the reason."""
    token = f"Validation: Testing client application reachability for subscription Request-Id: " \
            f"{datetime.now(UTC).timestamp():.0f}"
    target = f"{url}{'&' if '?' in url else '?'}validationToken={quote(token)}"
    request = urllib.request.Request(target, data=b"", method="POST", headers={"Content-Type": "text/plain"})
    try:
        status, content_type, body = _open(request, timeout)
    except (OSError, ValueError) as exc:
        return f"could not reach the notification endpoint: {exc}"
    if status != 200:
        return f"the notification endpoint answered {status}"
    if "text/plain" not in content_type.lower():
        return "the notification endpoint must answer with Content-Type text/plain"
    if body != token:
        return "the notification endpoint did not echo the validation token"
    return None


class Notifier:
    """Listens to state changes and posts notifications for matching subscriptions."""

    def __init__(self, state: TenantState) -> None:
        self.state = state
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=2000)
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="graph-emulator-notifier", daemon=True)
        self._thread.start()
        state.listeners.append(self.on_change)

    def on_change(self, user_id: str, change: str, event: Event) -> None:
        now = datetime.now(UTC)
        for subscription in list(self.state.subscriptions.values()):
            if subscription.user_id != user_id or change not in subscription.change_types:
                continue
            if subscription.expiration <= now:
                continue
            resource = f"Users/{user_id}/Events/{event.id}"
            payload = {
                "value": [{
                    "subscriptionId": subscription.id,
                    "subscriptionExpirationDateTime": utc_stamp(subscription.expiration),
                    "changeType": change,
                    "resource": resource,
                    "resourceData": {
                        "@odata.type": "#Microsoft.Graph.Event",
                        "@odata.id": resource,
                        "@odata.etag": f'W/"{event.change_key}"',
                        "id": event.id,
                    },
                    "clientState": subscription.client_state,
                    "tenantId": self.state.tenant_id,
                }]
            }
            self._queue.put((subscription.notification_url, payload))

    def lifecycle(self, subscription: Subscription, event: str) -> str:
        """Send a lifecycle notification (`reauthorizationRequired`, `subscriptionRemoved`, `missed`;
        concepts/change-notifications-lifecycle-events.md) to the subscription's lifecycle URL, or to
        its notification URL when it has none (the doc's fallback for `missed`). Returns the URL."""
        url = str(subscription.raw.get("lifecycleNotificationUrl") or subscription.notification_url)
        payload = {
            "value": [{
                "subscriptionId": subscription.id,
                "subscriptionExpirationDateTime": utc_stamp(subscription.expiration),
                "tenantId": self.state.tenant_id,
                "clientState": subscription.client_state,
                "lifecycleEvent": event,
            }]
        }
        self._queue.put((url, payload))
        return url

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            url, payload = job
            request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            outcome: dict[str, Any] = {"url": url, "notification": payload["value"][0]}
            try:
                outcome["status"] = _open(request, 3.0)[0]
            except (OSError, ValueError) as exc:
                outcome["error"] = str(exc)
            self.deliveries.append(outcome)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until queued notifications have been attempted (tests)."""
        deadline = datetime.now(UTC).timestamp() + timeout
        while not self._queue.empty() and datetime.now(UTC).timestamp() < deadline:
            threading.Event().wait(0.02)

    def stop(self) -> None:
        self._queue.put(None)
