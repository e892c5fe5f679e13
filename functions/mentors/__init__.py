"""The task pane's routes beside booking: GET /api/mentors?skill=… (find a mentor by skill in the
catalogue) and GET/PUT /api/sessions/{id}/checklist (the same 2-10-3 checklist as the session page,
for a signed-in participant; a PUT names the `version` it was based on, 409 when someone saved since)."""

from __future__ import annotations

from typing import Any

import azure.functions as func

from core.checklist import validate_checklist
from core.errors import InputError
from core.model import Checklist
from core.timefmt import iso_z
from functions.auth import respond_as_caller
from functions.model_answers import model_response
from functions.schemas import ChecklistAnswer, ChecklistRequest, MentorsAnswer, MentorsParams, parse_body, parse_query
from identity import Caller, require_participant
from micromentor.bootstrap import runtime
from services.mentor_search import match_to_json, search_mentors
from services.people import object_ids
from services.session_page import checklist_for, save_checklist_of
from services.sessions import get_session

__all__ = ["bp", "checklist_to_json"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="mentors", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def find_mentors(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        found = await search_mentors(
            rt.graph,
            await rt.mentor_catalogue(),
            await rt.policy(),
            parse_query(req, MentorsParams).skill,
            exclude=caller.upn,
        )
        return model_response(MentorsAnswer, {"mentors": [match_to_json(m) for m in found]})

    return await respond_as_caller(req, handle)


def checklist_to_json(checklist: Checklist) -> dict[str, Any]:
    return {
        "sessionId": checklist.session_id,
        "question": checklist.question,
        "options": list(checklist.options),
        "nextStep": checklist.next_step,
        "successIndicator": checklist.success_indicator,
        "version": checklist.version,
        "updatedAt": iso_z(checklist.updated_at) if checklist.updated_at else None,
        "updatedBy": checklist.updated_by,
    }


_NAMES = {"next_step": "nextStep", "success_indicator": "successIndicator"}


@bp.route(route="sessions/{id}/checklist", methods=["GET", "PUT"], auth_level=func.AuthLevel.ANONYMOUS)
async def session_checklist(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        session = await get_session(rt.store, req.route_params.get("id", ""))
        require_participant(caller, await object_ids(rt.graph, [session.mentor, *session.mentees], session.people))
        if req.method.upper() == "GET":
            return model_response(ChecklistAnswer, checklist_to_json(await checklist_for(rt.store, session)))
        body = parse_body(req, ChecklistRequest)
        try:
            fields = validate_checklist(
                question=body.question,
                options=body.options,
                next_step=body.next_step,
                success_indicator=body.success_indicator,
            )
        except InputError as exc:
            raise InputError(_NAMES.get(exc.field, exc.field), exc.message) from None
        person = caller.upn or caller.oid
        saved = await save_checklist_of(rt.store, session, person, fields, based_on=body.version, now=rt.clock())
        return model_response(ChecklistAnswer, checklist_to_json(saved))

    return await respond_as_caller(req, handle)
