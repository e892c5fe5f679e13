"""Teams online meetings and their attendance: find a meeting by joinWebUrl, read it, and read its
attendance reports and records (organizer only)."""

from __future__ import annotations

import re
from typing import Any

from emulator.context import Context
from emulator.errors import GraphError
from emulator.model import AttendanceReport, OnlineMeeting, User
from emulator.render import meeting_json, report_json
from emulator.router import Router
from emulator.routes_common import context_url
from emulator.wire import Request, Response, json_response

__all__ = ["register"]

_BY_URL = re.compile(r"^\s*joinWebUrl\s+eq\s+'(.*)'\s*$", re.IGNORECASE | re.DOTALL)
_BY_CODE = re.compile(r"^\s*joinMeetingIdSettings/joinMeetingId\s+eq\s+'(.*)'\s*$", re.IGNORECASE)


def _user(ctx: Context, key: str) -> User:
    user = ctx.state.find_user(key)
    if user is None:
        raise GraphError(404, "NotFound", f"The user '{key}' was not found.")
    return user


def _visible(meeting: OnlineMeeting, user: User) -> bool:
    return meeting.organizer_id == user.id or user.id in meeting.attendee_ids


def _meeting(ctx: Context, user: User, meeting_id: str) -> OnlineMeeting:
    meeting = ctx.state.meetings.get(meeting_id)
    if meeting is None or not _visible(meeting, user):
        raise GraphError(404, "NotFound", "The online meeting was not found.")
    return meeting


def _organizer_only(user: User, meeting: OnlineMeeting) -> None:
    if meeting.organizer_id != user.id:
        raise GraphError(403, "General", f"User ID in token({user.id}) is not the organizer of the queried meeting.")


def _by_object_id(ctx: Context, request: Request, key: str) -> User:
    """App-only onlineMeetings calls name the user by object id: a user principal name there is refused
    with an empty 403 (Microsoft Q&A 2169311), unlike the calendar routes."""
    user = _user(ctx, key)
    if (request.claims or {}).get("idtyp") == "app" and key.lower() != user.id.lower():
        raise GraphError(403, "Forbidden", "")
    return user


def list_meetings(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = _by_object_id(ctx, request, params["user"])
    raw = request.query.get("$filter")
    if not raw:
        raise GraphError(400, "BadRequest", "Filter expression is required to list online meetings "
                         "(JoinWebUrl eq '…' or joinMeetingIdSettings/joinMeetingId eq '…').")
    found: list[OnlineMeeting] = []
    if match := _BY_URL.match(raw):
        # The filter value is the join URL after the query string's one decoding, matched exactly.
        meeting = ctx.state.meeting_by_url(match.group(1))
        if meeting is None:
            # Graph answers a join URL it cannot resolve with 404 "3004: Specified meeting is not found"
            # (Microsoft Q&A 2084475, also for real meetings days after they ended), not an empty list.
            raise GraphError(404, "NotFound", "3004: Specified meeting is not found.")
        _organizer_only(user, meeting)  # an attendee's lookup is refused (docs-contrib #436)
        found = [meeting]
    elif match := _BY_CODE.match(raw):
        found = [m for m in ctx.state.meetings.values() if m.join_meeting_id == match.group(1)]
    else:
        raise GraphError(400, "BadRequest", f"Unsupported filter expression: {raw}")
    value = [meeting_json(m, ctx.state.users, ctx.state.tenant_id) for m in found if _visible(m, user)]
    return json_response({"@odata.context": context_url(ctx, f"users('{user.id}')/onlineMeetings"), "value": value})


def get_meeting(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = _by_object_id(ctx, request, params["user"])
    meeting = _meeting(ctx, user, params["meeting"])
    body: dict[str, Any] = {"@odata.context": context_url(ctx, f"users('{user.id}')/onlineMeetings/$entity")}
    body.update(meeting_json(meeting, ctx.state.users, ctx.state.tenant_id))
    return json_response(body)


def _reports_base(user: User, meeting: OnlineMeeting) -> str:
    return f"users('{user.id}')/onlineMeetings('{meeting.id}')/attendanceReports"


def list_reports(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = _by_object_id(ctx, request, params["user"])
    meeting = _meeting(ctx, user, params["meeting"])
    _organizer_only(user, meeting)
    value = [report_json(r, with_records=False) for r in meeting.reports]
    return json_response({"@odata.context": context_url(ctx, _reports_base(user, meeting)), "value": value})


def _report(meeting: OnlineMeeting, report_id: str) -> AttendanceReport:
    for report in meeting.reports:
        if report.id == report_id:
            return report
    raise GraphError(404, "NotFound", "The attendance report was not found.")


def get_report(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = _by_object_id(ctx, request, params["user"])
    meeting = _meeting(ctx, user, params["meeting"])
    _organizer_only(user, meeting)
    report = _report(meeting, params["report"])
    expand = (request.query.get("$expand") or "").replace(" ", "").lower()
    with_records = "attendancerecords" in expand.split(",")
    body: dict[str, Any] = {
        "@odata.context": context_url(ctx, f"{_reports_base(user, meeting)}('{report.id}')")
    }
    body.update(report_json(report, with_records))
    if not with_records:
        body.pop("attendanceRecords")
    return json_response(body)


def list_records(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    user = _by_object_id(ctx, request, params["user"])
    meeting = _meeting(ctx, user, params["meeting"])
    _organizer_only(user, meeting)
    report = _report(meeting, params["report"])
    context = context_url(ctx, f"{_reports_base(user, meeting)}('{report.id}')/attendanceRecords")
    return json_response({"@odata.context": context, "value": [dict(r) for r in report.records]})


def register(router: Router) -> None:
    router.add("GET", "/users/{user}/onlineMeetings", list_meetings)
    router.add("GET", "/users/{user}/onlineMeetings/{meeting}", get_meeting)
    router.add("GET", "/users/{user}/onlineMeetings/{meeting}/attendanceReports", list_reports)
    router.add("GET", "/users/{user}/onlineMeetings/{meeting}/attendanceReports/{report}", get_report)
    router.add("GET", "/users/{user}/onlineMeetings/{meeting}/attendanceReports/{report}/attendanceRecords",
               list_records)
