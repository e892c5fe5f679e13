"""Plain values shared by the core, the services and the adapters.

Every datetime here is timezone-aware and, once it leaves an adapter, in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, tzinfo
from enum import StrEnum

__all__ = [
    "MENTORING_CATEGORY",
    "SHOW_AS_VALUES",
    "AttendanceInterval",
    "AttendanceRecord",
    "AttendanceReport",
    "Attendee",
    "CalendarItem",
    "Checklist",
    "MentoringRequest",
    "Participant",
    "Session",
    "SessionState",
    "Slot",
    "WorkingHours",
]

SHOW_AS_VALUES = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
MENTORING_CATEGORY = "Micro-mentoring"


@dataclass(frozen=True, slots=True)
class CalendarItem:
    """One event occurrence on someone's calendar (recurrences already expanded)."""

    start: datetime
    end: datetime
    show_as: str = "busy"
    subject: str = ""
    categories: tuple[str, ...] = ()
    is_all_day: bool = False
    is_cancelled: bool = False
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """One range for all working days, in the working hours' own time zone.

    `days` holds ISO-style weekday numbers as `datetime.weekday()` returns them (0 = Monday).
    """

    days: frozenset[int]
    start: time
    end: time
    tz: tzinfo


@dataclass(frozen=True, slots=True)
class Attendee:
    """A person taking part in a search: mailbox zone, working hours and calendar."""

    upn: str
    tz: tzinfo
    working_hours: WorkingHours | None
    items: tuple[CalendarItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    why: str | None = None


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    PENDING_ATTENDANCE = "pending_attendance"


@dataclass(frozen=True, slots=True)
class AttendanceInterval:
    join: datetime
    leave: datetime


@dataclass(frozen=True, slots=True)
class AttendanceRecord:
    """One participant's presence in one attendance report: `user_id` is the directory object id
    (`identity.id`), `email` the address Graph shows, which may be the mail, not the UPN, or empty."""

    email: str
    intervals: tuple[AttendanceInterval, ...] = ()
    total_seconds: int | None = None
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    """Who a session's participant is in the directory: the object id attendance records carry, and the
    addresses a record's e-mail may show (mail, user principal name, proxy addresses), case-folded."""

    address: str  # as the session spells it
    object_id: str | None = None
    aliases: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AttendanceReport:
    """One Teams attendance report: Graph publishes one each time the online meeting ends."""

    id: str
    records: tuple[AttendanceRecord, ...]
    meeting_start: datetime | None = None
    meeting_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """One booked micro mentoring meeting: one Graph event, one Teams online meeting."""

    id: str
    mentor: str
    mentees: tuple[str, ...]
    start: datetime
    end: datetime
    question: str
    created_at: datetime
    state: SessionState = SessionState.SCHEDULED
    topic: str | None = None
    request_id: str | None = None
    event_id: str | None = None
    join_url: str | None = None
    transaction_id: str | None = None
    missing: tuple[str, ...] = ()
    state_reason: str | None = None
    updated_at: datetime | None = None
    people: tuple[Participant, ...] = ()  # resolved at booking; empty for sessions booked before that
    online_meeting_id: str | None = None  # found once by join URL; later syncs read reports directly
    seats: int | None = None  # a group flash session (`mentees` = who joined so far); None: a 1:1 session
    series_id: str | None = None  # booked as part of a series (core.series); None: on its own

    @property
    def is_group(self) -> bool:
        return self.seats is not None

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class MentoringRequest:
    """A mentee's ask for help; its creation starts the 'time to first session' clock."""

    id: str
    mentee: str
    skill: str
    question: str
    created_at: datetime
    mentors: tuple[str, ...] = field(default=())
    sessions_wanted: int = 1


@dataclass(frozen=True, slots=True)
class Checklist:
    """The 2-10-3 checklist of one session, filled in by its mentor and mentees: the mentee's question,
    the options discussed (at most three), one next step and its success indicator. `version` counts
    saves (0 = never saved); a save names the version it was based on, so two people editing at once
    cannot overwrite each other silently. The 7-day check-in reads `next_step` and `success_indicator`."""

    session_id: str
    question: str = ""
    options: tuple[str, ...] = ()
    next_step: str = ""
    success_indicator: str = ""
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None
