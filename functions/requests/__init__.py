"""POST /api/requests: a signed-in mentee asks for help; micromentor records the request and books it.

The mentee is the caller (the body's `mentee` may be left out); naming someone else needs the app role
`Mentoring.Admin`. 201 with the request and its sessions; 200 when the `Idempotency-Key` was seen
before (same request, nothing new booked); 422 with the reasons when no mentor could be booked.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.auth import respond_as_caller
from functions.model_answers import model_response
from functions.schemas import MentoringRequest, RequestAnswer, parse_body
from identity import Caller, Forbidden
from micromentor.bootstrap import runtime
from services.people import object_ids
from services.requests import outcome_to_json, submit_request

__all__ = ["bp"]

log = logging.getLogger(__name__)

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="requests", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def create_request(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        body = parse_body(req, MentoringRequest)
        data = body.to_input(req.headers.get("Idempotency-Key"), default_mentee=caller.upn or None)
        # The token's upn only fills in a left-out mentee; whether it is the caller is the object id's say.
        if not caller.is_admin and caller.oid.lower() not in await object_ids(rt.graph, [data.mentee]):
            raise Forbidden("you can ask for mentoring for yourself only (others need the app role Mentoring.Admin)")
        catalogue = await rt.mentor_catalogue()
        outcome = await submit_request(
            rt.graph,
            rt.store,
            await rt.policy(),
            catalogue,
            data,
            now=rt.clock(),
            public_url=rt.settings.public_url,
            link_secret=rt.settings.link_secret,
        )
        log.info(
            "request %s for %s: %d session(s) booked, %d unmet",
            outcome.request.id,
            outcome.request.mentee,
            len(outcome.sessions),
            len(outcome.unmet),
        )
        return model_response(RequestAnswer, outcome_to_json(outcome), 201 if outcome.created else 200)

    return await respond_as_caller(req, handle)
