"""Use case: log each completed session once as learning records, and deliver them.

Two passes, each safe to run again or to crash in:
- `enqueue_learning_records` scans the completed sessions and puts each record (an xAPI statement per
  mentee; with Viva Learning configured, a course activity per mentee) in the outbox under the record's
  own stable id: a second scan, or two scans at once, keeps one row per record. It reads sessions only,
  so it needs nothing from sync's internals: a session sync marks completed is picked up next time.
- `deliver_learning_records` sends what is due. A record is marked sent only after the receiver took it;
  a crash in between leaves it pending, and the resend is harmless (PUT by statement id; Viva looked up
  by its external id before creating). A failure waits BASE_DELAY · 2^(attempts-1), at most MAX_DELAY.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from core.model import Session, SessionState
from core.viva import VivaRecord, viva_records
from core.xapi import XapiConfig, completed_statements
from graph.gateway import GraphGateway
from learning.errors import DeliveryError
from learning.settings import LearningSettings
from store.base import Store
from store.learning_outbox import SENT, LearningOutbox, OutboxItem, OutboxSummary, retried

__all__ = [
    "BASE_DELAY",
    "LOOKBACK",
    "MAX_DELAY",
    "DeliveryResult",
    "deliver_learning_records",
    "enqueue_learning_records",
    "learning_health",
    "log_learning_records",
    "next_attempt",
]

LOOKBACK = timedelta(days=90)  # completed sessions that started this recently are scanned
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
XAPI, VIVA = "xapi", "viva"


class StatementSender(Protocol):
    async def put_statement(self, statement: dict[str, Any]) -> str: ...


class VivaSender(Protocol):
    async def record_course_activity(self, record: VivaRecord) -> str: ...


@dataclass(slots=True)
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def next_attempt(now: datetime, attempts: int) -> datetime:
    """When to try again after the `attempts`-th failure (1-based): 1, 2, 4, … minutes, at most 6 hours."""
    delay: timedelta = min(BASE_DELAY * 2 ** min(attempts - 1, 20), MAX_DELAY)
    return now + delay


def _skills(store: Store, sessions: Iterable[Session]) -> dict[str, str]:
    skills: dict[str, str] = {}
    for session in sessions:
        if session.request_id and session.request_id not in skills:
            request = store.get_request(session.request_id)
            if request is not None:
                skills[session.request_id] = request.skill
    return skills


def enqueue_learning_records(
    store: Store,
    outbox: LearningOutbox,
    xapi: XapiConfig,
    now: datetime,
    *,
    lrs: bool = True,
    viva: bool = False,
) -> int:
    """Put every completed session's records in the outbox (once); how many rows were new."""
    sessions = store.list_sessions(start_from=now - LOOKBACK, start_to=now, states=(SessionState.COMPLETED,))
    skills = _skills(store, sessions)
    items: list[OutboxItem] = []
    for session in sessions:
        skill = skills.get(session.request_id or "")
        if lrs:
            for statement in completed_statements(session, xapi, skill):
                key = f"{XAPI}:{statement['id']}"
                items.append(OutboxItem(key, XAPI, session.id, statement, now, now))
        if viva:
            for record in viva_records(session, skill):
                key = f"{VIVA}:{record.external_course_activity_id}"
                items.append(OutboxItem(key, VIVA, session.id, record.to_json(), now, now))
    return outbox.enqueue(items) if items else 0


async def deliver_learning_records(
    outbox: LearningOutbox,
    now: datetime,
    *,
    lrs: StatementSender | None = None,
    viva: VivaSender | None = None,
    limit: int = 100,
) -> DeliveryResult:
    """Send the due records; each is saved as sent right after the receiver took it."""
    run = asyncio.to_thread
    result = DeliveryResult()
    for item in await run(outbox.due, now, limit):
        try:
            if item.kind == XAPI and lrs is not None:
                outcome = await lrs.put_statement(item.payload)
            elif item.kind == VIVA and viva is not None:
                outcome = await viva.record_course_activity(VivaRecord.from_json(item.payload))
            else:
                continue  # its receiver is not configured now: it waits, counted as pending
        except DeliveryError as exc:
            give_up = exc.permanent
            failed = retried(
                item, error=str(exc), next_attempt_at=next_attempt(now, item.attempts + 1), give_up=give_up
            )
            await run(outbox.save, failed)
            result.errors.append(f"{item.key}: {exc}")
            if give_up:
                result.failed += 1
            else:
                result.retrying += 1
            continue
        await run(outbox.save, replace(item, state=SENT, sent_at=now, outcome=outcome, last_error=None))
        result.sent += 1
    return result


def learning_health(outbox: LearningOutbox) -> dict[str, Any]:
    """For `/api/health`: how many records wait, how many failed, and the last error."""
    summary: OutboxSummary = outbox.summary()
    check: dict[str, Any] = {
        "ok": summary.failed == 0 and summary.retrying == 0,
        "pending": summary.pending,
        "retrying": summary.retrying,
        "failed": summary.failed,
        "sent": summary.sent,
    }
    if summary.last_error:
        check["lastError"] = summary.last_error
    return check


async def log_learning_records(
    store: Store,
    settings: LearningSettings,
    now: datetime,
    *,
    graph: GraphGateway | None = None,
    viva: VivaSender | None = None,
    lrs_transport: Any = None,
) -> dict[str, Any]:
    """One pass, as the timer runs it: enqueue the completed sessions' records, then deliver what is due.

    Viva Learning records are made only when a provider is configured and Graph is at hand (or a `viva`
    sender is given); without an LRS, statements are not made at all."""
    from learning.lrs import LrsClient  # httpx only where an LRS is configured
    from store.learning_outbox import open_outbox

    if viva is None and graph is not None and settings.viva_provider_id is not None:
        from graph.learning import VivaLearning

        viva = VivaLearning(graph, settings.viva_provider_id, settings.viva_content_url or settings.xapi.base)

    outbox = await asyncio.to_thread(open_outbox, store)
    use_viva = viva is not None and settings.viva_provider_id is not None
    queued = await asyncio.to_thread(
        enqueue_learning_records, store, outbox, settings.xapi, now, lrs=settings.lrs is not None, viva=use_viva
    )
    client = LrsClient(settings.lrs, transport=lrs_transport) if settings.lrs is not None else None
    try:
        result = await deliver_learning_records(outbox, now, lrs=client, viva=viva if use_viva else None)
    finally:
        if client is not None:
            await client.aclose()
    return {"queued": queued, "sent": result.sent, "retrying": result.retrying, "failed": result.failed}
