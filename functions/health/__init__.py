"""GET /api/health: liveness, with Graph and storage reachability."""

from __future__ import annotations

import azure.functions as func

from functions.http import json_response, respond
from micromentor.bootstrap import runtime
from services.health import check_health

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    async def handle() -> func.HttpResponse:
        report = await check_health(runtime())
        return json_response(report, 200 if report["status"] == "ok" else 503)

    return await respond(handle)
