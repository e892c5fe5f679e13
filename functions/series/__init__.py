"""Series (issue 16): POST /api/series (the mentor, the mentee or an admin starts one: its first session
is booked at once), GET /api/series/{id} (its people or an admin), POST /api/series/{id}/stop (the mentor
or the mentee; an admin names whom they act for in `by`), and the timer that books each next session
(services/series.py). The request is read by `parse_series_request`, beside the handler."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import azure.functions as func

from core.errors import InputError
from core.timefmt import parse_aware
from functions.auth import respond_as_caller
from functions.http import json_body, json_response
from identity import Caller, Forbidden, require_participant
from micromentor.bootstrap import Runtime, runtime
from services.people import object_ids
from services.series import (
    DEFAULT_MINUTES,
    SeriesDraft,
    get_series,
    series_round,
    series_to_json,
    start_series,
    stop_series,
)
from store.series import SeriesStore

__all__ = ["bp", "parse_series_request"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)

_FIELDS = {"mentor", "mentee", "start", "question", "topic", "minutes", "intervalDays", "count", "bookAheadDays"}


def _text(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(name, "required, as a string" if value is None else "must be a non-empty string")
    return value


def _whole(body: dict[str, Any], name: str, default: int | None) -> int | None:
    value = body.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InputError(name, "must be a whole number")
    return value


def parse_series_request(body: dict[str, Any], *, created_by: str, key: str | None) -> SeriesDraft:
    """The body of POST /api/series; every error names its field. Ranges are checked by the service."""
    unknown = set(body) - _FIELDS
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown field")
    return SeriesDraft(
        mentor=_text(body, "mentor", required=True) or "",
        mentee=_text(body, "mentee", required=True) or "",
        start=parse_aware("start", body.get("start")),
        question=_text(body, "question", required=True) or "",
        topic=_text(body, "topic", required=False),
        minutes=_whole(body, "minutes", DEFAULT_MINUTES) or 0,
        interval_days=_whole(body, "intervalDays", 14) or 0,
        count=_whole(body, "count", None),
        book_ahead_days=_whole(body, "bookAheadDays", None),
        created_by=created_by,
        idempotency_key=key,
    )


def _series_store(rt: Runtime) -> SeriesStore:
    return rt.series


@bp.route(route="series", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def start_series_route(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        draft = parse_series_request(json_body(req), created_by=caller.upn, key=req.headers.get("Idempotency-Key"))
        require_participant(
            caller, await object_ids(rt.graph, [draft.mentor.strip().lower(), draft.mentee.strip().lower()])
        )
        started = await start_series(
            rt.graph, rt.store, _series_store(rt), rt.tenant_policy(), draft,
            now=rt.clock(), public_url=rt.settings.public_url, link_secret=rt.settings.link_secret,
        )  # fmt: skip
        body = series_to_json(started.series, [started.session])
        return json_response(body, 201 if started.created else 200)

    return await respond_as_caller(req, handle)


@bp.route(route="series/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def read_series_route(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        series = await get_series(_series_store(rt), req.route_params.get("id", ""))
        require_participant(caller, await object_ids(rt.graph, [series.mentor, series.mentee]))
        sessions = [await asyncio.to_thread(rt.store.get_session, sid) for sid in series.session_ids]
        return json_response(series_to_json(series, [s for s in sessions if s is not None]))

    return await respond_as_caller(req, handle)


@bp.route(route="series/{id}/stop", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def stop_series_route(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        body = json_body(req) if req.get_body() else {}
        unknown = set(body) - {"by"}
        if unknown:
            raise InputError(sorted(unknown)[0], "unknown field")
        store = _series_store(rt)
        series = await get_series(store, req.route_params.get("id", ""))
        # Who stops is proven by object id: the caller is the mentor or the mentee; an admin says whom.
        if caller.oid.lower() in await object_ids(rt.graph, [series.mentor]):
            by = series.mentor
        elif caller.oid.lower() in await object_ids(rt.graph, [series.mentee]):
            by = series.mentee
        elif caller.is_admin:
            by = (_text(body, "by", required=True) or "").strip().lower()
        else:
            raise Forbidden("only the mentor, the mentee or an admin may stop this series", field="id")
        stopped = await stop_series(store, series.id, by=by, now=rt.clock())
        return json_response(series_to_json(stopped))

    return await respond_as_caller(req, handle)


@bp.timer_trigger(arg_name="timer", schedule="0 10,40 * * * *", run_on_startup=False, use_monitor=True)
async def book_next_series_sessions(timer: func.TimerRequest) -> None:
    """Twice an hour: book each series' next session when it is due (one host per occurrence)."""
    rt = runtime()
    done = await series_round(
        rt.graph, rt.store, rt.tenant_policy(), now=rt.clock(), public_url=rt.settings.public_url,
        link_secret=rt.settings.link_secret,
    )  # fmt: skip
    log.info("book_next_series_sessions: %s", done)
