"""Reading calendars: calendarView (paged), calendarView/delta (rounds of nextLink → deltaLink),
the events list, and getSchedule (free/busy with availabilityView)."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from emulator.context import Context
from emulator.errors import GraphError
from emulator.freebusy import schedule_working_hours
from emulator.model import User
from emulator.occurrences import Occurrence, expand, occurrence_id, overlaps, single
from emulator.render import View, event_json
from emulator.router import Router
from emulator.routes_common import context_url, int_param, mailbox_user, page_size, self_link, view_for
from emulator.timeutil import dtz_json, parse_dtz, parse_iso
from emulator.wire import Request, Response, json_response

__all__ = ["STATUS_DIGITS", "register"]

_WINDOW_REQUIRED = "This request requires a time window specified by the query string parameters " \
                   "StartDateTime and EndDateTime."
STATUS_DIGITS = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4", "unknown": "0"}
# Which status wins a slot where items overlap: out of office over busy over tentative over elsewhere over free.
_RANK = {"free": 0, "unknown": 0, "workingElsewhere": 1, "tentative": 2, "busy": 3, "oof": 4}
MAX_SCHEDULES = 20
MAX_DAYS = 62


def _window(request: Request) -> tuple[datetime, datetime]:
    start_raw, end_raw = request.query.get("startdatetime"), request.query.get("enddatetime")
    if not start_raw or not end_raw:
        raise GraphError(400, "ErrorInvalidParameter", _WINDOW_REQUIRED)
    try:
        return parse_iso(start_raw), parse_iso(end_raw)
    except ValueError:
        raise GraphError(400, "ErrorInvalidParameter", _WINDOW_REQUIRED) from None


def _preference_applied(request: Request, view: View, size_from_prefer: bool) -> dict[str, str]:
    applied = []
    if view.zone_name:
        applied.append(f'outlook.timezone="{view.zone_name}"')
    if size_from_prefer:
        applied.append(f"odata.maxpagesize={request.prefer()['odata.maxpagesize']}")
    return {"Preference-Applied": ", ".join(applied)} if applied else {}


def _collection_context(ctx: Context, user: User, name: str, view: View) -> str:
    selected = f"({','.join(view.select)})" if view.select else ""
    return context_url(ctx, f"users('{user.id}')/{name}{selected}")


def calendar_view(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = mailbox_user(ctx, params["user"])
    start, end = _window(request)
    view = view_for(request)
    items = ctx.state.view(user, start, end)
    size = page_size(request)
    skip = int_param(request, "$skip", 0, 10_000_000) or 0
    body: dict[str, Any] = {"@odata.context": _collection_context(ctx, user, "calendarView", view)}
    body["value"] = [event_json(o, view) for o in items[skip : skip + size]]
    if skip + size < len(items):
        body["@odata.nextLink"] = self_link(ctx, request, {"$skip": str(skip + size)})
    from_prefer = "$top" not in request.query and "odata.maxpagesize" in request.prefer()
    return json_response(body, headers=_preference_applied(request, view, from_prefer))


def list_events(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = mailbox_user(ctx, params["user"])
    view = view_for(request)
    events = sorted(ctx.state.events_of(user), key=lambda e: (e.start, e.id))
    size = page_size(request)
    skip = int_param(request, "$skip", 0, 10_000_000) or 0
    body: dict[str, Any] = {"@odata.context": _collection_context(ctx, user, "events", view)}
    body["value"] = [event_json(single(e), view) for e in events[skip : skip + size]]
    if skip + size < len(events):
        body["@odata.nextLink"] = self_link(ctx, request, {"$skip": str(skip + size)})
    return json_response(body)


# ---- delta ------------------------------------------------------------------------------------------------


def _encode(token: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(raw: str, user: User, generation_now: int) -> dict[str, Any]:
    try:
        token = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(token, dict) or token.get("u") != user.id:
            raise ValueError("another user's token")
        token["start"], token["end"] = parse_iso(token["s"]), parse_iso(token["e"])
        generation = int(token.get("g", -1))
    except (ValueError, KeyError, TypeError):
        raise GraphError(400, "ErrorInvalidUrlQuery", "The sync state (delta or skip token) is invalid.") from None
    if generation < generation_now:
        # concepts/delta-query-overview.md, "Synchronization reset": the service let the sync state go,
        # a deltaLink and a nextLink in the middle of a round alike; the client starts a new round.
        raise GraphError(410, "SyncStateNotFound", "The sync state generation is not valid anymore. "
                         "Start a new synchronization without a token.")
    return token


_Item = tuple[int, str, Occurrence | None]  # (change sequence, id, the instance or None when removed)


def _delta_items(ctx: Context, user: User, start: datetime, end: datetime, since: int) -> list[_Item]:
    items: list[_Item] = []
    for event in ctx.state.calendars[user.id].values():
        if event.seq <= since:
            continue
        instances = expand(event, start, end)
        items.extend((event.seq, o.id, o) for o in instances)
        if since and not instances:
            # Changed but outside the window: delta reports it as removed (see event-delta.md).
            items.append((event.seq, event.id, None))
        if since and event.recurrence is not None:
            span = event.end - event.start
            for gone in event.removed_starts:
                if overlaps(gone, gone + span, start, end):
                    items.append((event.seq, occurrence_id(event.id, gone), None))
    if since:
        for event in ctx.state.tombstones[user.id].values():
            if event.seq <= since:
                continue
            ids = [o.id for o in expand(event, start, end)] or [event.id]
            items.extend((event.seq, i, None) for i in ids)
    items.sort(key=lambda item: (item[0], item[1]))
    return items


def calendar_view_delta(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = mailbox_user(ctx, params["user"])
    cursor: tuple[int, str] | None = None
    if request.query.get("$deltatoken"):
        token = _decode(request.query["$deltatoken"], user, ctx.state.delta_generation)
        start, end, since = token["start"], token["end"], int(token["q"])
    elif request.query.get("$skiptoken"):
        token = _decode(request.query["$skiptoken"], user, ctx.state.delta_generation)
        start, end, since = token["start"], token["end"], int(token["q"])
        cursor = (int(token["c"][0]), str(token["c"][1]))
    else:
        start, end = _window(request)
        since = 0
    view = view_for(request, allow_select=False)
    size = page_size(request)
    items = _delta_items(ctx, user, start, end, since)
    if cursor is not None:
        items = [item for item in items if (item[0], item[1]) > cursor]
    page, rest = items[:size], items[size:]
    value = []
    for _seq, item_id, occurrence in page:
        if occurrence is None:
            value.append({"@odata.type": "#microsoft.graph.event", "id": item_id, "@removed": {"reason": "deleted"}})
        else:
            value.append({"@odata.type": "#microsoft.graph.event", **event_json(occurrence, view)})
    window = {"u": user.id, "s": start.isoformat(), "e": end.isoformat(), "g": ctx.state.delta_generation}
    base = f"{ctx.base_url}{request.raw_path}"
    body: dict[str, Any] = {"@odata.context": context_url(ctx, "Collection(event)")}
    if rest:
        last = page[-1]
        body["@odata.nextLink"] = f"{base}?$skiptoken={_encode({**window, 'q': since, 'c': [last[0], last[1]]})}"
    else:
        body["@odata.deltaLink"] = f"{base}?$deltatoken={_encode({**window, 'q': ctx.state.seq})}"
    body["value"] = value
    if ctx.state.delta_expire_after is not None:
        ctx.state.delta_expire_after -= 1
        if ctx.state.delta_expire_after <= 0:
            ctx.state.delta_expire_after = None
            ctx.state.delta_generation += 1  # the links in this very page are already stale
    from_prefer = "odata.maxpagesize" in request.prefer()
    return json_response(body, headers=_preference_applied(request, view, from_prefer))


# ---- getSchedule ------------------------------------------------------------------------------------------


def _interval(raw: Any) -> int:
    if raw is None:
        return 30
    try:
        value = int(raw) if not isinstance(raw, bool) else -1
    except (TypeError, ValueError):
        value = -1
    if not 5 <= value <= 1440:
        raise GraphError(400, "ErrorInvalidMergedFreeBusyInterval",
                         "The availabilityViewInterval must be between 5 and 1440 minutes.")
    return value


def _availability(items: list[Occurrence], start: datetime, end: datetime, minutes: int) -> str:
    step = timedelta(minutes=minutes)
    slots = max(1, math.ceil((end - start) / step))
    ranks = [0] * slots
    digits = ["0"] * slots
    for item in items:
        status = item.event.show_as
        rank = _RANK.get(status, 0)
        if rank == 0:
            continue
        first = max(0, int((item.start - start) / step))
        last = min(slots - 1, math.ceil((item.end - start) / step) - 1)
        for slot in range(first, max(first, last) + 1):
            slot_start = start + step * slot
            if not overlaps(item.start, item.end, slot_start, slot_start + step):
                continue
            if rank > ranks[slot]:
                ranks[slot], digits[slot] = rank, STATUS_DIGITS.get(status, "0")
    return "".join(digits)


def _schedule_item(item: Occurrence, view: View) -> dict[str, Any]:
    event = item.event
    private = event.sensitivity == "private"
    entry: dict[str, Any] = {"isPrivate": private, "status": event.show_as}
    if event.sensitivity in ("normal", "personal"):
        entry["subject"] = event.subject
        entry["location"] = event.location.get("displayName", "")
    entry["start"] = dtz_json(item.start, view.zone, view.zone_name)
    entry["end"] = dtz_json(item.end, view.zone, view.zone_name)
    return entry


def get_schedule(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    mailbox_user(ctx, params["user"])
    raw = request.json()
    if not isinstance(raw, dict):
        raise GraphError(400, "ErrorInvalidRequest", "Expected a JSON object.")
    body = {key.lower(): value for key, value in raw.items()}
    schedules = body.get("schedules")
    if not isinstance(schedules, list) or not all(isinstance(s, str) for s in schedules) or not schedules:
        raise GraphError(400, "ErrorInvalidParameter", "The parameter 'Schedules' must be a list of SMTP addresses.")
    if len(schedules) > MAX_SCHEDULES:
        raise GraphError(400, "ErrorMailboxDataArrayTooBig",
                         "There are too many target users in the EmailAddress array. "
                         f"The allowed size = {MAX_SCHEDULES}; the actual size = {len(schedules)}.")
    try:
        start = parse_dtz(body.get("starttime")).at
        end = parse_dtz(body.get("endtime")).at
    except ValueError as exc:
        raise GraphError(400, "ErrorInvalidParameter", f"StartTime/EndTime: {exc}") from None
    if end <= start:
        raise GraphError(400, "ErrorInvalidTimeInterval",
                         "The time duration specified for FreeBusyViewOptions.TimeWindow is invalid.")
    days = math.ceil((end - start) / timedelta(days=1))
    if days > MAX_DAYS:
        raise GraphError(400, "ErrorTimeIntervalTooBig",
                         "The requested time duration specified for FreeBusyViewOptions.TimeWindow is too long. "
                         f"The allowed limit = {MAX_DAYS} days; the actual limit = {days} days.")
    minutes = _interval(body.get("availabilityviewinterval"))
    view = view_for(request, allow_select=False)
    value = []
    for address in schedules:
        user = ctx.state.find_mailbox(address)
        # Someone with a directory entry but no Exchange Online mailbox has no free/busy either: the same
        # error as an unknown address (tenants report it for such users, microsoft-graph-docs #11225).
        if user is None or ctx.state.access.lacks_mailbox(user.id):
            value.append({
                "scheduleId": address,
                "error": {
                    "message": f"Unable to resolve e-mail address {address} to an Active Directory object.",
                    "responseCode": "5009",
                },
            })
            continue
        items = [o for o in ctx.state.view(user, start, end) if not o.cancelled]
        value.append({
            "scheduleId": address,
            "availabilityView": _availability(items, start, end, minutes),
            "scheduleItems": [_schedule_item(o, view) for o in items],
        })
        hours = schedule_working_hours(
            dict(user.mailbox_settings.get("workingHours") or {}), ctx.state.free_busy_working_hours, start.year
        )
        if hours is not None:
            value[-1]["workingHours"] = hours
    result = {"@odata.context": context_url(ctx, "Collection(microsoft.graph.scheduleInformation)"), "value": value}
    return json_response(result, headers=_preference_applied(request, view, False))


def register(router: Router) -> None:
    router.add("GET", "/users/{user}/calendarView/delta", calendar_view_delta)
    router.add("GET", "/users/{user}/calendarView", calendar_view)
    router.add("GET", "/users/{user}/events", list_events)
    router.add("POST", "/users/{user}/calendar/getSchedule", get_schedule)
