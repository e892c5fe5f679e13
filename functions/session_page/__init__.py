"""GET and POST /api/session-page/{token}: the page an attendee's invitation link opens (no bearer token:
the signed link, bound to the session and the attendee, is the authority; services.session_links).

POST takes the page's forms (`application/x-www-form-urlencoded`, field `do` = checklist, cancel, move,
stop-series or repeat) and answers with the page again (a move: 303 to the new session's page). Refusals are pages
too: a tampered link 400, an expired one 410, an unknown session 404; a form field that fails 400
naming the field beside it, a checklist saved meanwhile by someone else 409 with both texts, a move
the policy forbids 422.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC
from typing import Any
from urllib.parse import unquote_to_bytes

import azure.functions as func

from core.errors import Conflict, InputError, NotFound, PolicyViolation
from core.model import Checklist, SessionState
from core.text import check_text
from core.timefmt import parse_aware
from functions.links import _PAGE_HEADERS
from functions.session_page.page import CONTENT_SECURITY_POLICY, refusal_page, session_page
from graph.errors import GraphError, GraphUnavailable
from micromentor.bootstrap import Runtime, runtime
from services.links import LinkExpired, LinkInvalid, make_link
from services.series_page import repeat_from_page, series_panel, stop_series_from_page
from services.session_links import SessionLinkClaims, make_session_link, read_session_link, session_link_expiry
from services.session_page import SessionView, cancel_from_page, move_from_page, save_checklist, session_view
from services.sessions import get_session

__all__ = ["bp"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)

MAX_FORM_BYTES = 16 * 1024
_HEADERS = {**_PAGE_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
_FORM_FIELDS = frozenset({"do", "version", "question", "option1", "option2", "option3", "next_step"})
_FORM_FIELDS |= {"success_indicator", "confirm", "start", "interval_days"}


def _html(text: str, status: int = 200, extra: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        text, status_code=status, mimetype="text/html", charset="utf-8", headers={**_HEADERS, **(extra or {})}
    )


def _refused(title: str, message: str, status: int, extra: dict[str, str] | None = None) -> func.HttpResponse:
    return _html(refusal_page(title, message), status, extra)


async def _page_errors(call: Callable[[], Awaitable[func.HttpResponse]]) -> func.HttpResponse:
    """The refusals every request of this page may meet, as pages in plain words."""
    try:
        return await call()
    except LinkExpired as exc:
        return _refused(
            "This link has expired",
            f"This session link expired on {exc.expires:%d %B %Y at %H:%M} UTC, 30 days after the session.",
            410,
        )
    except LinkInvalid as exc:
        log.info("refused session link: %s (%s)", exc.reason, exc.message)
        return _refused(
            "This link was changed",
            "This link was changed after it was made, or part of it is missing, so it cannot be used. "
            "Open the session from the invitation in your calendar.",
            400,
        )
    except NotFound as exc:
        return _refused("This session is not available", exc.message[:1].upper() + exc.message[1:] + ".", 404)
    except GraphUnavailable as exc:
        after = str(math.ceil(exc.retry_after)) if exc.retry_after is not None else "30"
        return _refused("Please try again shortly", "The calendar service is busy.", 503, {"Retry-After": after})
    except GraphError:
        log.exception("session page: Graph refused")
        return _refused("Something went wrong", "The calendar could not be read. Please try later.", 502)
    except Exception:
        log.exception("session page failed")
        return _refused("Something went wrong", "This page could not be shown. Please try later.", 500)


def _claims(req: func.HttpRequest, rt: Runtime) -> SessionLinkClaims:
    return read_session_link(req.route_params.get("token", ""), secret=rt.settings.link_secret, now=rt.clock())


async def _view(rt: Runtime, claims: SessionLinkClaims) -> SessionView:
    now = rt.clock()
    view = await session_view(rt.graph, rt.store, await rt.policy(), claims, now=now)
    mentor_tz = next((p.tz for p in view.people if p.role == "mentor"), UTC)
    panel = await series_panel(rt.store, rt.series, rt.outbox, view.session, claims.person, mentor_tz, now=now)
    if panel is not None and panel.alternatives and claims.person == panel.series.mentee:
        # As in the "no slot" mail: the mentee may book one of the alternatives on the mentor's link page.
        token = make_link(panel.series.mentor, secret=rt.settings.link_secret, now=now, mentee=claims.person)
        panel = replace(panel, booking_link=f"../links/{token}")  # relative to /api/session-page/{token}
    view = replace(view, series=panel)
    if view.successor is None:
        return view
    # Relative to /api/session-page/{this token}: this person's page of the session it was moved to.
    token = make_session_link(
        view.successor.id, claims.person, secret=rt.settings.link_secret, expires=session_link_expiry(view.successor)
    )
    return replace(view, successor_link=token)


@bp.route(route="session-page/{token}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def session_page_show(req: func.HttpRequest) -> func.HttpResponse:
    async def handle() -> func.HttpResponse:
        rt = runtime()
        return _html(session_page(await _view(rt, _claims(req, rt))))

    return await _page_errors(handle)


def _decoded(name: str, raw: str) -> str:
    """One form component, %-decoded as strict UTF-8: a byte that is not UTF-8 (`%ff`) or an encoded
    lone surrogate (`%ED%A0%80`) is refused naming its field, never saved as U+FFFD."""
    try:
        return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(name, "is not valid UTF-8 text (a byte that is not text, or a lone surrogate)") from None


def form_fields(req: func.HttpRequest) -> dict[str, str]:
    """The posted form: URL-encoded, small, known fields once each, text without control characters."""
    kind = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise InputError("Content-Type", "must be application/x-www-form-urlencoded (the page's form)")
    raw = req.get_body() or b""
    if len(raw) > MAX_FORM_BYTES:
        raise InputError("body", f"larger than {MAX_FORM_BYTES} bytes")
    try:
        text = raw.decode("ascii")  # a URL-encoded body is ASCII: everything else is %-encoded
    except UnicodeDecodeError:
        raise InputError("body", "not a URL-encoded form (bytes outside ASCII)") from None
    pairs = [part for part in text.split("&") if part]
    if len(pairs) > len(_FORM_FIELDS):
        raise InputError("body", f"more than {len(_FORM_FIELDS)} fields")
    fields: dict[str, str] = {}
    for pair in pairs:
        raw_name, _, raw_value = pair.partition("=")
        name = _decoded("body", raw_name)
        if name not in _FORM_FIELDS:
            raise InputError(name, "unknown field")
        if name in fields:
            raise InputError(name, "given more than once")
        fields[name] = check_text(name, _decoded(name, raw_value), allow_line_breaks=True)
    return fields


def _version(fields: dict[str, str]) -> int:
    text = fields.get("version", "")
    # ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and Arabic-Indic digits (read as 0-9).
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise InputError("version", "must be the whole-number version the form was loaded with")
    return int(text)


def _form_field(field: str) -> str:
    """The store's field names as the form's: `options[1]` is the box `option2`."""
    if field.startswith("options[") and field.endswith("]") and field[8:-1].isdigit():
        return f"option{int(field[8:-1]) + 1}"
    return field


async def _save(rt: Runtime, claims: SessionLinkClaims, fields: dict[str, str]) -> func.HttpResponse:
    options = [fields.get(f"option{i}", "") for i in (1, 2, 3)]
    values: dict[str, Any] = {**fields, "options": options}
    try:
        await save_checklist(
            rt.store,
            claims,
            question=fields.get("question", ""),
            options=options,
            next_step=fields.get("next_step", ""),
            success_indicator=fields.get("success_indicator", ""),
            based_on=_version(fields),
            now=rt.clock(),
        )
    except InputError as exc:
        view = await _view(rt, claims)
        errors = {_form_field(exc.field): f"{exc.field}: {exc.message}"}
        problem = f"The checklist was not saved: {exc.field}: {exc.message}."
        return _html(session_page(view, values=values, errors=errors, problem=problem), 400)
    except Conflict as exc:
        view = await _view(rt, claims)
        theirs: Checklist = view.checklist
        problem = f"The checklist was not saved: {exc.message}."
        return _html(session_page(view, values=values, theirs=theirs, problem=problem), 409)
    return _html(session_page(await _view(rt, claims), notice="Checklist saved."))


async def _cancel(rt: Runtime, claims: SessionLinkClaims, fields: dict[str, str]) -> func.HttpResponse:
    if fields.get("confirm") != "yes":
        view = await _view(rt, claims)
        problem = "confirm: tick “Yes, cancel this session for everyone” to cancel."
        return _html(session_page(view, problem=problem), 400)
    before = await get_session(rt.store, claims.session_id)
    try:
        await cancel_from_page(rt.graph, rt.store, claims, now=rt.clock())
    except Conflict as exc:
        return _html(session_page(await _view(rt, claims), problem=f"Not cancelled: {exc.message}."), 409)
    notice = (
        "The session is cancelled: everyone gets Outlook's cancellation."
        if before.state != SessionState.CANCELLED
        else "This session was already cancelled; nothing was changed."
    )
    return _html(session_page(await _view(rt, claims), notice=notice))


async def _move(rt: Runtime, claims: SessionLinkClaims, fields: dict[str, str]) -> func.HttpResponse:
    status = 400
    try:
        if not fields.get("start"):
            raise InputError("start", "choose one of the times listed")
        start = parse_aware("start", fields["start"])
        if start.second or start.microsecond:
            raise InputError("start", f"{fields['start']} is not a whole minute; choose one of the times listed")
        moved = await move_from_page(
            rt.graph,
            rt.store,
            await rt.policy(),
            claims,
            start,
            now=rt.clock(),
            public_url=rt.settings.public_url,
            link_secret=rt.settings.link_secret,
            mail_sender=rt.settings.mail_sender,
            series_store=rt.series,
        )
    except (InputError, Conflict, PolicyViolation) as exc:
        status = 409 if isinstance(exc, Conflict) else 422 if isinstance(exc, PolicyViolation) else 400
        field = exc.rule if isinstance(exc, PolicyViolation) else exc.field
        problem = f"Not moved ({field}): {exc.message}."
        return _html(session_page(await _view(rt, claims), problem=problem), status)
    token = make_session_link(
        moved.id, claims.person, secret=rt.settings.link_secret, expires=session_link_expiry(moved)
    )
    # Relative to /api/session-page/{old token}: the new session's page for the same person.
    return func.HttpResponse(status_code=303, headers={**_HEADERS, "Location": token})


async def _stop_series(rt: Runtime, claims: SessionLinkClaims, fields: dict[str, str]) -> func.HttpResponse:
    if fields.get("confirm") != "yes":
        problem = "confirm: tick “Yes, stop the series for both of us” to stop it."
        return _html(session_page(await _view(rt, claims), problem=problem), 400)
    try:
        await stop_series_from_page(rt.store, rt.series, claims, now=rt.clock())
    except (InputError, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 400
        problem = f"Not stopped ({exc.field}): {exc.message}."
        return _html(session_page(await _view(rt, claims), problem=problem), status)
    notice = "The series is stopped: no further session is booked. Sessions already booked stay booked."
    return _html(session_page(await _view(rt, claims), notice=notice))


async def _repeat(rt: Runtime, claims: SessionLinkClaims, fields: dict[str, str]) -> func.HttpResponse:
    given = fields.get("interval_days", "")
    try:
        series = await repeat_from_page(rt.store, rt.series, claims, given, now=rt.clock())
    except (InputError, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 400
        problem = f"Not repeated ({exc.field}): {exc.message}."
        return _html(session_page(await _view(rt, claims), problem=problem, interval_value=given), status)
    notice = (
        f"This session now repeats every {series.interval_days} days: each next one is booked once the "
        "previous one is over."
    )
    return _html(session_page(await _view(rt, claims), notice=notice))


_ACTIONS = {
    "checklist": _save,
    "cancel": _cancel,
    "move": _move,
    "stop-series": _stop_series,
    "repeat": _repeat,
}


@bp.route(route="session-page/{token}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def session_page_change(req: func.HttpRequest) -> func.HttpResponse:
    async def handle() -> func.HttpResponse:
        rt = runtime()
        claims = _claims(req, rt)  # the link first: a tampered link is refused before its form is read
        try:
            fields = form_fields(req)
            action = _ACTIONS.get(fields.get("do", ""))
            if action is None:
                raise InputError("do", "must be checklist, cancel, move, stop-series or repeat")
        except InputError as exc:
            view = await _view(rt, claims)
            return _html(session_page(view, problem=f"{exc.field}: {exc.message}."), 400)
        return await action(rt, claims, fields)

    return await _page_errors(handle)
