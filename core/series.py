"""Biweekly series (cadence): a mentor and a mentee meet every `interval_days` (default 14) for 15, 20 or
30 minutes, a number of times or until someone stops. Pure: dates in, decisions out; no clock, no I/O.

- The cadence keeps the first session's wall-clock time in the mentor's zone: occurrence n targets the
  anchor's local date + n * interval at the anchor's local time (`target_start`), so 10:00 Paris stays
  10:00 Paris across a DST change (a wall time the change skips moves forward by the gap, a repeated one
  is its first occurrence: `core.quiet_hours.wall_to_utc`).
- Each next session is its own booking: the valid slot nearest the target (`nearest_slot`) within ±2
  working days (`working_day_window`), the working days being those the mentor and the mentee share
  (their mailbox working hours; Monday to Friday when none are known).
- When the window holds no valid slot the occurrence is skipped: both people get the three slots nearest
  the target (`nearest_alternatives`) and the series moves on to the next occurrence.
- A series stops (`stop_reason`) when either person stops it, when the mentor answered "no" to the
  outcome follow-up's "would you do another micro session?" on one of its sessions, or after two
  no-shows in a row (cancelled sessions are left out of "in a row"); it completes when `count` sessions
  were booked and the last one is over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from core.errors import Conflict, InputError
from core.model import Session, SessionState, Slot, WorkingHours
from core.quiet_hours import wall_to_utc

__all__ = [
    "DEFAULT_INTERVAL_DAYS",
    "SERIES_MINUTES",
    "WINDOW_WORKING_DAYS",
    "PlannedSession",
    "Series",
    "SeriesState",
    "StopReason",
    "booking_due",
    "ended",
    "is_over",
    "nearest_alternatives",
    "nearest_slot",
    "shared_working_days",
    "stop_reason",
    "stopped",
    "target_start",
    "validate_terms",
    "working_day_window",
]

DEFAULT_INTERVAL_DAYS = 14
MIN_INTERVAL_DAYS = 7  # ±2 working days around each target: closer cadences would overlap their windows
MAX_INTERVAL_DAYS = 56
SERIES_MINUTES = (15, 20, 30)
MAX_COUNT = 52
MAX_BOOK_AHEAD_DAYS = 62  # getSchedule spans at most 62 days (the policy's horizon cap)
WINDOW_WORKING_DAYS = 2
ALTERNATIVES = 3
_MON_FRI = frozenset(range(5))
_OVER = frozenset({SessionState.COMPLETED, SessionState.NO_SHOW, SessionState.CANCELLED})


class SeriesState(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"
    COMPLETED = "completed"  # `count` sessions booked and the last one over


class StopReason(StrEnum):
    STOPPED_BY_MENTOR = "stopped_by_mentor"
    STOPPED_BY_MENTEE = "stopped_by_mentee"
    MENTOR_DECLINED = "mentor_declined"  # "no" to "would you do another micro session?"
    TWO_NO_SHOWS = "two_no_shows"


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """The slot chosen for an occurrence, written before it is booked, so a run that dies in between
    books that same slot with the same idempotency key (`series:{id}:{occurrence}:{attempt}`) instead of
    searching again. When the chosen slot could not be booked (taken meanwhile, a cap reached), `start`
    becomes None and `attempt` grows: the next search books under a new key."""

    occurrence: int
    attempt: int
    start: datetime | None


@dataclass(frozen=True, slots=True)
class Series:
    id: str
    mentor: str
    mentee: str
    minutes: int
    anchor: datetime  # the first session's start (UTC): occurrence 0
    question: str
    created_at: datetime
    created_by: str
    interval_days: int = DEFAULT_INTERVAL_DAYS
    count: int | None = None  # sessions wanted; None: open-ended
    topic: str | None = None
    book_ahead_days: int | None = None  # None: book the next one once the previous one is over
    state: SeriesState = SeriesState.ACTIVE
    stop_reason: StopReason | None = None
    stopped_by: str | None = None
    stopped_at: datetime | None = None
    next_occurrence: int = 1  # the occurrence to book next (0 was booked when the series started)
    session_ids: tuple[str, ...] = ()  # booked sessions, in order
    skipped: tuple[int, ...] = ()  # occurrences without a valid slot in their window
    plan: PlannedSession | None = None
    updated_at: datetime | None = None
    version: str = ""  # set by the store: what a conditional update compares

    @classmethod
    def first_held(
        cls,
        series_id: str,
        first: Session,
        *,
        created_by: str,
        interval_days: int,
        count: int | None,
        book_ahead_days: int | None,
        now: datetime,
    ) -> Series:
        """A series whose occurrence 0 is `first` (just booked, or held and now repeated): its people,
        length, time, question and topic are the session's."""
        return cls(
            id=series_id,
            mentor=first.mentor,
            mentee=first.mentees[0],
            minutes=first.minutes,
            anchor=first.start,
            question=first.question,
            created_at=now,
            created_by=created_by,
            interval_days=interval_days,
            count=count,
            topic=first.topic,
            book_ahead_days=book_ahead_days,
            session_ids=(first.id,),
            updated_at=now,
        )

    @property
    def booked(self) -> int:
        return len(self.session_ids)

    @property
    def is_open(self) -> bool:
        return self.state is SeriesState.ACTIVE


