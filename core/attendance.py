"""From a session and its Teams attendance reports to the session's state (`metrics.md`).

Pure: the caller fetches the reports and passes `now`; this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from core.errors import InputError
from core.model import AttendanceInterval, AttendanceRecord, AttendanceReport, Participant, Session, SessionState

__all__ = [
    "ALL_ABSENT",
    "ATTENDANCE_UNAVAILABLE",
    "AWAITING_REPORT",
    "MENTEES_ABSENT",
    "MENTOR_ABSENT",
    "NO_REPORT",
    "REPORT_GRACE",
    "AttendanceReport",
    "StateDecision",
    "attended_seconds",
    "awaits_identity",
    "decide_state",
    "participants_of",
]

# metrics.md: without a report, a session waits this long in `pending_attendance`, then is a no-show.
REPORT_GRACE = timedelta(hours=48)

# Reasons a decision carries (`Session.state_reason`).
AWAITING_REPORT = "awaiting_report"
NO_REPORT = "no_report"
MENTOR_ABSENT = "mentor_absent"
MENTEES_ABSENT = "mentees_absent"
ALL_ABSENT = "all_absent"
# Graph refused to show the attendance (no Teams access policy for the organizer, or a missing app
# role): the session waits in `pending_attendance`, listed apart from no-shows, until it can be read.
ATTENDANCE_UNAVAILABLE = "attendance_unavailable"


@dataclass(frozen=True, slots=True)
class StateDecision:
    """The session's new state; `missing` lists the participants below the threshold (session spelling,
    sorted case-insensitively); `reason` says why a session is not (yet) completed."""

    state: SessionState
    missing: tuple[str, ...] = ()
    reason: str | None = None


def decide_state(
    *,
    session: Session,
    reports: Sequence[AttendanceReport] | None,
    now: datetime,
    ratio: float,
    report_grace: timedelta = REPORT_GRACE,
) -> StateDecision:
    """The state `session` is in at `now`, given every attendance report fetched for its meeting.

    - A cancelled session stays cancelled, whatever the reports say.
    - Before its end, a session is `scheduled` (a moved event moves the session and resets it).
    - After its end, with reports: `completed` iff the mentor and at least one mentee were each present
      for at least `ratio` x the scheduled length (the time they spent in the meeting across all
      reports, overlap with the scheduled time not required); otherwise `no_show` with who was missing.
    - After its end without reports: `pending_attendance` until `end + report_grace`, then `no_show`
      (reason `no_report`, every participant listed as missing: Teams publishes a report whenever the
      meeting was held, so none at all means nobody joined). A session already decided (`completed` or
      `no_show`) keeps its decision when no report is passed: absence of evidence does not undo it.

    The threshold is compared exactly: `ratio` is read as the decimal it prints as (0.66 means 66/100),
    so 594 s of a 900 s session meet 0.66 and 593.999 s do not.
    """
    if not 0 < ratio <= 1:
        raise InputError("completion_min_ratio", f"must be in (0, 1], got {ratio}")
    if session.state is SessionState.CANCELLED:
        return StateDecision(SessionState.CANCELLED, session.missing, session.state_reason)
    if now < session.end:
        return StateDecision(SessionState.SCHEDULED)
    if not reports:
        if session.state in (SessionState.COMPLETED, SessionState.NO_SHOW):
            return StateDecision(session.state, session.missing, session.state_reason)
        if now >= session.end + report_grace:
            everyone = _sorted_people((session.mentor, *session.mentees))
            return StateDecision(SessionState.NO_SHOW, everyone, NO_REPORT)
        return StateDecision(SessionState.PENDING_ATTENDANCE, (), AWAITING_REPORT)

    present = attended_seconds(reports, participants_of(session))
    # Exact rational arithmetic: microseconds present x denominator >= numerator x scheduled microseconds.
    threshold = Fraction(str(ratio)) * _microseconds(session.end - session.start)

    def attended(person: str) -> bool:
        return _microseconds(present.get(_key(person), timedelta(0))) >= threshold

    mentor_ok = attended(session.mentor)
    mentees_ok = [m for m in session.mentees if attended(m)]
    missing = _sorted_people(p for p in (session.mentor, *session.mentees) if not attended(p))
    if mentor_ok and mentees_ok:
        return StateDecision(SessionState.COMPLETED, missing, None)
    if mentor_ok:
        reason = MENTEES_ABSENT
    elif mentees_ok:
        reason = MENTOR_ABSENT
    else:
        reason = ALL_ABSENT
    return StateDecision(SessionState.NO_SHOW, missing, reason)


def participants_of(session: Session) -> tuple[Participant, ...]:
    """The session's people as resolved at booking, or (sessions booked before that) bare addresses."""
    known = {_key(p.address): p for p in session.people}
    return tuple(known.get(_key(a), Participant(a)) for a in (session.mentor, *session.mentees))


