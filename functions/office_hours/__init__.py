"""A mentor's office hours: GET and PUT /api/mentors/{mentor}/office-hours, for the mentor themselves
(by object id) or an admin. The body of a PUT is `{"officeHours": [{"day", "start", "end"}, ...]}`."""

from __future__ import annotations

import azure.functions as func

from core.errors import InputError
from functions.auth import respond_as_caller
from functions.model_answers import model_response
from functions.schemas import OfficeHoursAnswer, OfficeHoursRequest, parse_body
from identity import Caller, require_participant
from micromentor.bootstrap import runtime
from services.office_hours import mentor_office_hours, set_office_hours
from services.people import object_ids

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="mentors/{mentor}/office-hours", methods=["GET", "PUT"], auth_level=func.AuthLevel.ANONYMOUS)
async def office_hours(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        mentor = req.route_params.get("mentor", "").strip().lower()
        if not mentor:
            raise InputError("mentor", "a user principal name is required")
        require_participant(caller, await object_ids(rt.graph, [mentor]))
        if req.method.upper() == "PUT":
            body = parse_body(req, OfficeHoursRequest)
            await set_office_hours(
                rt.store,
                await rt.policy(),
                mentor,
                [window.model_dump() for window in body.office_hours],
                changed_by=caller.principal,
                now=rt.clock(),
            )
        windows = await mentor_office_hours(rt.store, await rt.policy(), mentor)
        return model_response(OfficeHoursAnswer, {"mentor": mentor, "officeHours": windows})

    return await respond_as_caller(req, handle)
