"""Serving one Graph v1.0 request: path normalisation (`/me`, `/calendar/events`, `delta()`), fault
injection, dispatch, Graph-shaped errors and the request log. Used by the server and by `$batch`."""

from __future__ import annotations

import sys
import time
import traceback
import uuid
from urllib.parse import unquote

from emulator.context import Context
from emulator.errors import GraphError, error_body
from emulator.faults import FaultDecision
from emulator.router import Router
from emulator.wire import Request, Response

__all__ = ["error_response", "fault_response", "normalize_segments", "serve_graph"]

_FAULT_CODES = {
    429: ("TooManyRequests", "Please retry again later."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "The server received an invalid response from an upstream server."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The server did not receive a timely response from an upstream server."),
}


def normalize_segments(path: str, claims: dict[str, object] | None) -> list[str]:
    segments = [unquote(s) for s in path.split("/") if s]
    if segments and segments[0].lower() == "me":
        oid = (claims or {}).get("oid")
        if (claims or {}).get("idtyp") == "app" or not oid:
            raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        segments = ["users", str(oid), *segments[1:]]
    cleaned: list[str] = []
    for i, segment in enumerate(segments):
        if segment.endswith("()"):
            segment = segment[:-2]
        following = segments[i + 1].lower() if i + 1 < len(segments) else ""
        if segment.lower() == "calendar" and following in ("events", "calendarview"):
            continue  # the default calendar's events are the user's events
        if segment.lower().startswith("microsoft.graph."):
            segment = segment[len("microsoft.graph."):]
        cleaned.append(segment)
    return cleaned


def _ids(request: Request) -> tuple[str, str]:
    return str(uuid.uuid4()), request.header("client-request-id") or str(uuid.uuid4())


def error_response(request: Request, error: GraphError) -> Response:
    request_id, client_id = _ids(request)
    headers = {"request-id": request_id, "client-request-id": client_id, **error.headers}
    if error.status == 401:
        headers.setdefault(
            "WWW-Authenticate",
            'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
            'client_id="00000003-0000-0000-c000-000000000000"',
        )
    return Response(error.status, error_body(error.code, error.message, request_id, client_id), headers)


def fault_response(request: Request, decision: FaultDecision) -> Response:
    status = decision.status or 503
    code, message = _FAULT_CODES.get(status, ("ServiceNotAvailable", "Please retry later."))
    headers: dict[str, str] = {}
    if decision.retry_after is not None:
        value = decision.retry_after
        headers["Retry-After"] = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return error_response(request, GraphError(status, code, message, headers))


def serve_graph(ctx: Context, router: Router, request: Request) -> Response:
    """Faults, then the route; never raises (errors become Graph error responses)."""
    decision = ctx.faults.check(request.method, unquote(request.path))
    mailbox = _mailbox(ctx, request)
    admitted = mailbox is None or ctx.mailboxes.enter(mailbox)
    try:
        return _serve(ctx, router, request, decision, admitted)
    finally:
        if mailbox is not None and admitted:
            ctx.mailboxes.leave(mailbox)


def _mailbox(ctx: Context, request: Request) -> str | None:
    """The gate a request counts against (emulator/concurrency.py), for anything below /users/{user}/ (not
    the directory entry /users/{user} itself): Teams' onlineMeetings (and their attendance reports) count
    per app and organizer, "<appId>|onlineMeetings|<userId>" (strict: no doc gives them a limit); every
    other route the emulator serves there is an Outlook resource (events, calendarView, calendar,
    getSchedule, mailboxSettings, sendMail, mailFolders/messages) and counts per app, "<appId>|outlook"
    (throttling-limits.md, "Limits per app ID"), as would a route added later (strict by default)."""
    try:
        segments = normalize_segments(request.path, request.claims)
    except GraphError:
        return None
    if len(segments) < 3 or segments[0].lower() != "users":
        return None
    claims = request.claims or {}
    app = str(claims.get("appid") or claims.get("azp") or "") or "(no app)"
    if segments[2].lower() == "onlinemeetings":
        return f"{app}|onlineMeetings|{ctx.state.user_id_of(segments[1]) or segments[1].lower()}"
    return f"{app}|outlook"


def _serve(ctx: Context, router: Router, request: Request, decision: FaultDecision, admitted: bool) -> Response:
    delay = ctx.state.latency_ms + decision.latency_ms
    if delay > 0:
        time.sleep(delay / 1000)
    route_name = f"{request.method} ?"
    try:
        segments = normalize_segments(request.path, request.claims)
        route, params = router.resolve(request.method, segments)
        route_name = route.name
        if not admitted:
            # Outlook's per app limit, or the strict per organizer one of onlineMeetings
            # (emulator/concurrency.py).
            raise GraphError(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                             {"Retry-After": "1"})
        if decision.status is not None:
            response = fault_response(request, decision)
        else:
            user = params.get("user")
            ctx.state.access.check(route.name, params, request.claims,
                                   ctx.state.user_id_of(user) if user is not None else None)
            if route.locked:
                with ctx.state.lock:
                    response = route.handler(ctx, request, params)
            else:
                response = route.handler(ctx, request, params)
    except GraphError as error:
        response = error_response(request, error)
    except Exception as exc:  # an emulator bug: answer like Graph's 500 and leave the traceback on stderr
        traceback.print_exc(file=sys.stderr)
        response = error_response(request, GraphError(500, "InternalServerError", f"Emulator error: {exc!r}"))
    if decision.drop_after_write and decision.status is None:
        response.drop = True
    response.headers.setdefault("request-id", str(uuid.uuid4()))
    response.headers.setdefault("client-request-id", request.header("client-request-id") or str(uuid.uuid4()))
    ctx.log.add(request.method, unquote(request.path), response.status, route_name, batch=request.in_batch,
                fault=",".join(decision.rule_ids) or None, query=request.raw_query)
    return response
