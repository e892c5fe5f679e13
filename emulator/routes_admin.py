"""The emulator's own admin surface under `/_emulator/` (no auth; see emulator/README.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from emulator import routes_learning
from emulator.access import parse_access_rules
from emulator.context import Context
from emulator.errors import GraphError
from emulator.eventinput import FieldError, parse_event_input
from emulator.faults import FaultSpecError
from emulator.freebusy import FREE_BUSY_FORMS
from emulator.model import AttendanceReport, OnlineMeeting
from emulator.occurrences import single
from emulator.render import View, event_json, meeting_json, report_json
from emulator.router import Router
from emulator.seed import SeedError, parse_user
from emulator.timeutil import parse_iso, utc_stamp
from emulator.wire import Request, Response, json_response

__all__ = ["ADMIN_ROUTER"]


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "Expected a JSON object.")
    return body


def _seed_error(error: SeedError) -> GraphError:
    return GraphError(400, "SeedError", str(error))


def index(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    return json_response({
        "graph": ctx.graph_url,
        "authority": ctx.identity.authority,
        "tenantId": ctx.state.tenant_id,
        "endpoints": ["state", "requests", "requests/reset", "concurrency", "faults", "faults/{id}", "config", "token",
                      "meetings/attendance", "users", "users/{upn}/events", "notifications", "access",
                      "apps/{clientId}/roles", "delta/expire", "subscriptions/{id}/lifecycle", "mail",
                      "mail/sentItems"],
    })


def state(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    users = []
    for user in ctx.state.users.values():
        events = sorted(ctx.state.calendars[user.id].values(), key=lambda e: (e.start, e.id))
        users.append({
            "id": user.id,
            "userPrincipalName": user.upn,
            "mail": user.mail,
            "displayName": user.display_name,
            "mailboxSettings": user.mailbox_settings,
            "events": [event_json(single(e), View()) for e in events],
        })
    meetings = []
    for meeting in ctx.state.meetings.values():
        entry = meeting_json(meeting, ctx.state.users, ctx.state.tenant_id)
        entry["attendanceReports"] = [report_json(r, with_records=True) for r in meeting.reports]
        meetings.append(entry)
    return json_response({
        "tenantId": ctx.state.tenant_id,
        "sequence": ctx.state.seq,
        "users": users,
        "onlineMeetings": meetings,
        "subscriptions": [
            {"id": s.id, "resource": s.resource, "notificationUrl": s.notification_url,
             "changeType": ",".join(sorted(s.change_types)), "expirationDateTime": s.expiration.isoformat()}
            for s in ctx.state.subscriptions.values()
        ],
        "cancelComments": dict(ctx.state.cancel_comments),
        "config": {"tokenLifetimeSeconds": ctx.state.token_lifetime, "latencyMs": ctx.state.latency_ms},
    })


def requests_log(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    return json_response(ctx.log.snapshot())


def requests_reset(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    ctx.log.reset()
    ctx.mailboxes.reset()
    return Response(204)


def concurrency(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """Outlook's per app concurrency limit: the limit, the most requests seen at once per app id since
    the last reset, and how many were refused (emulator/concurrency.py)."""
    return json_response(ctx.mailboxes.snapshot())


def faults_list(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    return json_response({"value": ctx.faults.describe_all()})


def faults_add(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    try:
        rule = ctx.faults.add(_body(request))
    except FaultSpecError as exc:
        raise GraphError(400, "BadFault", str(exc)) from None
    return json_response(rule.describe(), status=201)


def faults_clear(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    ctx.faults.clear()
    return Response(204)


def faults_remove(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    if not ctx.faults.remove(params["id"]):
        raise GraphError(404, "NotFound", f"No fault {params['id']!r}.")
    return Response(204)


def config(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    if request.method == "POST":
        body = _body(request)
        for key, attribute, low in (("tokenLifetimeSeconds", "token_lifetime", 1), ("latencyMs", "latency_ms", 0)):
            if key in body:
                value = body[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < low:
                    raise GraphError(400, "BadConfig", f"{key}: expected an integer >= {low}")
                setattr(ctx.state, attribute, value)
        if "mailboxConcurrency" in body:
            value = body["mailboxConcurrency"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise GraphError(400, "BadConfig", "mailboxConcurrency: expected an integer >= 0 (0: not enforced)")
            ctx.mailboxes.limit = value
        if "transactionResendReturnsEvent" in body:
            if not isinstance(body["transactionResendReturnsEvent"], bool):
                raise GraphError(400, "BadConfig", "transactionResendReturnsEvent: expected true or false")
            ctx.state.resend_returns_event = body["transactionResendReturnsEvent"]
        if "freeBusyWorkingHours" in body:
            if body["freeBusyWorkingHours"] not in FREE_BUSY_FORMS:
                forms = ", ".join(FREE_BUSY_FORMS)
                raise GraphError(400, "BadConfig", f"freeBusyWorkingHours: expected one of {forms}")
            ctx.state.free_busy_working_hours = body["freeBusyWorkingHours"]
    return json_response({"tokenLifetimeSeconds": ctx.state.token_lifetime, "latencyMs": ctx.state.latency_ms,
                          "transactionResendReturnsEvent": ctx.state.resend_returns_event,
                          "mailboxConcurrency": ctx.mailboxes.limit,
                          "freeBusyWorkingHours": ctx.state.free_busy_working_hours})


def token(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    body = _body(request)
    upn = body.get("upn")
    if not isinstance(upn, str) or not upn:
        raise GraphError(400, "BadRequest", "upn: required")
    user = ctx.state.find_user(upn)
    who = {"id": user.id, "upn": user.upn, "name": user.display_name} if user else {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{upn.lower()}")), "upn": upn, "name": upn}
    roles = body.get("roles")
    scopes = body.get("scopes")
    for key, value in (("roles", roles), ("scopes", scopes)):
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise GraphError(400, "BadRequest", f"{key}: expected a list of strings")
    lifetime = body.get("expiresInSeconds")
    if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int)):
        raise GraphError(400, "BadRequest", "expiresInSeconds: expected an integer")
    extra = body.get("claims")
    if extra is not None and not isinstance(extra, dict):
        raise GraphError(400, "BadRequest", "claims: expected an object (a null value removes that claim)")
    access, seconds = ctx.identity.user_token(
        who, str(body.get("audience") or "api://micromentor"), roles, scopes, lifetime,
        tenant_id=body.get("tenantId") if isinstance(body.get("tenantId"), str) else None,
        extra_claims=extra,
    )
    return json_response({"access_token": access, "token_type": "Bearer", "expires_in": seconds})


def _when(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise GraphError(400, "BadRequest", f"{path}: expected an ISO 8601 date-time")
    try:
        return parse_iso(value)
    except ValueError:
        raise GraphError(400, "BadRequest", f"{path}: {value!r} is not an ISO 8601 date-time") from None


def _record(ctx: Context, meeting: OnlineMeeting, raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("upn"), str):
        raise GraphError(400, "BadRequest", f"{path}.upn: required")
    upn = raw["upn"]
    user = ctx.state.find_user(upn)
    intervals = []
    total = 0
    for i, interval in enumerate(raw.get("intervals") or []):
        here = f"{path}.intervals[{i}]"
        if not isinstance(interval, dict):
            raise GraphError(400, "BadRequest", f"{here}: expected {{join, leave}}")
        joined, left = _when(interval.get("join"), f"{here}.join"), _when(interval.get("leave"), f"{here}.leave")
        if left < joined:
            raise GraphError(400, "BadRequest", f"{here}.leave: before join")
        seconds = int((left - joined).total_seconds())
        total += seconds
        intervals.append({"joinDateTime": utc_stamp(joined), "leaveDateTime": utc_stamp(left),
                          "durationInSeconds": seconds})
    role = "Organizer" if user is not None and user.id == meeting.organizer_id else str(raw.get("role") or "Attendee")
    email = upn if user is None else "" if ctx.state.access.hides_email(user.id) else user.mail
    return {
        # The mailbox address, not the UPN (api/attendancerecord-list.md); empty for some (docs-contrib #3198).
        "emailAddress": email,
        "totalAttendanceInSeconds": total,
        "role": role,
        "identity": {
            "id": user.id if user is not None else str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{upn.lower()}")),
            "displayName": user.display_name if user is not None else str(raw.get("displayName") or upn),
            "tenantId": None,
        },
        "attendanceIntervals": intervals,
    }


def attendance(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    body = _body(request)
    meeting = None
    if isinstance(body.get("joinUrl"), str):
        meeting = ctx.state.meeting_by_url(body["joinUrl"])
    elif isinstance(body.get("onlineMeetingId"), str):
        meeting = ctx.state.meetings.get(body["onlineMeetingId"])
    else:
        raise GraphError(400, "BadRequest", "joinUrl or onlineMeetingId: required")
    if meeting is None:
        raise GraphError(404, "NotFound", "No online meeting with that joinUrl / id.")
    start, end = _when(body.get("start"), "start"), _when(body.get("end"), "end")
    if end < start:
        raise GraphError(400, "BadRequest", "end: before start")
    records_raw = body.get("records") or []
    if not isinstance(records_raw, list):
        raise GraphError(400, "BadRequest", "records: expected a list")
    records = [_record(ctx, meeting, r, f"records[{i}]") for i, r in enumerate(records_raw)]
    report = AttendanceReport(str(uuid.uuid4()), start, end, records)
    ctx.state.add_report(meeting, report)
    return json_response({"onlineMeetingId": meeting.id, "organizerId": meeting.organizer_id,
                          **report_json(report, with_records=True)}, status=201)


def add_user(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    try:
        spec = parse_user(_body(request), "user")
        user = ctx.state.add_user(spec)
    except SeedError as exc:
        raise _seed_error(exc) from None
    except ValueError as exc:
        raise GraphError(409, "Conflict", str(exc)) from None
    return json_response({"id": user.id, "userPrincipalName": user.upn, "mail": user.mail}, status=201)


def add_event(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = ctx.state.find_user(params["user"])
    if user is None:
        raise GraphError(404, "NotFound", f"No user {params['user']!r}.")
    try:
        fields = parse_event_input(_body(request), "event")
    except FieldError as exc:
        raise GraphError(400, "SeedError", str(exc)) from None
    event, _ = ctx.state.create_event(user, fields, from_seed=True)
    return json_response(event_json(single(event), View()), status=201)


def access(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """GET the tenant's access rules; PATCH some of them (same shape as the seed's `emulator` section)."""
    if request.method == "PATCH":
        try:
            ctx.state.access.update(parse_access_rules(_body(request), "access", ctx.state.user_id_of))
        except ValueError as exc:
            raise GraphError(400, "BadRequest", str(exc)) from None
    names = {user.id: user.upn for user in ctx.state.users.values()}
    return json_response(ctx.state.access.describe(names))


def app_roles(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """PUT `{"roles": [...]}`: the app roles the app's next tokens carry (admin consent granted or withdrawn)."""
    app = ctx.state.apps.get(params["client"])
    if app is None:
        raise GraphError(404, "NotFound", f"No app {params['client']!r}.")
    roles = _body(request).get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise GraphError(400, "BadRequest", "roles: expected a list of strings")
    app.roles = list(roles)
    return json_response({"clientId": app.client_id, "roles": app.roles})