def _owner(record: AttendanceRecord, people: Sequence[Participant]) -> str | None:
    """Whose record this is: by object id first (Graph's `identity.id`), else by any known address.
    A record matching nobody (a guest, a dial-in, an empty address with an unknown id) counts for nobody."""
    if record.user_id:
        for person in people:
            if person.object_id and person.object_id.casefold() == record.user_id.casefold():
                return _key(person.address)
    email = _key(record.email)
    if email:
        for person in people:
            if record.user_id and person.object_id:
                continue  # both ids known and different: another person, whatever address it shows
            if email == _key(person.address) or email in person.aliases:
                return _key(person.address)
    return None


def awaits_identity(
    session: Session, reports: Sequence[AttendanceReport], now: datetime, report_grace: timedelta = REPORT_GRACE
) -> bool:
    """Whether deciding must wait: someone of the session has no known object id (the directory did not
    resolve them) while a record can be attributed to nobody (an empty e-mail, an unknown id), so it may
    be theirs and deciding now could call them absent for good. After the grace period, decide anyway."""
    people = participants_of(session)
    if all(p.object_id for p in people) or now >= session.end + report_grace:
        return False
    return any(_owner(r, people) is None for report in reports for r in report.records)


def attended_seconds(
    reports: Iterable[AttendanceReport], people: Sequence[Participant] | None = None
) -> dict[str, timedelta]:
    """Time each participant spent in the meeting, across all reports, keyed by the participant's
    case-folded address. Without `people`, each record counts for the address it shows.

    A participant's intervals are merged before they are added up, so joining from two devices at
    once counts that stretch once; a record without intervals contributes its `total_seconds`.
    """
    intervals: dict[str, list[AttendanceInterval]] = {}
    totals: dict[str, timedelta] = {}
    for report in reports:
        for record in report.records:
            key = _owner(record, people) if people is not None else _key(record.email)
            if not key:
                continue  # anonymous, dial-in or guest participants: nobody we could match
            if record.intervals:
                intervals.setdefault(key, []).extend(record.intervals)
            elif record.total_seconds:
                totals[key] = totals.get(key, timedelta(0)) + timedelta(seconds=max(0, record.total_seconds))
    for key, spans in intervals.items():
        totals[key] = totals.get(key, timedelta(0)) + _union_length(spans)
    return totals


def _union_length(spans: Sequence[AttendanceInterval]) -> timedelta:
    total = timedelta(0)
    current_start: datetime | None = None
    current_end: datetime | None = None
    for span in sorted((s for s in spans if s.leave > s.join), key=lambda s: s.join):
        if current_start is None or current_end is None or span.join > current_end:
            if current_start is not None and current_end is not None:
                total += current_end - current_start
            current_start, current_end = span.join, span.leave
        elif span.leave > current_end:
            current_end = span.leave
    if current_start is not None and current_end is not None:
        total += current_end - current_start
    return total


def _microseconds(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


def _key(email: str) -> str:
    return email.strip().casefold()


def _sorted_people(people: Iterable[str]) -> tuple[str, ...]:
    unique: dict[str, str] = {}
    for person in people:
        unique.setdefault(_key(person), person)
    return tuple(unique[k] for k in sorted(unique))
