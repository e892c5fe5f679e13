"""Mail routes: `POST /users/{user}/sendMail` and the Sent Items lookup by extended property (emulator/mail.py)."""

from __future__ import annotations

from typing import Any

from emulator.context import Context
from emulator.errors import GraphError
from emulator.mail import SENT_ITEMS, parse_property_filter, parse_send_mail
from emulator.router import Router
from emulator.routes_common import context_url, int_param, mailbox_user
from emulator.wire import Request, Response, json_response

__all__ = ["register"]


def send_mail(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    sender = mailbox_user(ctx, params["user"])  # 404 ErrorInvalidUser for an address without a mailbox
    message, save = parse_send_mail(request.json())
    ctx.state.mail.record(sender.id, sender.mail, message, save)
    return Response(202, None, {})  # user-sendmail.md: 202 Accepted, nothing in the body


def list_folder_messages(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    owner = mailbox_user(ctx, params["user"])
    if params["folder"].lower() != SENT_ITEMS:
        # Only Sent Items is modelled; any other folder is one this mailbox does not have.
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    raw_filter = request.query.get("$filter")
    if not raw_filter:
        raise GraphError(
            400,
            "ErrorInvalidUrlQueryFilter",
            "The emulator lists Sent Items only through an extended-property $filter.",
        )
    property_id, value = parse_property_filter(raw_filter)
    found = ctx.state.mail.find(owner.id, property_id, value)
    top = int_param(request, "$top", 1, 1000) or 10
    body: dict[str, Any] = {
        "@odata.context": context_url(ctx, f"users('{owner.id}')/mailFolders('{SENT_ITEMS}')/messages"),
        "value": found[:top],
    }
    return json_response(body)


def register(router: Router) -> None:
    router.add("POST", "/users/{user}/sendMail", send_mail)
    router.add("GET", "/users/{user}/mailFolders/{folder}/messages", list_folder_messages)
