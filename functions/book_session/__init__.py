"""Booking routes: POST /api/sessions, GET /api/sessions/{id}, POST /api/sessions/{id}/cancel."""

from __future__ import annotations

import azure.functions as func

from core.errors import Conflict, PolicyViolation
from core.model import Session
from functions.auth import respond_as_caller
from functions.model_answers import model_response
from functions.schemas import CancelRequest, SessionAnswer, SessionRequest, parse_body
from graph.gateway import GraphGateway
from identity import Caller, require_participant
from micromentor.bootstrap import runtime
from services.booking import book_session, session_to_json
from services.people import object_ids
from services.sessions import cancel_session, get_session
from telemetry import BOOKINGS, CONFLICTS

bp = func.Blueprint()  # type: ignore[no-untyped-call]


async def _session_ids(graph: GraphGateway, session: Session) -> frozenset[str]:
    """The object ids of a session's mentor and mentees: stored at booking, looked up for older ones."""
    return await object_ids(graph, [session.mentor, *session.mentees], session.people)


@bp.route(route="sessions", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def create_session(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        request = parse_body(req, SessionRequest).to_request(req.headers.get("Idempotency-Key"))
        # By object id: the request names people by UPN, the caller is their token's oid.
        require_participant(caller, await object_ids(rt.graph, [request.mentor, *request.mentees]))
        try:
            result = await book_session(
                rt.graph,
                rt.store,
                await rt.policy(),
                request,
                now=rt.clock(),
                public_url=rt.settings.public_url,
                link_secret=rt.settings.link_secret,
                mail_sender=rt.settings.mail_sender,
            )
        except (Conflict, PolicyViolation) as refused:
            CONFLICTS.add(1, {"reason": "policy" if isinstance(refused, PolicyViolation) else "taken"})
            raise
        if result.created:
            BOOKINGS.add(1)
        return model_response(SessionAnswer, session_to_json(result.session), 201 if result.created else 200)

    return await respond_as_caller(req, handle)


@bp.route(route="sessions/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def read_session(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        session = await get_session(rt.store, req.route_params.get("id", ""))
        require_participant(caller, await _session_ids(rt.graph, session))
        return model_response(SessionAnswer, session_to_json(session))

    return await respond_as_caller(req, handle)


@bp.route(route="sessions/{id}/cancel", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def cancel(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        comment = parse_body(req, CancelRequest, optional=True).comment
        session = await get_session(rt.store, req.route_params.get("id", ""))
        # A group session is the mentor's: a mentee leaves it (gives the seat back) but cannot cancel it.
        cancellers = await object_ids(rt.graph, [session.mentor], session.people) if session.is_group else None
        require_participant(caller, cancellers or await _session_ids(rt.graph, session))
        cancelled = await cancel_session(rt.graph, rt.store, session.id, comment, now=rt.clock())
        return model_response(SessionAnswer, session_to_json(cancelled))

    return await respond_as_caller(req, handle)
