"""Admin routes (app role `Mentoring.Admin`): GET/PUT /api/admin/policy, GET /api/admin/policy/history,
GET /api/admin/report, GET /api/admin/doctor, POST /api/admin/onboarding.

The Azure Functions host reserves route templates that start with `admin` for its own admin API and
refuses to register them ("The specified route conflicts with one or more built in routes"), whatever
the `api` prefix. The templates therefore start with a route parameter constrained to the one value
`admin`: the URLs stay those of http-api.md and the host has no literal `admin` to object to.
"""

from __future__ import annotations

import azure.functions as func

from functions.auth import respond_as_caller
from functions.http import json_body
from functions.model_answers import model_response
from functions.schemas import (
    DoctorAnswer,
    DoctorParams,
    OnboardingAnswer,
    OnboardingRequest,
    PolicyHistoryAnswer,
    PolicyStateAnswer,
    ReportParams,
    parse_body,
    parse_query,
)
from identity import ADMIN_ROLE, Caller
from micromentor.bootstrap import Runtime, runtime
from micromentor.settings import is_local_emulator
from services.doctor import DoctorInput, checks_to_json, run_doctor
from services.onboarding import onboard_cohort, onboarding_to_json
from services.policy_admin import (
    parse_if_match,
    policy_history,
    policy_state_to_json,
    read_policy,
    replace_policy,
)
from services.report import ReportOptions, ReportQuery, report_for

__all__ = ["ADMIN_ROUTE", "bp"]

ADMIN_ROUTE = "{area:regex(^admin$)}"

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route=f"{ADMIN_ROUTE}/policy", methods=["GET", "PUT"], auth_level=func.AuthLevel.ANONYMOUS)
async def tenant_policy(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        if req.method.upper() == "PUT":
            expected = parse_if_match(req.headers.get("If-Match"))
            state = await replace_policy(
                rt.store, json_body(req), changed_by=caller.principal, now=rt.clock(), expected_version=expected
            )
        else:
            state = await read_policy(rt.store, await rt.policy())
        return model_response(PolicyStateAnswer, policy_state_to_json(state), headers={"ETag": state.etag})

    return await respond_as_caller(req, handle, role=ADMIN_ROLE)


@bp.route(route=f"{ADMIN_ROUTE}/policy/history", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def tenant_policy_history(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        versions = await policy_history(runtime().store)
        return model_response(PolicyHistoryAnswer, {"versions": [policy_state_to_json(v) for v in versions]})

    return await respond_as_caller(req, handle, role=ADMIN_ROLE)


@bp.route(route=f"{ADMIN_ROUTE}/report", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def metrics_report(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        params = parse_query(req, ReportParams)
        query = ReportQuery(
            format=params.format,
            period_from=params.period_from,
            period_to=params.period_to,
            quarter=params.quarter,
            tz=params.tz,
            viewer=caller.upn or None,
        )
        graph = rt.graph if rt.settings.graph is not None else None
        options = ReportOptions(rt.settings.report_min_segment, rt.settings.report_work_mode_attribute)
        content_type, text = await report_for(
            query, rt.store, await rt.policy(), now=rt.clock(), graph=graph, options=options, outbox=rt.outbox,
            series_store=rt.series,
        )  # fmt: skip
        return func.HttpResponse(text, status_code=200, mimetype=content_type.split(";")[0], charset="utf-8")

    return await respond_as_caller(req, handle, role=ADMIN_ROLE)


def _doctor_input(rt: Runtime, mentors: tuple[str, ...]) -> DoctorInput:
    graph = rt.settings.graph
    return DoctorInput(
        graph=graph,
        settings=rt.settings,
        open_store=lambda: rt.store,
        now=rt.clock(),
        real_tenant=graph is None or not is_local_emulator(graph),
        mentors=mentors,
        mentors_file=rt.mentors_file(),
        queues=rt.queues,
        mail_sender=rt.settings.mail_sender,
    )


@bp.route(route=f"{ADMIN_ROUTE}/doctor", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def doctor(req: func.HttpRequest) -> func.HttpResponse:
    """200 with every check, failed ones included: the body says what is wrong, not the status."""

    async def handle(caller: Caller) -> func.HttpResponse:
        # ?mentor=a@x,b@x: mentors to check besides the mentors file and those of stored sessions.
        mentors = parse_query(req, DoctorParams).mentors()
        return model_response(DoctorAnswer, checks_to_json(await run_doctor(_doctor_input(runtime(), mentors))))

    return await respond_as_caller(req, handle, role=ADMIN_ROLE)


@bp.route(route=f"{ADMIN_ROUTE}/onboarding", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def onboarding(req: func.HttpRequest) -> func.HttpResponse:
    """200 with every joiner: placed ones with their sessions, the others with the reason (docs/onboarding.md)."""

    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        body = parse_body(req, OnboardingRequest)
        rows = body.to_rows()
        result = await onboard_cohort(
            rt.graph, rt.store, await rt.policy(), await rt.mentor_catalogue(), rows, now=rt.clock(),
            public_url=rt.settings.public_url, link_secret=rt.settings.link_secret, dry_run=body.dry_run,
        )  # fmt: skip
        return model_response(OnboardingAnswer, onboarding_to_json(result))

    return await respond_as_caller(req, handle, role=ADMIN_ROLE)