def validate_terms(
    *, minutes: object, interval_days: object, count: object, book_ahead_days: object
) -> tuple[int, int, int | None, int | None]:
    """The series' terms checked, each error naming its field."""

    def whole(field: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(field, "must be a whole number")
        return value

    length = whole("minutes", minutes)
    if length not in SERIES_MINUTES:
        raise InputError("minutes", f"must be one of {', '.join(map(str, SERIES_MINUTES))}, got {length}")
    interval = whole("intervalDays", interval_days)
    if not MIN_INTERVAL_DAYS <= interval <= MAX_INTERVAL_DAYS:
        raise InputError("intervalDays", f"must be between {MIN_INTERVAL_DAYS} and {MAX_INTERVAL_DAYS}")
    sessions = None if count is None else whole("count", count)
    if sessions is not None and not 2 <= sessions <= MAX_COUNT:
        raise InputError("count", f"must be between 2 and {MAX_COUNT}, or left out for an open-ended series")
    ahead = None if book_ahead_days is None else whole("bookAheadDays", book_ahead_days)
    if ahead is not None and not 1 <= ahead <= MAX_BOOK_AHEAD_DAYS:
        raise InputError("bookAheadDays", f"must be between 1 and {MAX_BOOK_AHEAD_DAYS}")
    return length, interval, sessions, ahead


def target_start(anchor: datetime, occurrence: int, interval_days: int, zone: tzinfo) -> datetime:
    """Occurrence `occurrence`'s target: the anchor's local wall time, `occurrence * interval_days`
    calendar days later, in `zone` (the mentor's), as UTC."""
    local = anchor.astimezone(zone)
    day = local.date() + timedelta(days=occurrence * interval_days)
    return wall_to_utc(day, time(local.hour, local.minute, local.second), zone)


def shared_working_days(*hours: WorkingHours | None) -> frozenset[int]:
    """The weekdays (0 = Monday) everyone works: each person's mailbox working days, Monday to Friday
    when unknown. With no day in common (a Sat-Wed week and a Thu-Fri one): the days anyone works, so a
    window is still defined; the slot rules still check each person's own hours."""
    days = [h.days if h is not None else _MON_FRI for h in hours]
    common = frozenset.intersection(*days) if days else _MON_FRI
    if common:
        return common
    anyone = frozenset().union(*days)
    return anyone or _MON_FRI


def working_day_window(
    target: datetime, zone: tzinfo, working_days: frozenset[int], span: int = WINDOW_WORKING_DAYS
) -> tuple[datetime, datetime]:
    """From the start of the `span`-th working day before the target's local day to the end of the
    `span`-th working day after it, in `zone`, as UTC. The target's own day is in the window whether or
    not it is a working day (a Saturday target with Mon-Fri: Thursday 00:00 to Wednesday 00:00)."""
    days = working_days or _MON_FRI
    day = target.astimezone(zone).date()
    low = _step_working_days(day, -1, span, days)
    high = _step_working_days(day, +1, span, days)
    return wall_to_utc(low, time(0), zone), wall_to_utc(high + timedelta(days=1), time(0), zone)


def _step_working_days(day: date, direction: int, span: int, days: frozenset[int]) -> date:
    found = 0
    while found < span:
        day += timedelta(days=direction)
        found += day.weekday() in days
    return day


def nearest_slot(slots: Iterable[Slot], target: datetime, window: tuple[datetime, datetime]) -> Slot | None:
    """The slot inside the window whose start is nearest the target; on a tie, the earlier one."""
    low, high = window
    inside = [s for s in slots if low <= s.start and s.end <= high]
    return min(inside, key=lambda s: (abs(s.start - target), s.start), default=None)


def nearest_alternatives(slots: Iterable[Slot], target: datetime, limit: int = ALTERNATIVES) -> list[Slot]:
    """The `limit` slots nearest the target (anywhere), in time order: what people get offered instead."""
    nearest = sorted(slots, key=lambda s: (abs(s.start - target), s.start))[:limit]
    return sorted(nearest, key=lambda s: s.start)


def is_over(state: SessionState) -> bool:
    return state in _OVER


def booking_due(
    *,
    previous: SessionState | None,
    target: datetime,
    window_end: datetime,
    now: datetime,
    horizon_days: int,
    book_ahead_days: int | None,
) -> bool:
    """Whether the next session may be booked now: the previous one is over (completed, no-show or
    cancelled), or the series books `book_ahead_days` ahead and the target is that close; and, either
    way, the whole window is within the policy's horizon (no slot beyond it is valid, so a search any
    earlier would see only the days before the target and pick among them)."""
    if window_end > now + timedelta(days=horizon_days):
        return False
    if previous is None or is_over(previous):
        return True
    return book_ahead_days is not None and now >= target - timedelta(days=book_ahead_days)


def stop_reason(sessions: Sequence[Session], mentor_answers: Mapping[str, str]) -> StopReason | None:
    """Why the series stops on its own, or None. `mentor_answers`: session id -> the mentor's current
    answer to the outcome follow-up ("yes", "maybe", "no")."""
    if any(mentor_answers.get(s.id) == "no" for s in sessions):
        return StopReason.MENTOR_DECLINED
    held = [
        s for s in sorted(sessions, key=lambda s: s.start) if s.state in (SessionState.COMPLETED, SessionState.NO_SHOW)
    ]
    if len(held) >= 2 and all(s.state is SessionState.NO_SHOW for s in held[-2:]):
        return StopReason.TWO_NO_SHOWS
    return None


def stopped(series: Series, *, by: str, now: datetime) -> Series:
    """The series stopped by its mentor or mentee (`by`, lower case)."""
    if not series.is_open:
        raise Conflict("id", f"this series is already {series.state.value}")
    if by == series.mentor:
        reason = StopReason.STOPPED_BY_MENTOR
    elif by == series.mentee:
        reason = StopReason.STOPPED_BY_MENTEE
    else:
        raise InputError("by", f"{by} is neither the mentor nor the mentee of this series")
    return ended(series, reason, by=by, now=now)


def ended(series: Series, reason: StopReason, *, by: str | None, now: datetime) -> Series:
    return replace(
        series, state=SeriesState.STOPPED, stop_reason=reason, stopped_by=by, stopped_at=now, plan=None, updated_at=now
    )
