"""Writing calendars: create (with Teams meetings and transactionId dedup), get, update, delete,
cancel, and an attendee's accept / tentativelyAccept / decline."""

from __future__ import annotations

from typing import Any

from emulator.context import Context
from emulator.errors import GraphError
from emulator.eventinput import FieldError, parse_event_input
from emulator.occurrences import single
from emulator.render import event_json
from emulator.router import Router
from emulator.routes_common import context_url, mailbox_user, view_for
from emulator.timeutil import parse_dtz
from emulator.wire import Request, Response, json_response

__all__ = ["register"]

# Server-managed properties a client cannot set.
_READ_ONLY = ("id", "ical_uid", "is_cancelled", "organizer", "response")


def _fields(request: Request, partial: bool) -> dict[str, Any]:
    try:
        fields = parse_event_input(request.json(), partial=partial)
    except FieldError as exc:
        if exc.path.endswith("timeZone"):
            raise GraphError(400, "TimeZoneNotSupportedException",
                             "A valid TimeZone value must be specified. The following TimeZone value is not "
                             f"supported: '{exc.message}'.") from None
        raise GraphError(400, "BadRequest", f"Invalid event property {exc.path}: {exc.message}") from None
    for name in _READ_ONLY:
        fields.pop(name, None)
    return fields


def _entity(ctx: Context, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"@odata.context": context_url(ctx, f"users('{user_id}')/events/$entity"), **body}


def create_event(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = mailbox_user(ctx, params["user"])
    fields = _fields(request, partial=False)
    event, created = ctx.state.create_event(user, fields)
    if not created and not ctx.state.resend_returns_event:
        # resources/event.md only says the server uses transactionId "to avoid redundant POST operations";
        # what a resend gets back is not documented. By default the emulator refuses it, so a client must
        # look the event up by transactionId rather than count on getting it back.
        raise GraphError(409, "ErrorDuplicateTransactionId",
                         "An item with the same transaction id was already created.")
    view = view_for(request, allow_select=False)
    return json_response(_entity(ctx, user.id, event_json(single(event), view)), status=201)


def get_event(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = mailbox_user(ctx, params["user"])
    found = ctx.state.lookup(user, params["event"])
    return json_response(_entity(ctx, user.id, event_json(found, view_for(request))))


def update_event(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = mailbox_user(ctx, params["user"])
    fields = _fields(request, partial=True)
    event = ctx.state.update_event(user, params["event"], fields)
    return json_response(_entity(ctx, user.id, event_json(single(event), view_for(request))))


def delete_event(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = mailbox_user(ctx, params["user"])
    ctx.state.delete_event(user, params["event"])
    return Response(204)


def _action_body(request: Request) -> dict[str, Any]:
    raw = request.json()
    if not isinstance(raw, dict):
        raise GraphError(400, "BadRequest", "Expected a JSON object.")
    return {key.lower(): value for key, value in raw.items()}


def cancel_event(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = mailbox_user(ctx, params["user"])
    comment = _action_body(request).get("comment")
    ctx.state.cancel_event(user, params["event"], comment if isinstance(comment, str) else None)
    return Response(202)


def _responder(response: str) -> Any:
    def respond(ctx: Context, request: Request, params: dict[str, str]) -> Response:
        user = mailbox_user(ctx, params["user"])
        body = _action_body(request)
        send = body.get("sendresponse", True)
        if not isinstance(send, bool):
            raise GraphError(400, "BadRequest", "sendResponse must be true or false.")
        proposed = body.get("proposednewtime")
        if proposed is not None:
            if not isinstance(proposed, dict):
                raise GraphError(400, "BadRequest", "proposedNewTime must be a timeSlot object.")
            try:
                parse_dtz(proposed.get("start"))
                parse_dtz(proposed.get("end"))
            except ValueError as exc:
                raise GraphError(400, "BadRequest", f"proposedNewTime: {exc}") from None
        ctx.state.respond(user, params["event"], response, send, proposed)
        return Response(202)

    return respond


def register(router: Router) -> None:
    router.add("POST", "/users/{user}/events", create_event)
    router.add("GET", "/users/{user}/events/{event}", get_event)
    router.add("PATCH", "/users/{user}/events/{event}", update_event)
    router.add("DELETE", "/users/{user}/events/{event}", delete_event)
    router.add("POST", "/users/{user}/events/{event}/cancel", cancel_event)
    router.add("POST", "/users/{user}/events/{event}/accept", _responder("accepted"))
    router.add("POST", "/users/{user}/events/{event}/tentativelyAccept", _responder("tentativelyAccepted"))
    router.add("POST", "/users/{user}/events/{event}/decline", _responder("declined"))
