"""GET /api/slots: ranked shared free slots (cli.md `slots`)."""

from __future__ import annotations

import azure.functions as func

from core.errors import InputError
from core.timefmt import parse_aware
from functions.http import json_response
from identity import Caller
from identity.functions import respond_as_caller
from micromentor.bootstrap import runtime
from services.slots import SlotQuery, search_slots, slots_to_json

bp = func.Blueprint()  # type: ignore[no-untyped-call]

DEFAULT_LIMIT = 5


def _int_param(req: func.HttpRequest, name: str) -> int | None:
    raw = req.params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise InputError(name, f"expected a whole number, got {raw!r}") from exc


def _mentees(req: func.HttpRequest) -> tuple[str, ...]:
    # Functions gives one value per query key; accept `mentee=a&mentee=b` and `mentee=a,b`.
    from urllib.parse import parse_qs, urlsplit

    values = parse_qs(urlsplit(req.url).query).get("mentee") or [req.params.get("mentee") or ""]
    return tuple(m for value in values for m in value.split(",") if m.strip())


@bp.route(route="slots", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def slots(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        now = parse_aware("now", req.params["now"]) if req.params.get("now") else rt.clock()
        limit = _int_param(req, "limit")
        query = SlotQuery(
            mentor=req.params.get("mentor", ""),
            mentees=_mentees(req),
            now=now,
            minutes=_int_param(req, "minutes"),
            limit=DEFAULT_LIMIT if limit is None else limit,
        )
        answer = await search_slots(rt.graph, rt.tenant_policy(), query)
        return json_response(slots_to_json(answer))

    return await respond_as_caller(req, handle)
