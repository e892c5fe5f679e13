"""Use case: is micromentor alive, and can it reach Graph and its store?"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Protocol

from graph.errors import GraphError
from graph.gateway import GraphGateway
from services.sync import access_checkpoint, find_sync_work
from store.base import Store

if TYPE_CHECKING:  # store.queues loads the Azure Storage SDK: only where queues are configured
    from store.queues import Queues

__all__ = ["SYNC_QUEUE", "attendance_denied", "check_health"]

SYNC_QUEUE = "sync-work"


class _Settings(Protocol):
    @property
    def queue_connection(self) -> str | None: ...


class _Runtime(Protocol):
    @property
    def settings(self) -> _Settings: ...

    @property
    def graph(self) -> GraphGateway: ...

    @property
    def store(self) -> Store: ...

    @property
    def queues(self) -> Queues | None: ...


def attendance_denied(store: Store) -> list[dict[str, str]]:
    """The organizers whose attendance sync could not read last time, with since when and why."""
    denied = []
    for organizer in find_sync_work(store):
        saved = store.get_checkpoint(access_checkpoint(organizer))
        if saved:
            problem = json.loads(saved)
            denied.append({"organizer": organizer, "since": problem["since"], "problem": problem["problem"]})
    return denied


async def check_health(rt: _Runtime) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        await asyncio.to_thread(rt.store.get_checkpoint, "health")
        checks["storage"] = {"ok": True}
    except Exception as exc:  # any store failure means unhealthy; report it, do not raise
        checks["storage"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    try:
        await rt.graph.token()
        checks["graph"] = {"ok": True, "url": rt.graph.settings.graph_url}
    except GraphError as exc:
        checks["graph"] = {"ok": False, "error": str(exc)}
    if rt.queues is not None:
        # Poison messages are work that failed five times: kept for inspection, reported here.
        try:
            poisoned = await rt.queues.poisoned(SYNC_QUEUE)
            checks["queue"] = {"ok": True, "poisoned": len(poisoned)}
        except Exception as exc:  # an unreachable queue means unhealthy; report it, do not raise
            checks["queue"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if getattr(rt.settings, "learning", None) is not None:
        # Learning records waiting, retrying or refused for good, and the last error (services/learning.py).
        from services.learning import learning_health
        from store.learning_outbox import open_outbox

        try:
            checks["learningRecords"] = await asyncio.to_thread(lambda: learning_health(open_outbox(rt.store)))
        except Exception as exc:  # an unreadable outbox means unhealthy; report it, do not raise
            checks["learningRecords"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if getattr(rt.settings, "mail_sender", None):
        # Outcome messages waiting, in doubt, given up or dropped, the oldest due (services/outcomes.py).
        from services.outcomes import outcome_mail_health
        from store.outbox import open_outbox as open_mail_outbox

        try:
            checks["outcomeMail"] = await asyncio.to_thread(lambda: outcome_mail_health(open_mail_outbox(rt.store)))
        except Exception as exc:  # an unreadable outbox means unhealthy; report it, do not raise
            checks["outcomeMail"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    denied = await asyncio.to_thread(attendance_denied, rt.store)
    if denied:
        # Sync could not read these organizers' Teams attendance (access policy, app role). Health answers
        # anyone, so it counts them; `GET /api/admin/doctor` (admins) names them and what is missing.
        checks["attendance"] = {"ok": False, "organizers": len(denied), "details": "/api/admin/doctor"}
    status = "ok" if all(c["ok"] for c in checks.values()) else "degraded"
    return {"status": status, "checks": checks}
