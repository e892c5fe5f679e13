"""Sync: a timer plans the work, one queue message per organizer, and queue workers apply it.

The fan-out through an Azure Storage queue lets the Functions host scale sync out; a message that
fails `maxDequeueCount` times (host.json) lands in `sync-work-poison`, where it is kept for inspection.
"""

from __future__ import annotations

import asyncio
import json
import logging

import azure.functions as func

from micromentor.bootstrap import runtime
from services.claims import release_orphan_claims
from services.sync import find_sync_work, sync_organizer
from telemetry import SESSIONS_DECIDED, record_sync_lag

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)
SYNC_QUEUE = "sync-work"


@bp.timer_trigger(arg_name="timer", schedule="0 */5 * * * *", run_on_startup=False, use_monitor=True)
@bp.queue_output(arg_name="work", queue_name=SYNC_QUEUE, connection="AzureWebJobsStorage")
async def plan_sync(timer: func.TimerRequest, work: func.Out[list[str]]) -> None:
    rt = runtime()
    freed = await asyncio.to_thread(release_orphan_claims, rt.store, rt.clock())
    organizers = await asyncio.to_thread(find_sync_work, rt.store)
    queued = rt.clock().isoformat()
    work.set([json.dumps({"organizer": organizer, "queued": queued}) for organizer in organizers])
    log.info("plan_sync: queued %d organizers, freed %d orphan slot claims", len(organizers), freed)


@bp.queue_trigger(arg_name="message", queue_name=SYNC_QUEUE, connection="AzureWebJobsStorage")
async def sync_work(message: func.QueueMessage) -> None:
    body = json.loads(message.get_body().decode("utf-8"))
    organizer = str(body["organizer"])
    rt = runtime()
    result = await sync_organizer(rt.graph, rt.store, await rt.policy(), organizer, now=rt.clock())
    for state, count in result.decided.items():
        SESSIONS_DECIDED.add(count, {"state": state})
    record_sync_lag(body.get("queued"), rt.clock())
    log.info("sync_work %s: %s", organizer, result)
