"""GET /api/health: liveness, with Graph and storage reachability."""

from __future__ import annotations

import azure.functions as func

from functions.http import respond
from functions.model_answers import model_response
from functions.schemas import HealthAnswer
from micromentor.bootstrap import runtime
from services.health import check_health

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    async def handle() -> func.HttpResponse:
        report = await check_health(runtime())
        return model_response(HealthAnswer, report, 200 if report["status"] == "ok" else 503)

    return await respond(handle)
