"""Use cases: Graph change notifications (validate, check clientState, queue the organizer for sync)
and keeping one subscription per active organizer alive."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from graph.errors import GraphError, GraphNotFound
from graph.gateway import GraphGateway
from store.base import Store

__all__ = ["SUBSCRIPTION_LIFETIME", "Notifications", "organizers_to_sync", "renew_subscriptions"]

log = logging.getLogger(__name__)
# Outlook event subscriptions live at most 10,080 minutes (7 days; 4,230 in older docs): ask for
# 2 days, which both limits accept, and renew when less than a day is left.
SUBSCRIPTION_LIFETIME = timedelta(days=2)
RENEW_WHEN_LEFT = timedelta(days=1)
# Lifecycle notifications: the subscription needs renewing (or re-creating) at the next timer run,
# and changes may have been missed, so the organizer is synced (delta catches up) either way.
LIFECYCLE_RENEW = frozenset({"reauthorizationRequired", "subscriptionRemoved"})


@dataclass(frozen=True, slots=True)
class Notifications:
    organizers: tuple[str, ...]  # to queue for sync
    rejected: int  # items with a wrong clientState or an unknown subscription


def _subscription_key(subscription_id: str) -> str:
    return f"subscription:{subscription_id}"


def organizers_to_sync(store: Store, body: Mapping[str, Any], client_state: str) -> Notifications:
    """Which organizers a notification batch concerns. An item whose clientState does not match, or
    whose subscription we never made, is not trusted and is dropped (and counted)."""
    organizers: set[str] = set()
    rejected = 0
    items = body.get("value")
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            rejected += 1
            continue
        state = str(item.get("clientState") or "")
        if not hmac.compare_digest(state.encode(), client_state.encode()):
            rejected += 1
            continue
        record = store.get_checkpoint(_subscription_key(str(item.get("subscriptionId") or "")))
        if record is None:
            rejected += 1
            continue
        organizer = str(json.loads(record)["organizer"])
        organizers.add(organizer)
        if item.get("lifecycleEvent") in LIFECYCLE_RENEW:
            store.set_checkpoint(
                f"subscribed:{organizer}", json.dumps({"id": item.get("subscriptionId"), "expires": ""})
            )
    return Notifications(tuple(sorted(organizers)), rejected)


async def renew_subscriptions(
    graph: GraphGateway,
    store: Store,
    organizers: Iterable[str],
    *,
    notification_url: str,
    client_state: str,
    now: datetime,
) -> dict[str, int]:
    """Create missing subscriptions and renew those that expire within a day. Graph delivers only to
    https endpoints: with a plain-http public URL (a laptop) nobody is subscribed and sync polls."""
    counts = {"created": 0, "renewed": 0, "kept": 0, "failed": 0, "skipped": 0}
    if not notification_url.lower().startswith("https://"):
        counts["skipped"] = len(set(organizers))
        if counts["skipped"]:
            log.warning(
                "change notifications need an https MICROMENTOR_PUBLIC_URL (got %s); sync polls instead",
                notification_url,
            )
        return counts
    for organizer in sorted(set(organizers)):
        name = f"subscribed:{organizer}"
        saved = await asyncio.to_thread(store.get_checkpoint, name)
        current = json.loads(saved) if saved else None
        expires = now + SUBSCRIPTION_LIFETIME
        try:
            if current and current["expires"] and datetime.fromisoformat(current["expires"]) - now > RENEW_WHEN_LEFT:
                counts["kept"] += 1
                continue
            if current:
                try:
                    until = await graph.renew_subscription(current["id"], expires)
                    current["expires"] = until.isoformat()
                    counts["renewed"] += 1
                except GraphNotFound:
                    current = None  # Graph removed it: subscribe again
            if current is None:
                sub_id, until = await graph.subscribe_to_events(organizer, notification_url, client_state, expires)
                current = {"id": sub_id, "expires": until.isoformat()}
                record = json.dumps({"organizer": organizer})
                await asyncio.to_thread(store.set_checkpoint, _subscription_key(sub_id), record)
                counts["created"] += 1
            await asyncio.to_thread(store.set_checkpoint, name, json.dumps(current))
        except GraphError as exc:
            counts["failed"] += 1
            log.warning("subscription for %s: %s", organizer, exc)
    return counts
