"""Helpers shared by the Graph route modules: resolving users, Prefer/$select views, paging links."""

from __future__ import annotations

from urllib.parse import quote, unquote

from emulator.context import Context
from emulator.errors import GraphError, directory_not_found, invalid_user
from emulator.model import User
from emulator.render import UnknownEventProperty, View, check_event_select, select_keys
from emulator.timeutil import zone_for_output
from emulator.wire import Request

__all__ = ["context_url", "directory_user", "int_param", "mailbox_user", "page_size", "self_link", "view_for"]


def mailbox_user(ctx: Context, key: str) -> User:
    user = ctx.state.find_user(key)
    if user is None:
        raise invalid_user(key)
    return user


def directory_user(ctx: Context, key: str) -> User:
    user = ctx.state.find_directory_user(key)
    if user is None:
        raise directory_not_found(key)
    return user


def view_for(request: Request, allow_select: bool = True) -> View:
    zone, name = zone_for_output(request.prefer().get("outlook.timezone"))
    select = select_keys(request.query.get("$select")) if allow_select else None
    try:
        check_event_select(select)
    except UnknownEventProperty as exc:
        # As Graph words it for any type (the OData query validation; microsoft-graph-docs issue #2117 for
        # users): the query is refused, not trimmed.
        raise GraphError(
            400, "RequestBroker--ParseUri", f"Could not find a property named '{exc}' on type 'microsoft.graph.event'."
        ) from exc
    return View(zone, name, select)


def int_param(request: Request, name: str, low: int, high: int) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise GraphError(400, "BadRequest", f"Invalid value '{raw}' for query option '{name}'.") from None
    if not low <= value <= high:
        raise GraphError(400, "ErrorInvalidUrlQuery", f"The value of {name} must be between {low} and {high}.")
    return value


def page_size(request: Request, default: int = 10) -> int:
    """$top wins (1..1000), then Prefer: odata.maxpagesize, then Outlook's default of 10."""
    top = int_param(request, "$top", 1, 1000)
    if top is not None:
        return top
    raw = request.prefer().get("odata.maxpagesize")
    if raw and raw.isdigit() and int(raw) > 0:
        return min(int(raw), 1000)
    return default


def self_link(ctx: Context, request: Request, overrides: dict[str, str | None]) -> str:
    """This request's URL on the emulator, with some query options replaced (None removes one)."""
    drop = {key.lower() for key in overrides}
    query = [
        part for part in request.raw_query.split("&")
        if part and unquote(part.split("=", 1)[0]).lower() not in drop
    ]
    for key, value in overrides.items():
        if value is not None:
            query.append(f"{key}={quote(value, safe='')}")
    suffix = "?" + "&".join(query) if query else ""
    return f"{ctx.base_url}{request.raw_path}{suffix}"


def context_url(ctx: Context, fragment: str) -> str:
    return f"{ctx.graph_url}/$metadata#{fragment}"
