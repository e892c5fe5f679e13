"""GET /api/slots: ranked shared free slots (cli.md `slots`)."""

from __future__ import annotations

from datetime import datetime

import azure.functions as func

from core.errors import InputError
from functions.auth import respond_as_caller
from functions.model_answers import model_response
from functions.schemas import SlotsAnswer, SlotsParams, parse_query
from identity import Caller, Forbidden
from micromentor.bootstrap import Runtime, runtime
from micromentor.loopback import is_loopback_url
from services.people import object_ids
from services.slots import SlotQuery, search_slots, slots_to_json, validate_people

bp = func.Blueprint()  # type: ignore[no-untyped-call]

DEFAULT_LIMIT = 5


def _now(asked: datetime | None, rt: Runtime) -> datetime:
    """`now` moves the clock for tests and demos against the emulator; against a real tenant the clock
    is the server's (a client-chosen `now` would search outside the real booking window)."""
    if asked is None:
        return rt.clock()
    graph = rt.settings.graph
    if graph is None or not is_loopback_url(graph.graph_url):
        raise InputError("now", "only accepted against the local Graph emulator")
    return asked


@bp.route(route="slots", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def slots(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        params = parse_query(req, SlotsParams)
        mentor, mentees = validate_people(params.mentor, tuple(params.mentee))
        now = _now(params.now, rt)  # before the access check: that asks the directory, `now` is refused locally
        if not (caller.is_admin or caller.oid.lower() in await object_ids(rt.graph, [mentor, *mentees])):
            # Shared free time is personal: only the people searched for (or an admin) may read it.
            raise Forbidden("only the mentor, a listed mentee or an admin may search these people", field="mentor")
        limit = DEFAULT_LIMIT if params.limit is None else params.limit
        query = SlotQuery(mentor=mentor, mentees=mentees, now=now, minutes=params.minutes, limit=limit)
        answer = await search_slots(rt.graph, await rt.policy(), query)
        return model_response(SlotsAnswer, slots_to_json(answer))

    return await respond_as_caller(req, handle)
