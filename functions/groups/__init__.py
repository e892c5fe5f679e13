"""Group flash sessions (issue 16): POST /api/groups (the mentor or an admin publishes one),
GET /api/groups/{id}, POST|DELETE /api/groups/{id}/join and POST /api/groups/{id}/leave (a mentee, or an
admin for them), and the signed link: GET /api/group-links/{token} (anonymous: what the session is) and
POST /api/group-links/{token}/join (signed in: take a seat). A full session is a 409 `group_full` whose
`alternatives` are the mentor's next open group sessions."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import azure.functions as func

from core.errors import InputError, NotFound
from core.model import Session
from core.timefmt import iso_z
from functions.auth import respond_as_caller
from functions.model_answers import model_response
from functions.schemas import GroupAnswer, GroupRequest, GroupSummary, SeatRequest, parse_body
from identity import Caller, Forbidden, require_participant
from micromentor.bootstrap import Runtime, runtime
from services.groups import PageLinks, group_to_json, join_group, leave_group, publish_group
from services.links import make_link, read_link
from services.people import object_ids

bp = func.Blueprint()  # type: ignore[no-untyped-call]

LINK_TTL = timedelta(days=14)


def _link(rt: Runtime, session: Session) -> dict[str, str]:
    expires = min(session.start, rt.clock() + LINK_TTL)
    ttl = max(expires - rt.clock(), timedelta(seconds=1))
    token = make_link(session.mentor, secret=rt.settings.link_secret, now=rt.clock(), ttl=ttl, group=session.id)
    return {"url": f"{rt.settings.public_url.rstrip('/')}/api/group-links/{token}", "token": token}


def _visible(caller: Caller, session: Session, ids: frozenset[str]) -> dict[str, Any]:
    body = group_to_json(session)
    if not (caller.is_admin or caller.oid.lower() in ids):
        body.pop("mentees")  # who else joined is for the people in it
    return body


@bp.route(route="groups", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def publish(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        draft = parse_body(req, GroupRequest).to_draft()
        if not (caller.is_admin or caller.oid.lower() in await object_ids(rt.graph, [draft.mentor])):
            raise Forbidden("only the mentor or an admin may publish this mentor's group sessions", field="mentor")
        session = await publish_group(
            rt.graph,
            rt.store,
            await rt.policy(),
            draft,
            now=rt.clock(),
            public_url=rt.settings.public_url,
            links=_page_links(rt),
        )
        return model_response(GroupAnswer, {**group_to_json(session), "link": _link(rt, session)}, 201)

    return await respond_as_caller(req, handle)


def _page_links(rt: Runtime) -> PageLinks:
    """Each person's own session-page link, mailed as for a 1:1 session (docs/group-sessions.md)."""
    return PageLinks(rt.settings.link_secret, rt.settings.public_url, rt.settings.mail_sender)


async def _group(rt: Runtime, group_id: str) -> Session:
    session = await asyncio.to_thread(rt.store.get_session, group_id) if group_id else None
    if session is None or not session.is_group:
        raise NotFound("id", f"no group session {group_id[:64]!r}")
    return session


@bp.route(route="groups/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def read(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        session = await _group(rt, req.route_params.get("id", ""))
        ids = await object_ids(rt.graph, [session.mentor, *session.mentees])
        return model_response(GroupAnswer, _visible(caller, session, ids))

    return await respond_as_caller(req, handle)


async def _mentee(req: func.HttpRequest, caller: Caller) -> str:
    """The body's `mentee` (an admin acting for someone), else the caller; proven by object id."""
    mentee = parse_body(req, SeatRequest, optional=True).mentee or caller.upn.strip().lower()
    if not mentee:
        raise InputError("mentee", "a user principal name is required")
    require_participant(caller, await object_ids(runtime().graph, [mentee]))
    return mentee


async def _join(req: func.HttpRequest, caller: Caller, group_id: str) -> func.HttpResponse:
    rt = runtime()
    mentee = await _mentee(req, caller)
    session = await join_group(rt.graph, rt.store, group_id, mentee, now=rt.clock(), links=_page_links(rt))
    return model_response(GroupAnswer, group_to_json(session))


async def _leave(req: func.HttpRequest, caller: Caller) -> func.HttpResponse:
    rt = runtime()
    mentee = await _mentee(req, caller)
    session = await leave_group(rt.graph, rt.store, req.route_params.get("id", ""), mentee, now=rt.clock())
    return model_response(GroupAnswer, group_to_json(session))


@bp.route(route="groups/{id}/join", methods=["POST", "DELETE"], auth_level=func.AuthLevel.ANONYMOUS)
async def join(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        if req.method.upper() == "DELETE":
            return await _leave(req, caller)
        return await _join(req, caller, req.route_params.get("id", ""))

    return await respond_as_caller(req, handle)


@bp.route(route="groups/{id}/leave", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def leave(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        return await _leave(req, caller)

    return await respond_as_caller(req, handle)


def _group_from_link(rt: Runtime, token: str) -> str:
    claims = read_link(token, secret=rt.settings.link_secret, now=rt.clock())
    if claims.group is None:
        raise InputError("token", "this link is a booking link, not a group session's")
    return claims.group


@bp.route(route="group-links/{token}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def link_summary(req: func.HttpRequest) -> func.HttpResponse:
    """Anonymous, like a booking link's page: the signature is the authority; no mentee is named."""
    from functions.http import respond

    async def call() -> func.HttpResponse:
        rt = runtime()
        session = await _group(rt, _group_from_link(rt, req.route_params.get("token", "")))
        body = group_to_json(session)
        body.pop("mentees")
        body.pop("joinUrl")
        body["expires"] = iso_z(session.start)
        return model_response(GroupSummary, body)

    return await respond(call)


@bp.route(route="group-links/{token}/join", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def link_join(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        return await _join(req, caller, _group_from_link(rt, req.route_params.get("token", "")))

    return await respond_as_caller(req, handle)
