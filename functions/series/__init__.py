"""Series (issue 16): POST /api/series (the mentor, the mentee or an admin starts one: its first session
is booked at once), GET /api/series/{id} (its people or an admin), POST /api/series/{id}/stop (the mentor
or the mentee; an admin names whom they act for in `by`; anyone else gets the 404 of an unknown id), and
the timer that books each next session (services/series.py). Bodies are read by the models of
functions/schemas.py (docs/openapi.json)."""

from __future__ import annotations

import asyncio
import logging

import azure.functions as func

from core.errors import InputError
from core.series import Series
from functions.auth import respond_as_caller
from functions.model_answers import model_response
from functions.schemas import SeriesAnswer, SeriesRequest, StopSeriesRequest, parse_body
from identity import Caller, require_participant
from micromentor.bootstrap import Runtime, runtime
from services.people import object_ids
from services.series import (
    get_series,
    series_round,
    series_to_json,
    start_series,
    stop_series,
)
from store.series import SeriesNotFound, SeriesStore

__all__ = ["bp"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)


def _series_store(rt: Runtime) -> SeriesStore:
    return rt.series


async def _own_series(rt: Runtime, caller: Caller, series_id: str) -> Series:
    """The series, for its mentor, its mentee or an admin. Anyone else gets the same 404 as for a series
    that does not exist, so the answer never tells a stranger that an id is taken."""
    series = await get_series(_series_store(rt), series_id)
    if not caller.is_admin and caller.oid.lower() not in await object_ids(rt.graph, [series.mentor, series.mentee]):
        raise SeriesNotFound(series_id)
    return series


@bp.route(route="series", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def start_series_route(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        draft = parse_body(req, SeriesRequest).to_draft(
            created_by=caller.upn, idempotency_key=req.headers.get("Idempotency-Key")
        )
        require_participant(
            caller, await object_ids(rt.graph, [draft.mentor.strip().lower(), draft.mentee.strip().lower()])
        )
        started = await start_series(
            rt.graph, rt.store, _series_store(rt), await rt.policy(), draft,
            now=rt.clock(), public_url=rt.settings.public_url, link_secret=rt.settings.link_secret,
        )  # fmt: skip
        body = series_to_json(started.series, [started.session])
        return model_response(SeriesAnswer, body, 201 if started.created else 200)

    return await respond_as_caller(req, handle)


@bp.route(route="series/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def read_series_route(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        series = await _own_series(rt, caller, req.route_params.get("id", ""))
        sessions = [await asyncio.to_thread(rt.store.get_session, sid) for sid in series.session_ids]
        return model_response(SeriesAnswer, series_to_json(series, [s for s in sessions if s is not None]))

    return await respond_as_caller(req, handle)


@bp.route(route="series/{id}/stop", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def stop_series_route(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        named = parse_body(req, StopSeriesRequest, optional=True).by
        store = _series_store(rt)
        series = await _own_series(rt, caller, req.route_params.get("id", ""))
        # Who stops is proven by object id: the caller is the mentor or the mentee; an admin says whom.
        if caller.oid.lower() in await object_ids(rt.graph, [series.mentor]):
            by = series.mentor
        elif caller.oid.lower() in await object_ids(rt.graph, [series.mentee]):
            by = series.mentee
        else:  # an admin (_own_series let nobody else through)
            if named is None:
                raise InputError("by", "required for an admin: the mentor or the mentee the stop is for")
            by = named
        if named is not None and not caller.is_admin and named.strip().lower() != by:
            raise InputError("by", "only an admin names whom a stop is for: leave it out to stop as yourself")
        stopped = await stop_series(store, series.id, by=by, now=rt.clock())
        return model_response(SeriesAnswer, series_to_json(stopped))

    return await respond_as_caller(req, handle)


@bp.timer_trigger(arg_name="timer", schedule="0 10,40 * * * *", run_on_startup=False, use_monitor=True)
async def book_next_series_sessions(timer: func.TimerRequest) -> None:
    """Twice an hour: book each series' next session when it is due (one host per occurrence)."""
    rt = runtime()
    done = await series_round(
        rt.graph, rt.store, await rt.policy(), now=rt.clock(), public_url=rt.settings.public_url,
        link_secret=rt.settings.link_secret, series_store=rt.series, outbox=rt.outbox,
    )  # fmt: skip
    log.info("book_next_series_sessions: %s", done)
