"""The emulator's records: users, events (singles, series masters, attendee copies), online meetings,
attendance reports, subscriptions. Times are aware UTC datetimes; zones are kept for local-time rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from emulator.recurrence import Recurrence

__all__ = ["App", "AttendanceReport", "Event", "OnlineMeeting", "Subscription", "User"]


@dataclass
class App:
    client_id: str
    client_secret: str | None
    roles: list[str] | None  # None: the roles micromentor's README asks admins to consent to
    object_id: str


@dataclass
class User:
    id: str
    upn: str
    mail: str
    display_name: str
    extra: dict[str, Any]  # department, officeLocation, givenName, … as seeded
    mailbox_settings: dict[str, Any]

    @property
    def proxy_addresses(self) -> list[str]:
        """resources/user.md: "SMTP:" marks the primary address; Exchange sets it from mail when unseeded."""
        return [str(a) for a in self.extra.get("proxyAddresses", [f"SMTP:{self.mail}"])]

    @property
    def smtp_addresses(self) -> tuple[str, ...]:
        """Every SMTP address that reaches this mailbox, lower case: mail and the smtp proxy addresses."""
        smtp = (a[5:] for a in self.proxy_addresses if a.lower().startswith("smtp:"))
        return tuple(dict.fromkeys(a.lower() for a in (self.mail, *smtp)))


@dataclass
class Event:
    id: str
    owner_id: str
    subject: str
    body_type: str
    body_content: str
    start: datetime
    end: datetime
    start_zone: tzinfo
    start_zone_name: str
    end_zone_name: str
    is_all_day: bool
    show_as: str
    categories: list[str]
    location: dict[str, Any]
    attendees: list[dict[str, Any]]
    organizer: dict[str, Any]
    is_organizer: bool
    response: str
    response_time: datetime | None
    ical_uid: str
    created: datetime
    last_modified: datetime
    change_key: str
    seq: int = 0
    is_cancelled: bool = False
    sensitivity: str = "normal"
    importance: str = "normal"
    reminder_minutes: int = 15
    is_reminder_on: bool = True
    allow_new_time_proposals: bool = True
    response_requested: bool = True
    is_online_meeting: bool = False
    online_meeting_provider: str = "unknown"
    online_meeting: dict[str, Any] | None = None
    meeting_id: str | None = None
    transaction_id: str | None = None
    recurrence: Recurrence | None = None
    recurrence_json: dict[str, Any] | None = None
    # Occurrence starts (UTC) removed from a series, and those cancelled by the organizer (attendee side).
    removed_starts: set[datetime] = field(default_factory=set)
    cancelled_starts: set[datetime] = field(default_factory=set)
    # Organizer side: attendee user id → that attendee's copy id. Attendee side: the organizer's event.
    copies: dict[str, str] = field(default_factory=dict)
    source: tuple[str, str] | None = None  # (organizer user id, organizer event id)

    @property
    def is_series(self) -> bool:
        return self.recurrence is not None


@dataclass
class OnlineMeeting:
    id: str
    organizer_id: str
    join_url: str
    join_meeting_id: str
    thread_id: str
    subject: str | None
    start: datetime
    end: datetime
    created: datetime
    event_ids: set[str] = field(default_factory=set)
    attendee_ids: list[str] = field(default_factory=list)
    reports: list[AttendanceReport] = field(default_factory=list)


@dataclass
class AttendanceReport:
    id: str
    start: datetime
    end: datetime
    records: list[dict[str, Any]]


@dataclass
class Subscription:
    id: str
    user_id: str
    resource: str
    change_types: set[str]
    notification_url: str
    expiration: datetime
    client_state: str | None
    application_id: str
    creator_id: str
    raw: dict[str, Any]
