"""Booking routes: POST /api/sessions, GET /api/sessions/{id}, POST /api/sessions/{id}/cancel."""

from __future__ import annotations

from typing import Any

import azure.functions as func

from core.errors import Conflict, InputError, PolicyViolation
from core.model import Session
from core.timefmt import parse_aware
from functions.auth import respond_as_caller
from functions.http import json_body, json_response
from graph.gateway import GraphGateway
from identity import Caller, require_participant
from micromentor.bootstrap import runtime
from services.booking import BookingRequest, book_session, session_to_json
from services.people import object_ids
from services.sessions import cancel_session, get_session
from telemetry import BOOKINGS, CONFLICTS

bp = func.Blueprint()  # type: ignore[no-untyped-call]


def _text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InputError(name, "required, as a string" if value is None else "must be a string")
    return value


def _mentees(body: dict[str, Any]) -> tuple[str, ...]:
    value = body.get("mentees")
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise InputError("mentees", "required, as a list of user principal names")
    return tuple(value)


def _minutes(body: dict[str, Any]) -> int | None:
    value = body.get("minutes")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InputError("minutes", "must be a whole number")
    return value


def booking_request(body: dict[str, Any], key: str | None) -> BookingRequest:
    unknown = set(body) - {"mentor", "mentees", "start", "minutes", "question", "topic"}
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown field")
    return BookingRequest(
        mentor=_text(body, "mentor") or "",
        mentees=_mentees(body),
        start=parse_aware("start", body.get("start")),
        minutes=_minutes(body),
        question=_text(body, "question") or "",
        topic=_text(body, "topic", required=False),
        idempotency_key=key,
    )


async def _session_ids(graph: GraphGateway, session: Session) -> frozenset[str]:
    """The object ids of a session's mentor and mentees: stored at booking, looked up for older ones."""
    return await object_ids(graph, [session.mentor, *session.mentees], session.people)


@bp.route(route="sessions", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def create_session(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        request = booking_request(json_body(req), req.headers.get("Idempotency-Key"))
        # By object id: the request names people by UPN, the caller is their token's oid.
        require_participant(caller, await object_ids(rt.graph, [request.mentor, *request.mentees]))
        try:
            result = await book_session(
                rt.graph, rt.store, rt.tenant_policy(), request, now=rt.clock(), public_url=rt.settings.public_url
            )
        except (Conflict, PolicyViolation) as refused:
            CONFLICTS.add(1, {"reason": "policy" if isinstance(refused, PolicyViolation) else "taken"})
            raise
        if result.created:
            BOOKINGS.add(1)
        return json_response(session_to_json(result.session), 201 if result.created else 200)

    return await respond_as_caller(req, handle)


@bp.route(route="sessions/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def read_session(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        session = await get_session(rt.store, req.route_params.get("id", ""))
        require_participant(caller, await _session_ids(rt.graph, session))
        return json_response(session_to_json(session))

    return await respond_as_caller(req, handle)


@bp.route(route="sessions/{id}/cancel", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def cancel(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        body = json_body(req) if req.get_body() else {}
        unknown = set(body) - {"comment"}
        if unknown:
            raise InputError(sorted(unknown)[0], "unknown field")
        comment = _text(body, "comment", required=False)
        session = await get_session(rt.store, req.route_params.get("id", ""))
        require_participant(caller, await _session_ids(rt.graph, session))
        cancelled = await cancel_session(rt.graph, rt.store, session.id, comment, now=rt.clock())
        return json_response(session_to_json(cancelled))

    return await respond_as_caller(req, handle)
