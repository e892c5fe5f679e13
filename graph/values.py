"""Plain values the Graph gateway returns and accepts (no SDK models leak out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from core.model import CalendarItem, WorkingHours
from core.quiet_hours import AutoReplies

__all__ = [
    "DeltaPage",
    "DirectoryEntry",
    "DirectoryUser",
    "EventDraft",
    "EventSnapshot",
    "Mailbox",
    "Schedule",
]


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    id: str
    upn: str
    mail: str
    display_name: str
    department: str | None = None
    office_location: str | None = None
    aliases: frozenset[str] = frozenset()  # mail, UPN and SMTP proxy addresses, case-folded
    smtp: frozenset[str] = frozenset()  # mail and SMTP proxy addresses only (what getSchedule resolves), case-folded


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """A directory user with the extra properties asked for by name (`employeeType`…), as Graph gave them."""

    user: DirectoryUser
    extra: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Mailbox:
    upn: str
    tz: tzinfo
    working_hours: WorkingHours | None
    language: str | None = None  # mailboxSettings.language.locale, e.g. "fr-FR"; None when Graph gives none
    # mailboxSettings.automaticRepliesSetting (status, scheduled start, end); None when Graph gives none
    auto_replies: AutoReplies | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """One person's getSchedule answer: busy items in UTC. Its `workingHours` are left unread: a person's
    day is their mailbox's zone, which the working hours' zone need not be (resources/workinghours.md), so
    working hours come from mailboxSettings (graph/directory.py)."""

    upn: str
    items: tuple[CalendarItem, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class EventDraft:
    subject: str
    body_html: str
    start: datetime
    end: datetime
    zone: tzinfo  # the organizer's zone (IANA): the adapter writes it as Graph names it, so the invite reads locally
    attendees: tuple[tuple[str, str], ...]  # (address, display name), all required
    transaction_id: str
    categories: tuple[str, ...] = ()
    reminder_minutes: int = 10
    allow_new_time_proposals: bool = False


@dataclass(frozen=True, slots=True)
class EventSnapshot:
    id: str
    start: datetime
    end: datetime
    is_cancelled: bool
    join_url: str | None
    responses: dict[str, str] = field(default_factory=dict)  # attendee address (lower) -> response
    transaction_id: str | None = None
    subject: str = ""
    categories: tuple[str, ...] = ()
    body_html: str = ""


@dataclass(frozen=True, slots=True)
class DeltaPage:
    """The changes of one delta round, and the link that starts the next round."""

    changed: tuple[EventSnapshot, ...]
    removed: tuple[str, ...]
    delta_link: str