def expire_delta(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """Every delta and skip token issued so far answers 410 SyncStateNotFound from now on; with
    `{"afterPages": N}`, once N more delta pages have been served (so a round breaks in its middle)."""
    after = _body(request).get("afterPages") if request.body else None
    if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 1):
        raise GraphError(400, "BadRequest", "afterPages: expected a whole number >= 1")
    with ctx.state.lock:
        if after is None:
            ctx.state.delta_generation += 1
        else:
            ctx.state.delta_expire_after = after
    return Response(204)


LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")


def lifecycle(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """`{"event": "reauthorizationRequired" | "subscriptionRemoved" | "missed"}`: Graph's lifecycle
    notification for the subscription, delivered like a change notification; `subscriptionRemoved`
    also removes the subscription, as Graph does."""
    subscription = ctx.state.subscriptions.get(params["id"])
    if subscription is None:
        raise GraphError(404, "NotFound", f"No subscription {params['id']!r}.")
    event = _body(request).get("event")
    if event not in LIFECYCLE_EVENTS:
        raise GraphError(400, "BadRequest", f"event: one of {', '.join(LIFECYCLE_EVENTS)}")
    if ctx.notifier is None:
        raise GraphError(409, "Conflict", "This emulator delivers no notifications.")
    url = ctx.notifier.lifecycle(subscription, str(event))
    if event == "subscriptionRemoved":
        ctx.state.subscriptions.pop(subscription.id, None)
    return json_response({"subscriptionId": subscription.id, "lifecycleEvent": event, "url": url}, status=202)


def notifications(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    deliveries = list(ctx.notifier.deliveries) if ctx.notifier is not None else []
    return json_response({"value": deliveries})


def mail(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """Every message sendMail accepted, oldest first (tests count sends here); DELETE forgets them."""
    if request.method == "DELETE":
        ctx.state.mail.clear()
        return Response(204)
    return json_response({"value": ctx.state.mail.snapshot()})


def sent_items(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """`{"delaySeconds"?: n >= 0, "fileNow"?: true}`: how long each Sent Items copy waits after sendMail's 202
    (Exchange files it only after transport took the message: emulator/mail.py), or file the held ones now."""
    body = _body(request)
    unknown = set(body) - {"delaySeconds", "fileNow"}
    if unknown:
        raise GraphError(400, "BadConfig", f"{sorted(unknown)[0]}: unknown setting")
    if "delaySeconds" in body:
        value = body["delaySeconds"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 86400:
            raise GraphError(400, "BadConfig", "delaySeconds: expected a number of seconds from 0 to 86400")
        ctx.state.mail.sent_items_delay = float(value)
    filed = 0
    if "fileNow" in body:
        if body["fileNow"] is not True:
            raise GraphError(400, "BadConfig", "fileNow: expected true")
        filed = ctx.state.mail.file_now()
    mail = ctx.state.mail
    return json_response({"delaySeconds": mail.sent_items_delay, "held": mail.held(), "filed": filed})


def _build() -> Router:
    router = Router()
    router.add("GET", "/", index)
    router.add("GET", "/state", state)
    router.add("GET", "/requests", requests_log)
    router.add("POST", "/requests/reset", requests_reset)
    router.add("GET", "/concurrency", concurrency)
    router.add("GET", "/faults", faults_list)
    router.add("POST", "/faults", faults_add)
    router.add("DELETE", "/faults", faults_clear)
    router.add("DELETE", "/faults/{id}", faults_remove)
    router.add("GET", "/config", config)
    router.add("POST", "/config", config)
    router.add("POST", "/token", token)
    router.add("POST", "/meetings/attendance", attendance)
    router.add("POST", "/users", add_user)
    router.add("POST", "/users/{user}/events", add_event)
    router.add("GET", "/notifications", notifications)
    router.add("GET", "/access", access)
    router.add("PATCH", "/access", access)
    router.add("PUT", "/apps/{client}/roles", app_roles)
    router.add("POST", "/delta/expire", expire_delta)
    router.add("POST", "/subscriptions/{id}/lifecycle", lifecycle)
    router.add("GET", "/mail", mail)
    router.add("DELETE", "/mail", mail)
    router.add("POST", "/mail/sentItems", sent_items)
    routes_learning.register_admin(router)  # Viva Learning providers (emulator/routes_learning.py)
    return router


ADMIN_ROUTER = _build()
