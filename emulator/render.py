"""Graph v1.0 JSON for the emulator's records (events, users, online meetings, attendance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from emulator.bodies import body_preview
from emulator.model import AttendanceReport, OnlineMeeting, User
from emulator.occurrences import Occurrence
from emulator.timeutil import dtz_json, utc_stamp

__all__ = [
    "DEFAULT_USER_KEYS",
    "EVENT_PROPERTIES",
    "UnknownEventProperty",
    "UnknownUserProperty",
    "View",
    "check_event_select",
    "event_json",
    "meeting_json",
    "report_json",
    "select_keys",
    "user_json",
]

_NEVER = "0001-01-01T00:00:00Z"
DEFAULT_USER_KEYS = (
    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
    "preferredLanguage", "surname", "userPrincipalName", "id",
)


@dataclass(frozen=True)
class View:
    """How to render: the Prefer outlook.timezone zone (None = UTC) and the $select keys (None = all)."""

    zone: tzinfo | None = None
    zone_name: str | None = None
    select: tuple[str, ...] | None = None


def select_keys(raw: str | None) -> tuple[str, ...] | None:
    if not raw:
        return None
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    return keys or None


def _pick(full: dict[str, Any], select: tuple[str, ...] | None, always: tuple[str, ...]) -> dict[str, Any]:
    if select is None:
        return full
    wanted = {k.lower() for k in select} | {k.lower() for k in always}
    return {k: v for k, v in full.items() if k.lower() in wanted}


@lru_cache(maxsize=65536)
def _web_link(item_id: str) -> str:
    return f"https://outlook.office365.com/owa/?itemid={quote(item_id, safe='')}&exvsurl=1&path=/calendar/item"


def _time(value: datetime | None) -> str:
    return utc_stamp(value) if value is not None else _NEVER


def event_json(occ: Occurrence, view: View) -> dict[str, Any]:
    event = occ.event
    is_occurrence = occ.kind == "occurrence"
    full: dict[str, Any] = {
        "@odata.etag": f'W/"{event.change_key}"',
        "id": occ.id,
        "createdDateTime": utc_stamp(event.created),
        "lastModifiedDateTime": utc_stamp(event.last_modified),
        "changeKey": event.change_key,
        "categories": list(event.categories),
    }
    if event.transaction_id is not None:
        full["transactionId"] = event.transaction_id
    full.update(
        {
            "originalStartTimeZone": event.start_zone_name,
            "originalEndTimeZone": event.end_zone_name,
            "iCalUId": event.ical_uid,
            "uid": event.ical_uid,
            "reminderMinutesBeforeStart": event.reminder_minutes,
            "isReminderOn": event.is_reminder_on,
            "hasAttachments": False,
            "subject": event.subject,
            "bodyPreview": body_preview(event.body_content),
            "importance": event.importance,
            "sensitivity": event.sensitivity,
            "isAllDay": event.is_all_day,
            "isCancelled": occ.cancelled,
            "isOrganizer": event.is_organizer,
            "responseRequested": event.response_requested,
            "seriesMasterId": event.id if is_occurrence else None,
            "showAs": event.show_as,
            "type": occ.kind,
            "webLink": _web_link(occ.id),
            "onlineMeetingUrl": None,
            "isOnlineMeeting": event.is_online_meeting,
            "onlineMeetingProvider": event.online_meeting_provider,
            "allowNewTimeProposals": event.allow_new_time_proposals,
            "isDraft": False,
            "hideAttendees": False,
            "responseStatus": {"response": event.response, "time": _time(event.response_time)},
            "body": {"contentType": event.body_type, "content": event.body_content},
            "start": dtz_json(occ.start, view.zone, view.zone_name),
            "end": dtz_json(occ.end, view.zone, view.zone_name),
            "location": dict(event.location),
            "locations": [dict(event.location)] if event.location.get("displayName") else [],
            "recurrence": event.recurrence_json if occ.kind == "seriesMaster" else None,
            "attendees": [
                {"type": a["type"], "status": dict(a["status"]), "emailAddress": dict(a["emailAddress"])}
                for a in event.attendees
            ],
            "organizer": {"emailAddress": dict(event.organizer["emailAddress"])},
            "onlineMeeting": dict(event.online_meeting) if event.online_meeting else None,
        }
    )
    return _pick(full, view.select, ("id", "@odata.etag"))


# Properties of `resources/user.md` the emulator models besides the ones rendered below: null unless
# seeded. Graph returns them only when $select-ed (`api/user-get.md`: "returns by default only a subset").
_USER_SELECTABLE = (
    "accountEnabled", "city", "companyName", "country", "employeeId", "employeeType", "postalCode", "state",
    "streetAddress", "usageLocation", "userType",
)
_EXTENSION_ATTRIBUTES = tuple(f"extensionAttribute{i}" for i in range(1, 16))


class UnknownUserProperty(ValueError):
    """A $select naming something that is not a user property (Graph: 400 "Could not find a property …")."""


class UnknownEventProperty(ValueError):
    """A $select naming something that is not an event property (Graph: 400 "Could not find a property …")."""


# resources/event.md: the properties and relationships of microsoft.graph.event (v1.0), and `transactionId`
# and `uid`, which the emulator renders too. A $select naming anything else is refused, as for users.
EVENT_PROPERTIES = frozenset(k.lower() for k in (
    "allowNewTimeProposals", "attendees", "body", "bodyPreview", "categories", "changeKey", "createdDateTime", "end",
    "hasAttachments", "hideAttendees", "iCalUId", "id", "importance", "isAllDay", "isCancelled", "isDraft",
    "isOnlineMeeting", "isOrganizer", "isReminderOn", "lastModifiedDateTime", "location", "locations",
    "onlineMeeting", "onlineMeetingProvider", "onlineMeetingUrl", "organizer", "originalEndTimeZone",
    "originalStart", "originalStartTimeZone", "recurrence", "reminderMinutesBeforeStart", "responseRequested",
    "responseStatus", "sensitivity", "seriesMasterId", "showAs", "start", "subject", "type", "webLink",
    "transactionId", "uid", "attachments", "calendar", "extensions", "instances", "multiValueExtendedProperties",
    "singleValueExtendedProperties",
))  # fmt: skip


def check_event_select(select: tuple[str, ...] | None) -> None:
    for key in select or ():
        if key.lower() not in EVENT_PROPERTIES:
            raise UnknownEventProperty(key)


def _extension_attributes(user: User) -> dict[str, Any]:
    # resources/onpremisesextensionattributes.md: the 15 attributes, each null when not set.
    seeded = user.extra.get("onPremisesExtensionAttributes") or {}
    return {name: seeded.get(name) for name in _EXTENSION_ATTRIBUTES}


def user_json(user: User, select: tuple[str, ...] | None) -> dict[str, Any]:
    full: dict[str, Any] = {
        "businessPhones": list(user.extra.get("businessPhones", [])),
        "displayName": user.display_name or None,
        "givenName": user.extra.get("givenName"),
        "jobTitle": user.extra.get("jobTitle"),
        "mail": user.mail,
        "mobilePhone": user.extra.get("mobilePhone"),
        "officeLocation": user.extra.get("officeLocation"),
        "preferredLanguage": user.extra.get("preferredLanguage"),
        "surname": user.extra.get("surname"),
        "userPrincipalName": user.upn,
        "id": user.id,
        "department": user.extra.get("department"),
        "mailboxSettings": user.mailbox_settings,
        # resources/user.md: "SMTP:" marks the primary address; returned only on $select.
        "proxyAddresses": user.proxy_addresses,
        "onPremisesExtensionAttributes": _extension_attributes(user),
        **{name: user.extra.get(name) for name in _USER_SELECTABLE},
    }
    if select is None:
        return {k: full[k] for k in DEFAULT_USER_KEYS}
    known = {k.lower() for k in full}
    for key in select:
        # Graph answers 400 for a name that is not a property of the type (a nested path such as
        # onPremisesExtensionAttributes/extensionAttribute3 included): the query is refused, not trimmed.
        if key.lower() not in known:
            raise UnknownUserProperty(key)
    wanted = {k.lower() for k in select}
    return {k: v for k, v in full.items() if k.lower() in wanted}


def _identity(user_id: str, tenant_id: str) -> dict[str, Any]:
    return {
        "user": {
            "id": user_id,
            "displayName": None,
            "tenantId": tenant_id,
            "identityProvider": "AAD",
        }
    }


def meeting_json(meeting: OnlineMeeting, users: dict[str, User], tenant_id: str) -> dict[str, Any]:
    organizer = users.get(meeting.organizer_id)
    return {
        "id": meeting.id,
        "creationDateTime": utc_stamp(meeting.created),
        "startDateTime": utc_stamp(meeting.start),
        "endDateTime": utc_stamp(meeting.end),
        "joinWebUrl": meeting.join_url,
        "subject": meeting.subject,
        "isBroadcast": False,
        "autoAdmittedUsers": "everyoneInCompany",
        "outerMeetingAutoAdmittedUsers": None,
        "isEntryExitAnnounced": True,
        "allowedPresenters": "everyone",
        "allowMeetingChat": "enabled",
        "allowTeamworkReactions": True,
        "recordAutomatically": False,
        "videoTeleconferenceId": None,
        "externalId": None,
        "audioConferencing": None,
        "chatInfo": {"threadId": meeting.thread_id, "messageId": "0", "replyChainMessageId": None},
        "participants": {
            "organizer": {
                "upn": organizer.upn if organizer else None,
                "role": "presenter",
                "identity": _identity(meeting.organizer_id, tenant_id),
            },
            "attendees": [
                {
                    "upn": users[uid].upn if uid in users else None,
                    "role": "attendee",
                    "identity": _identity(uid, tenant_id),
                }
                for uid in meeting.attendee_ids
            ],
            "producers": [],
            "contributors": [],
        },
        "lobbyBypassSettings": {"scope": "organization", "isDialInBypassEnabled": False},
        "joinMeetingIdSettings": {
            "isPasscodeRequired": False,
            "joinMeetingId": meeting.join_meeting_id,
            "passcode": None,
        },
    }


def report_json(report: AttendanceReport, with_records: bool) -> dict[str, Any]:
    return {
        "id": report.id,
        "totalParticipantCount": len(report.records),
        "meetingStartDateTime": utc_stamp(report.start),
        "meetingEndDateTime": utc_stamp(report.end),
        "attendanceRecords": [dict(r) for r in report.records] if with_records else [],
    }
