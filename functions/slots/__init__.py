"""GET /api/slots: ranked shared free slots (cli.md `slots`)."""

from __future__ import annotations

from datetime import datetime

import azure.functions as func

from core.errors import InputError
from core.timefmt import parse_aware
from functions.auth import respond_as_caller
from functions.http import json_response
from identity import Caller, Forbidden
from micromentor.bootstrap import Runtime, runtime
from micromentor.loopback import is_loopback_url
from services.people import object_ids
from services.slots import SlotQuery, search_slots, slots_to_json, validate_people

bp = func.Blueprint()  # type: ignore[no-untyped-call]

DEFAULT_LIMIT = 5


def _int_param(req: func.HttpRequest, name: str) -> int | None:
    raw = req.params.get(name)
    if raw is None:
        return None
    # ASCII digits only: int() also takes fullwidth digits and " 15_0 ", which no client means.
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise InputError(name, f"expected a whole number, got {raw[:40]!r}")
    return int(raw)


def _mentees(req: func.HttpRequest) -> tuple[str, ...]:
    # Functions gives one value per query key; accept `mentee=a&mentee=b` and `mentee=a,b`.
    from urllib.parse import parse_qs, urlsplit

    values = parse_qs(urlsplit(req.url).query).get("mentee") or [req.params.get("mentee") or ""]
    return tuple(m for value in values for m in value.split(",") if m.strip())


def _now(req: func.HttpRequest, rt: Runtime) -> datetime:
    """`now` moves the clock for tests and demos against the emulator; against a real tenant the clock
    is the server's (a client-chosen `now` would search outside the real booking window)."""
    raw = req.params.get("now")
    if raw is None:
        return rt.clock()
    graph = rt.settings.graph
    if graph is None or not is_loopback_url(graph.graph_url):
        raise InputError("now", "only accepted against the local Graph emulator")
    return parse_aware("now", raw)


@bp.route(route="slots", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def slots(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        mentor, mentees = validate_people(req.params.get("mentor", ""), _mentees(req))
        now = _now(req, rt)  # before the access check: that asks the directory, `now` is refused locally
        if not (caller.is_admin or caller.oid.lower() in await object_ids(rt.graph, [mentor, *mentees])):
            # Shared free time is personal: only the people searched for (or an admin) may read it.
            raise Forbidden("only the mentor, a listed mentee or an admin may search these people", field="mentor")
        limit = _int_param(req, "limit")
        query = SlotQuery(
            mentor=mentor,
            mentees=mentees,
            now=now,
            minutes=_int_param(req, "minutes"),
            limit=DEFAULT_LIMIT if limit is None else limit,
        )
        answer = await search_slots(rt.graph, rt.tenant_policy(), query)
        return json_response(slots_to_json(answer))

    return await respond_as_caller(req, handle)
