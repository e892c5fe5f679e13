"""Directory and mailbox settings: `/users`, `/users/{id}`, `/users/{id}/mailboxSettings[/…]`."""

from __future__ import annotations

import re
from typing import Any

from emulator.context import Context
from emulator.errors import GraphError
from emulator.render import UnknownUserProperty, select_keys, user_json
from emulator.router import Router
from emulator.routes_common import context_url, directory_user, int_param, mailbox_user, self_link
from emulator.wire import Request, Response, json_response

__all__ = ["register"]

_FILTER = re.compile(r"^\s*(\w+)\s+eq\s+'(.*)'\s*$", re.IGNORECASE)
_FILTERABLE = {"mail": "mail", "userprincipalname": "upn", "id": "id", "displayname": "display_name"}


def _context(select: tuple[str, ...] | None, suffix: str) -> str:
    return f"users({','.join(select)}){suffix}" if select else f"users{suffix}"


def _user_json(user: Any, select: tuple[str, ...] | None) -> dict[str, Any]:
    try:
        return user_json(user, select)
    except UnknownUserProperty as exc:
        # As Graph words it (the OData query validation; seen in microsoft-graph-docs issue #2117).
        raise GraphError(
            400, "Request_BadRequest", f"Could not find a property named '{exc}' on type 'microsoft.graph.user'."
        ) from exc


def get_user(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = directory_user(ctx, params["user"])
    select = select_keys(request.query.get("$select"))
    body: dict[str, Any] = {"@odata.context": context_url(ctx, _context(select, "/$entity"))}
    body.update(_user_json(user, select))
    return json_response(body)


def list_users(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    select = select_keys(request.query.get("$select"))
    users = sorted(ctx.state.users.values(), key=lambda u: u.upn.lower())
    raw_filter = request.query.get("$filter")
    if raw_filter:
        match = _FILTER.match(raw_filter)
        if not match or match.group(1).lower() not in _FILTERABLE:
            raise GraphError(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause "
                             "specified for property of resource 'User'.")
        attribute, wanted = _FILTERABLE[match.group(1).lower()], match.group(2).replace("''", "'").lower()
        users = [u for u in users if str(getattr(u, attribute)).lower() == wanted]
    top = int_param(request, "$top", 1, 999) or 100
    skip = int_param(request, "$skip", 0, 1_000_000) or 0
    page = users[skip : skip + top]
    body: dict[str, Any] = {"@odata.context": context_url(ctx, _context(select, ""))}
    if skip + top < len(users):
        body["@odata.nextLink"] = self_link(ctx, request, {"$skip": str(skip + top)})
    body["value"] = [_user_json(u, select) for u in page]
    return json_response(body)


_MAILBOX_DEFAULTS: dict[str, Any] = {
    "archiveFolder": None,
    "automaticRepliesSetting": {
        "status": "disabled",
        "externalAudience": "all",
        "internalReplyMessage": "",
        "externalReplyMessage": "",
        "scheduledStartDateTime": {"dateTime": "2020-01-01T00:00:00.0000000", "timeZone": "UTC"},
        "scheduledEndDateTime": {"dateTime": "2020-01-02T00:00:00.0000000", "timeZone": "UTC"},
    },
    "language": {"locale": "en-US", "displayName": "English (United States)"},
    "dateFormat": "M/d/yyyy",
    "timeFormat": "h:mm tt",
    "userPurpose": {"value": "user"},
    "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
}


def _settings(ctx: Context, key: str) -> tuple[str, dict[str, Any]]:
    user = mailbox_user(ctx, key)
    merged = dict(_MAILBOX_DEFAULTS)
    merged.update(user.mailbox_settings)
    return user.id, merged


def get_mailbox_settings(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user_id, settings = _settings(ctx, params["user"])
    select = select_keys(request.query.get("$select"))
    if select:
        wanted = {k.lower() for k in select}
        settings = {k: v for k, v in settings.items() if k.lower() in wanted}
    body: dict[str, Any] = {"@odata.context": context_url(ctx, f"users('{user_id}')/mailboxSettings")}
    body.update(settings)
    return json_response(body)


def get_mailbox_setting(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user_id, settings = _settings(ctx, params["user"])
    wanted = params["property"].lower()
    for key, value in settings.items():
        if key.lower() == wanted:
            context = context_url(ctx, f"users('{user_id}')/mailboxSettings/{key}")
            if isinstance(value, dict):
                return json_response({"@odata.context": context, **value})
            return json_response({"@odata.context": context, "value": value})
    raise GraphError(400, "BadRequest", f"Resource not found for the segment '{params['property']}'.")


def register(router: Router) -> None:
    router.add("GET", "/users", list_users)
    router.add("GET", "/users/{user}", get_user)
    router.add("GET", "/users/{user}/mailboxSettings", get_mailbox_settings)
    router.add("GET", "/users/{user}/mailboxSettings/{property}", get_mailbox_setting)
