"""Graph change notifications: POST /api/notifications, and a timer that keeps subscriptions alive.

Graph wants an answer within 3 seconds, so the handler only checks and queues; the sync queue workers
(functions/sync_calendar) do the work.
"""

from __future__ import annotations

import asyncio
import json
import logging

import azure.functions as func

from core.errors import InputError
from functions.http import error_response, json_body, respond
from functions.model_answers import model_response
from functions.schemas import NotificationsParams, QueuedAnswer, parse_query
from micromentor.bootstrap import runtime
from services.notifications import organizers_to_sync, renew_subscriptions
from services.sync import find_sync_work

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)
SYNC_QUEUE = "sync-work"


@bp.route(route="notifications", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.queue_output(arg_name="work", queue_name=SYNC_QUEUE, connection="AzureWebJobsStorage")
async def notifications(req: func.HttpRequest, work: func.Out[list[str]]) -> func.HttpResponse:
    try:
        token = parse_query(req, NotificationsParams).validation_token
    except InputError as exc:
        return error_response(exc)
    if token is not None:
        # Subscription validation: echo the (already URL-decoded) token as text/plain within 10 s. Graph's
        # tokens are short (the model refuses long ones); nosniff keeps a browser from reading it as HTML.
        return func.HttpResponse(
            token, status_code=200, mimetype="text/plain", headers={"X-Content-Type-Options": "nosniff"}
        )

    async def handle() -> func.HttpResponse:
        rt = runtime()
        found = await asyncio.to_thread(organizers_to_sync, rt.store, json_body(req), rt.settings.notification_state)
        work.set([json.dumps({"organizer": organizer}) for organizer in found.organizers])
        if found.rejected:
            log.warning("notifications: dropped %d items with a wrong clientState or subscription", found.rejected)
        return model_response(QueuedAnswer, {"queued": list(found.organizers), "rejected": found.rejected}, 202)

    return await respond(handle)


@bp.timer_trigger(arg_name="timer", schedule="0 0 */6 * * *", run_on_startup=False, use_monitor=True)
async def renew_graph_subscriptions(timer: func.TimerRequest) -> None:
    rt = runtime()
    counts = await renew_subscriptions(
        rt.graph,
        rt.store,
        await asyncio.to_thread(find_sync_work, rt.store),
        notification_url=f"{rt.settings.public_url.rstrip('/')}/api/notifications",
        client_state=rt.settings.notification_state,
        now=rt.clock(),
    )
    log.info("subscriptions: %s", counts)
