"""The metrics of `metrics.md` over a period: completion, no-shows, time to first session, mentor load,
participation by segment, and weekly trends for charts.

Pure: sessions, requests and caps in, a `Report` out. The rules, where `metrics.md` leaves room:

- Scope. Session metrics cover the sessions whose scheduled start is in `[period_from, period_to)`.
  Time to first session covers the requests created in `[period_from, period_to)`; a request's first
  session is its earliest-starting non-cancelled session among *all* `sessions` passed (whatever the
  period), so the caller decides how far past the period to look. A request with none is "waiting".
- People are compared case-insensitively and reported in lower case (UPNs and emails are
  case-insensitive); `caps`, `mentor_tz` and `segments` are looked up with the lower-cased UPN
  (`segments` keys may be any case).
- Completion rate = completed / (completed + no_show), None when that is 0. Cancelled, scheduled and
  pending_attendance sessions are counted apart and never enter the rate.
- Moves. A session moved in Outlook stays one session (sync rewrites its time). A session moved from
  the session page is booked anew and the old one cancelled with `moved <n> <start>`
  (`core.session_claims`): that old session is left out everywhere, so a page move counts as an
  Outlook move does, one session at its new time and no cancellation.
- Median: the middle value, the mean of the two middle values for an even count. 90th percentile:
  nearest rank, the value at rank ceil(0.9 x n) of the ascending values (n = 10 -> the 9th).
- Per mentor: `sessions` counts every session in the period (all states). Distinct and repeat mentees
  count non-cancelled sessions only (a repeat mentee has two or more with that mentor). Load counts
  non-cancelled sessions, as the caps do (`policy.md`), per local day / ISO week / month in the
  mentor's zone (UTC without `mentor_tz`); only sessions in the period count, so a week cut by the
  period's edge shows part of its load.
- Segments: for each attribute any user has (`officeLocation`, `department`, `workMode`, …), a session
  belongs to value v when its mentor or any of its mentees has v (a person without the attribute has
  "(unknown)"); it counts once per value, so one session may count under two values. Mentors and
  mentees of a value are the people holding v with at least one non-cancelled session in the period.
  Values held by fewer than `min_segment_size` people (everyone in a session of the period, any
  state) are folded into "(other)" by `core.segments.fold_small_segments`; an attribute whose people
  are fewer than that in all is withheld (listed in `withheld_segments`, no rows).
- Trends: completion by ISO week of the session start and time to first session by ISO week of the
  request's creation, both in the viewer's `zone` (weeks from Monday 00:00 local; UTC by default),
  every week overlapping the period listed, empty ones included. Mentor load by the mentor's local
  ISO week, only weeks with sessions.
- Times in `to_json` and the CSV are written in the viewer's zone with their offset (`Z` in UTC);
  people are written by UPN beside their display name from `names` (the UPN when unknown).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVar

from core.attendance import ATTENDANCE_UNAVAILABLE
from core.errors import InputError
from core.model import MentoringRequest, Session, SessionState
from core.onboarding_metrics import OnboardingCohort
from core.outcomes import OutcomeReport
from core.segments import DEFAULT_MIN_SEGMENT, fold_small_segments
from core.series_metrics import SeriesReport
from core.session_claims import moved_to
from core.timefmt import iso_z as _iso

__all__ = [
    "UNKNOWN_SEGMENT",
    "CapLimits",
    "GroupCounts",
    "Labels",
    "MentorLoad",
    "MentorStats",
    "NoShow",
    "Report",
    "RequestWait",
    "SegmentStats",
    "StateCounts",
    "TimeToFirstSession",
    "WeekCompletion",
    "WeekLoad",
    "WeekWait",
    "compute_report",
    "local_iso",
    "segment_holders",
    "zone_name",
]

T = TypeVar("T")

UNKNOWN_SEGMENT = "(unknown)"
CSV_HEADER = (
    "scope",
    "mentor",
    "period_from",
    "period_to",
    "sessions",
    "completed",
    "no_show",
    "cancelled",
    "pending_attendance",
    "scheduled",
    "completion_rate",
    "distinct_mentees",
    "repeat_mentees",
    "max_per_day",
    "max_per_week",
    "max_per_month",
    "cap_per_day",
    "cap_per_week",
    "cap_per_month",
    "peak_week",
    "peak_week_utilisation",
    "requests",
    "waiting",
    "median_minutes_to_first_session",
    "p90_minutes_to_first_session",
    # Since the segments, trend and no-show rows (columns appended so the first 25 keep their places):
    "name",
    "label",
    "time_zone",
    "attribute",
    "value",
    "mentor_count",
    "mentee_count",
    "week",
    "week_start",
    "session_id",
    "start",
    "mentees",
    "missing",
    "reason",
)


@dataclass(frozen=True, slots=True)
class CapLimits:
    """A mentor's caps, as in the effective focus-time policy (`policy.md`)."""

    max_sessions_per_day: int = 3
    max_sessions_per_week: int = 5
    max_sessions_per_month: int = 12


@dataclass(frozen=True, slots=True)
class StateCounts:
    total: int = 0
    scheduled: int = 0
    pending_attendance: int = 0
    completed: int = 0
    no_show: int = 0
    cancelled: int = 0
    # Of the pending ones: Graph refused to show their attendance (Teams access policy, app role).
    attendance_unavailable: int = 0

    @property
    def completion_rate(self) -> float | None:
        decided = self.completed + self.no_show
        return self.completed / decided if decided else None

    @classmethod
    def of(cls, sessions: Iterable[Session]) -> StateCounts:
        sessions = list(sessions)
        by_state = Counter(s.state for s in sessions)
        return cls(
            attendance_unavailable=sum(
                1
                for s in sessions
                if s.state is SessionState.PENDING_ATTENDANCE and s.state_reason == ATTENDANCE_UNAVAILABLE
            ),
            total=sum(by_state.values()),
            scheduled=by_state[SessionState.SCHEDULED],
            pending_attendance=by_state[SessionState.PENDING_ATTENDANCE],
            completed=by_state[SessionState.COMPLETED],
            no_show=by_state[SessionState.NO_SHOW],
            cancelled=by_state[SessionState.CANCELLED],
        )


@dataclass(frozen=True, slots=True)
class NoShow:
    session_id: str
    start: datetime
    mentor: str
    mentees: tuple[str, ...]
    missing: tuple[str, ...]
    reason: str | None


@dataclass(frozen=True, slots=True)
class RequestWait:
    request_id: str
    mentee: str
    created_at: datetime
    first_session_id: str | None
    first_session_start: datetime | None

    @property
    def minutes(self) -> float | None:
        if self.first_session_start is None:
            return None
        return (self.first_session_start - self.created_at).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class TimeToFirstSession:
    requests: tuple[RequestWait, ...]
    median_minutes: float | None
    p90_minutes: float | None

    @property
    def served(self) -> int:
        return sum(1 for r in self.requests if r.first_session_start is not None)

    @property
    def waiting(self) -> int:
        return len(self.requests) - self.served

    @classmethod
    def of(cls, waits: Iterable[RequestWait]) -> TimeToFirstSession:
        items = tuple(waits)
        minutes = sorted(m for m in (w.minutes for w in items) if m is not None)
        return cls(items, _median(minutes), _nearest_rank(minutes, 90))


@dataclass(frozen=True, slots=True)
class MentorLoad:
    """Peak counts of non-cancelled sessions in one local day / ISO week / month, against the caps.
    Peaks name the earliest day / week / month holding the maximum."""

    caps: CapLimits
    max_per_day: int = 0
    max_per_week: int = 0
    max_per_month: int = 0
    peak_day: str | None = None
    peak_week: str | None = None
    peak_month: str | None = None

    @property
    def peak_week_utilisation(self) -> float | None:
        cap = self.caps.max_sessions_per_week
        return self.max_per_week / cap if cap > 0 else None

    @property
    def over_cap(self) -> bool:
        return (
            self.max_per_day > self.caps.max_sessions_per_day
            or self.max_per_week > self.caps.max_sessions_per_week
            or self.max_per_month > self.caps.max_sessions_per_month
        )


@dataclass(frozen=True, slots=True)
class MentorStats:
    mentor: str
    counts: StateCounts
    distinct_mentees: int
    repeat_mentees: tuple[str, ...]
    load: MentorLoad


@dataclass(frozen=True, slots=True)
class SegmentStats:
    attribute: str
    value: str
    mentees: int
    mentors: int
    counts: StateCounts


@dataclass(frozen=True, slots=True)
class WeekCompletion:
    week: str
    week_start: datetime
    counts: StateCounts


@dataclass(frozen=True, slots=True)
class WeekWait:
    week: str
    week_start: datetime
    wait: TimeToFirstSession


@dataclass(frozen=True, slots=True)
class WeekLoad:
    mentor: str
    week: str
    week_start: datetime
    sessions: int
    cap: int

    @property
    def utilisation(self) -> float | None:
        return self.sessions / self.cap if self.cap > 0 else None


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """Group flash sessions apart from 1:1 (issue 16), over the period's sessions not cancelled: a group
    session is one session however many joined; `seats_taken` counts its mentees."""

    group_sessions: int = 0
    seats_offered: int = 0
    seats_taken: int = 0
    one_to_one: int = 0
    mentees_attended: int = 0  # per mentee, over decided group sessions: present for the threshold
    mentees_missed: int = 0  # ... listed missing

    @classmethod
    def of(cls, sessions: Iterable[Session]) -> GroupCounts:
        groups = [s for s in sessions if s.seats is not None]
        ones = [s for s in sessions if s.seats is None]
        decided = [s for s in groups if s.state in (SessionState.COMPLETED, SessionState.NO_SHOW)]
        missed = sum(1 for s in decided for m in s.mentees if m.casefold() in {x.casefold() for x in s.missing})
        return cls(
            mentees_attended=sum(len(s.mentees) for s in decided) - missed,
            mentees_missed=missed,
            group_sessions=len(groups),
            seats_offered=sum(s.seats or 0 for s in groups),
            seats_taken=sum(len(s.mentees) for s in groups),
            one_to_one=len(ones),
        )


@dataclass(frozen=True, slots=True)
class Report:
    period_from: datetime
    period_to: datetime
    counts: StateCounts
    mentors_with_sessions: int
    mentees_with_sessions: int
    repeat_mentees: int
    no_shows: tuple[NoShow, ...]
    time_to_first_session: TimeToFirstSession
    mentors: tuple[MentorStats, ...]
    segments: tuple[SegmentStats, ...]
    completion_by_week: tuple[WeekCompletion, ...]
    time_to_first_session_by_week: tuple[WeekWait, ...]
    mentor_load_by_week: tuple[WeekLoad, ...]
    zone: tzinfo = UTC
    names: Mapping[str, str] = field(default_factory=dict)
    min_segment_size: int = DEFAULT_MIN_SEGMENT
    withheld_segments: tuple[str, ...] = ()
    label: str | None = None  # "2026 Q4" for a quarter
    comparison: Report | None = None  # the quarter before, for a quarter
    outcomes: OutcomeReport | None = None  # check-ins and follow-ups (core/outcomes.py), when measured
    groups: GroupCounts = GroupCounts()
    series: SeriesReport | None = None  # series (core/series_metrics.py), when the store keeps series
    onboarding: OnboardingCohort | None = None  # sessions `micromentor onboard` booked (core/onboarding_metrics.py)

    @property
    def completion_rate(self) -> float | None:
        return self.counts.completion_rate

    @property
    def zone_name(self) -> str:
        return zone_name(self.zone)

    def name(self, person: str) -> str:
        """The display name of a (lower-case) UPN, the UPN itself when the directory gave none."""
        return self.names.get(person) or person

    def time(self, moment: datetime) -> str:
        """`moment` in the viewer's zone, ISO 8601 to the second with its offset (`Z` in UTC)."""
        return local_iso(moment, self.zone)

    def summary_json(self) -> dict[str, Any]:
        """The headline numbers and segments, as the comparison of a quarter shows them."""
        return {
            "label": self.label,
            "period": {"from": self.time(self.period_from), "to": self.time(self.period_to)},
            "sessions": {**_counts_json(self.counts), "attendanceUnavailable": self.counts.attendance_unavailable},
            "completionRate": _rate(self.completion_rate),
            "people": {
                "mentors": self.mentors_with_sessions,
                "mentees": self.mentees_with_sessions,
                "repeatMentees": self.repeat_mentees,
            },
            "timeToFirstSession": _wait_json(self.time_to_first_session),
            "segments": self._segments_json(),
        }

    def _segments_json(self) -> list[dict[str, Any]]:
        return [
            {
                "attribute": s.attribute,
                "value": s.value,
                "mentees": s.mentees,
                "mentors": s.mentors,
                **_counts_json(s.counts),
                "completionRate": _rate(s.counts.completion_rate),
            }
            for s in self.segments
        ]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: camelCase keys always present, datetimes ISO UTC with `Z` (whole seconds),
        rates as fractions (0..1, 4 decimals), durations in minutes (2 decimals), null where undefined."""
        wait = self.time_to_first_session
        _iso = self.time
        return {
            "period": {"from": _iso(self.period_from), "to": _iso(self.period_to)},
            "timeZone": self.zone_name,
            "quarter": self.label,
            # Pending sessions whose attendance Graph refuses to show: an access problem, not no-shows.
            "sessions": {**_counts_json(self.counts), "attendanceUnavailable": self.counts.attendance_unavailable},
            "completionRate": _rate(self.completion_rate),
            "people": {
                "mentors": self.mentors_with_sessions,
                "mentees": self.mentees_with_sessions,
                "repeatMentees": self.repeat_mentees,
            },
            "noShows": [
                {
                    "sessionId": n.session_id,
                    "start": _iso(n.start),
                    "mentor": n.mentor,
                    "mentorName": self.name(n.mentor),
                    "mentees": list(n.mentees),
                    "menteeNames": [self.name(p) for p in n.mentees],
                    "missing": list(n.missing),
                    "missingNames": [self.name(p) for p in n.missing],
                    "reason": n.reason,
                }
                for n in self.no_shows
            ],
            "timeToFirstSession": {
                **_wait_json(wait),
                "percentile": "nearest-rank",
                "items": [
                    {
                        "requestId": r.request_id,
                        "mentee": r.mentee,
                        "menteeName": self.name(r.mentee),
                        "createdAt": _iso(r.created_at),
                        "firstSessionId": r.first_session_id,
                        "firstSessionStart": _iso(r.first_session_start) if r.first_session_start else None,
                        "minutes": _minutes(r.minutes),
                    }
                    for r in wait.requests
                ],
            },
            "mentors": [
                {
                    "mentor": m.mentor,
                    "name": self.name(m.mentor),
                    **_counts_json(m.counts),
                    "completionRate": _rate(m.counts.completion_rate),
                    "distinctMentees": m.distinct_mentees,
                    "repeatMentees": len(m.repeat_mentees),
                    "repeatMenteeList": list(m.repeat_mentees),
                    "repeatMenteeNames": [self.name(p) for p in m.repeat_mentees],
                    "load": {
                        "maxPerDay": m.load.max_per_day,
                        "maxPerWeek": m.load.max_per_week,
                        "maxPerMonth": m.load.max_per_month,
                        "capPerDay": m.load.caps.max_sessions_per_day,
                        "capPerWeek": m.load.caps.max_sessions_per_week,
                        "capPerMonth": m.load.caps.max_sessions_per_month,
                        "peakDay": m.load.peak_day,
                        "peakWeek": m.load.peak_week,
                        "peakMonth": m.load.peak_month,
                        "peakWeekUtilisation": _rate(m.load.peak_week_utilisation),
                        "overCap": m.load.over_cap,
                    },
                }
                for m in self.mentors
            ],
            "segments": self._segments_json(),
            "segmentRules": {"minSize": self.min_segment_size, "withheld": list(self.withheld_segments)},
            "trends": {
                "completionByWeek": [
                    {
                        "week": w.week,
                        "weekStart": _iso(w.week_start),
                        **_counts_json(w.counts),
                        "completionRate": _rate(w.counts.completion_rate),
                    }
                    for w in self.completion_by_week
                ],
                "timeToFirstSessionByWeek": [
                    {"week": w.week, "weekStart": _iso(w.week_start), **_wait_json(w.wait)}
                    for w in self.time_to_first_session_by_week
                ],
                "mentorLoadByWeek": [
                    {
                        "mentor": w.mentor,
                        "name": self.name(w.mentor),
                        "week": w.week,
                        "weekStart": _iso(w.week_start),
                        "sessions": w.sessions,
                        "cap": w.cap,
                        "utilisation": _rate(w.utilisation),
                    }
                    for w in self.mentor_load_by_week
                ],
            },
            "comparison": self.comparison.summary_json() if self.comparison is not None else None,
            "groupSessions": {
                "sessions": self.groups.group_sessions,
                "seatsOffered": self.groups.seats_offered,
                "seatsTaken": self.groups.seats_taken,
                "oneToOne": self.groups.one_to_one,
                "menteesAttended": self.groups.mentees_attended,
                "menteesMissed": self.groups.mentees_missed,
            },
        }

    def to_csv_rows(self) -> list[list[str]]:
        """One table (docs: "The CSV"): a header, then rows told apart by `scope`: `all` (the period's
        totals), `previous` (the quarter before, for a quarter), `mentor` (one per mentor), `segment`
        (one per shown segment value), `week` (completion and time to first session per week of the
        viewer's zone) and `no_show` (one per session). Empty cells where a column does not apply; times
        in the viewer's zone; people by display name (`name`, `mentees`, `missing`) beside the mentor's
        UPN (`mentor`). Text from users is guarded against spreadsheet formula injection."""
        rows = [list(CSV_HEADER)]
        rows.append(self._summary_row("all"))
        if self.comparison is not None:
            rows.append(self.comparison._summary_row("previous", zone_of=self))
        period = [self.time(self.period_from), self.time(self.period_to)]
        for m in self.mentors:
            load, caps = m.load, m.load.caps
            rows.append(
                [
                    "mentor",
                    _cell(m.mentor),
                    *period,
                    *_counts_csv(m.counts),
                    str(m.distinct_mentees),
                    str(len(m.repeat_mentees)),
                    str(load.max_per_day),
                    str(load.max_per_week),
                    str(load.max_per_month),
                    str(caps.max_sessions_per_day),
                    str(caps.max_sessions_per_week),
                    str(caps.max_sessions_per_month),
                    load.peak_week or "",
                    _num(_rate(load.peak_week_utilisation)),
                    *[""] * 4,
                    *self._extra(name=_cell(self.name(m.mentor))),
                ]
            )
        for seg in self.segments:
            rows.append(
                [
                    "segment",
                    "",
                    *period,
                    *_counts_csv(seg.counts),
                    *[""] * 14,
                    *self._extra(
                        attribute=seg.attribute,
                        value=_cell(seg.value),
                        mentor_count=str(seg.mentors),
                        mentee_count=str(seg.mentees),
                    ),
                ]
            )
        waits = {w.week: w.wait for w in self.time_to_first_session_by_week}
        for week in self.completion_by_week:
            wait = waits.get(week.week, TimeToFirstSession.of(()))
            rows.append(
                [
                    "week",
                    "",
                    *period,
                    *_counts_csv(week.counts),
                    *[""] * 10,
                    str(len(wait.requests)),
                    str(wait.waiting),
                    _num(_minutes(wait.median_minutes)),
                    _num(_minutes(wait.p90_minutes)),
                    *self._extra(week=week.week, week_start=self.time(week.week_start)),
                ]
            )
        for n in self.no_shows:
            rows.append(
                [
                    "no_show",
                    _cell(n.mentor),
                    *period,
                    *[""] * 21,
                    *self._extra(
                        name=_cell(self.name(n.mentor)),
                        session_id=_cell(n.session_id),
                        start=self.time(n.start),
                        mentees=_cell("; ".join(self.name(p) for p in n.mentees)),
                        missing=_cell("; ".join(self.name(p) for p in n.missing)),
                        reason=_cell(n.reason or ""),
                    ),
                ]
            )
        return rows

    def _extra(self, **cells: str) -> list[str]:
        columns = CSV_HEADER[25:]
        return [cells.get(column, "") for column in columns]

    def _summary_row(self, scope: str, *, zone_of: Report | None = None) -> list[str]:
        viewer = zone_of or self
        wait = self.time_to_first_session
        return [
            scope,
            "",
            viewer.time(self.period_from),
            viewer.time(self.period_to),
            *_counts_csv(self.counts),
            str(self.mentees_with_sessions),
            str(self.repeat_mentees),
            *[""] * 8,
            str(len(wait.requests)),
            str(wait.waiting),
            _num(_minutes(wait.median_minutes)),
            _num(_minutes(wait.p90_minutes)),
            *self._extra(
                label=self.label or "",
                time_zone=viewer.zone_name,
                mentor_count=str(self.mentors_with_sessions),
                mentee_count=str(self.mentees_with_sessions),
            ),
        ]


def compute_report(
    *,
    sessions: Sequence[Session],
    requests: Sequence[MentoringRequest],
    period_from: datetime,
    period_to: datetime,
    caps: CapLimits | Callable[[str], CapLimits],
    segments: Mapping[str, Mapping[str, str]] | None = None,
    mentor_tz: Callable[[str], tzinfo] | None = None,
    zone: tzinfo = UTC,
    names: Mapping[str, str] | None = None,
    min_segment_size: int = DEFAULT_MIN_SEGMENT,
    label: str | None = None,
    segment_labels: Labels | None = None,
) -> Report:
    """The metrics of `metrics.md` for `[period_from, period_to)`; see the module docstring for the rules.
    `zone` is the viewer's (weeks, times), `names` display names by UPN (any case). `segment_labels`: the
    folding decided once for every breakdown the caller shows (else folded here, for this period alone)."""
    start, end = _period(period_from, period_to)
    sessions = [s for s in sessions if moved_to(s) is None]  # a page move's old half (module docstring)
    in_period = sorted((s for s in sessions if start <= s.start < end), key=lambda s: (s.start, s.id))
    live = [s for s in in_period if s.state is not SessionState.CANCELLED]
    caps_of = caps if callable(caps) else _constant(caps)
    zone_of = mentor_tz or _constant(UTC)

    pairs = Counter((_who(s.mentor), _who(m)) for s in live for m in _mentees(s))
    mentee_sessions = Counter(m for s in live for m in _mentees(s))

    waits = _request_waits(requests, sessions, start, end)
    weeks = _weeks(start, end, zone)
    sessions_by_week = _group(in_period, lambda s: _week(s.start, zone)[0])
    waits_by_week = _group(waits, lambda w: _week(w.created_at, zone)[0])
    segment_stats, withheld = _segment_stats(in_period, segments or {}, min_segment_size, segment_labels)
    return Report(
        period_from=start,
        period_to=end,
        counts=StateCounts.of(in_period),
        mentors_with_sessions=len({_who(s.mentor) for s in live}),
        mentees_with_sessions=len(mentee_sessions),
        repeat_mentees=sum(1 for n in mentee_sessions.values() if n >= 2),
        no_shows=tuple(
            NoShow(s.id, s.start, _who(s.mentor), _mentees(s), _people(s.missing), s.state_reason)
            for s in in_period
            if s.state is SessionState.NO_SHOW
        ),
        time_to_first_session=TimeToFirstSession.of(waits),
        mentors=_mentor_stats(in_period, pairs, caps_of, zone_of),
        segments=segment_stats,
        completion_by_week=tuple(
            WeekCompletion(label, monday, StateCounts.of(sessions_by_week.get(label, ()))) for label, monday in weeks
        ),
        time_to_first_session_by_week=tuple(
            WeekWait(label, monday, TimeToFirstSession.of(waits_by_week.get(label, ()))) for label, monday in weeks
        ),
        mentor_load_by_week=_load_by_week(live, caps_of, zone_of),
        zone=zone,
        names={_who(upn): name.strip() for upn, name in (names or {}).items() if name and name.strip()},
        min_segment_size=min_segment_size,
        withheld_segments=withheld,
        label=label,
        groups=GroupCounts.of(live),
    )


# --- pieces ---------------------------------------------------------------------------------------


def _request_waits(
    requests: Sequence[MentoringRequest], sessions: Sequence[Session], start: datetime, end: datetime
) -> list[RequestWait]:
    first: dict[str, Session] = {}
    for s in sessions:
        if s.request_id is None or s.state is SessionState.CANCELLED:
            continue
        known = first.get(s.request_id)
        if known is None or (s.start, s.id) < (known.start, known.id):
            first[s.request_id] = s
    waits = []
    for r in sorted((r for r in requests if start <= r.created_at < end), key=lambda r: (r.created_at, r.id)):
        hit = first.get(r.id)
        if hit is None:
            waits.append(RequestWait(r.id, _who(r.mentee), r.created_at, None, None))
        else:
            waits.append(RequestWait(r.id, _who(r.mentee), r.created_at, hit.id, hit.start))
    return waits


def _mentor_stats(
    in_period: Sequence[Session],
    pairs: Counter[tuple[str, str]],
    caps_of: Callable[[str], CapLimits],
    zone_of: Callable[[str], tzinfo],
) -> tuple[MentorStats, ...]:
    by_mentor: dict[str, list[Session]] = defaultdict(list)
    for s in in_period:
        by_mentor[_who(s.mentor)].append(s)
    stats = []
    for mentor in sorted(by_mentor):
        own = by_mentor[mentor]
        live = [s for s in own if s.state is not SessionState.CANCELLED]
        mentees = sorted({m for s in live for m in _mentees(s)})
        stats.append(
            MentorStats(
                mentor=mentor,
                counts=StateCounts.of(own),
                distinct_mentees=len(mentees),
                repeat_mentees=tuple(m for m in mentees if pairs[(mentor, m)] >= 2),
                load=_load(live, caps_of(mentor), zone_of(mentor)),
            )
        )
    return tuple(stats)


def _load(live: Sequence[Session], caps: CapLimits, zone: tzinfo) -> MentorLoad:
    days: Counter[str] = Counter()
    weeks: Counter[str] = Counter()
    months: Counter[str] = Counter()
    for s in live:
        local = s.start.astimezone(zone).date()
        days[local.isoformat()] += 1
        weeks[_week_label(local)] += 1
        months[f"{local.year:04d}-{local.month:02d}"] += 1
    peak_day, max_day = _peak(days)
    peak_week, max_week = _peak(weeks)
    peak_month, max_month = _peak(months)
    return MentorLoad(caps, max_day, max_week, max_month, peak_day, peak_week, peak_month)


def _load_by_week(
    live: Sequence[Session], caps_of: Callable[[str], CapLimits], zone_of: Callable[[str], tzinfo]
) -> tuple[WeekLoad, ...]:
    counts: Counter[tuple[str, str]] = Counter()
    starts: dict[tuple[str, str], datetime] = {}
    for s in live:
        mentor = _who(s.mentor)
        zone = zone_of(mentor)
        local = s.start.astimezone(zone).date()
        key = (mentor, _week_label(local))
        counts[key] += 1
        monday = local - timedelta(days=local.weekday())
        starts[key] = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
    return tuple(
        WeekLoad(mentor, week, starts[(mentor, week)], n, caps_of(mentor).max_sessions_per_week)
        for (mentor, week), n in sorted(counts.items())
    )


Labels = Mapping[str, Mapping[str, str | None]]  # attribute -> value -> shown label (None: withheld)


def segment_holders(
    sessions: Sequence[Session], period_from: datetime, period_to: datetime, segments: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, set[str]]]:
    """Per attribute, the people holding each value among everyone in a session of the period (any
    state; "(unknown)" for a person without it): what the segment table of that period folds."""
    start, end = _period(period_from, period_to)
    directory = {_who(upn): attrs for upn, attrs in segments.items()}
    in_period = [s for s in sessions if start <= s.start < end]
    found: dict[str, dict[str, set[str]]] = {}
    for attribute in sorted({a for attrs in directory.values() for a in attrs}):
        holders: dict[str, set[str]] = defaultdict(set)
        for s in in_period:
            for person in (_who(s.mentor), *_mentees(s)):
                holders[directory.get(person, {}).get(attribute, "").strip() or UNKNOWN_SEGMENT].add(person)
        found[attribute] = dict(holders)
    return found


def _segment_stats(
    in_period: Sequence[Session],
    segments: Mapping[str, Mapping[str, str]],
    minimum: int,
    labels: Labels | None = None,
) -> tuple[tuple[SegmentStats, ...], tuple[str, ...]]:
    directory = {_who(upn): attrs for upn, attrs in segments.items()}
    attributes = sorted({a for attrs in directory.values() for a in attrs})
    stats = []
    withheld = []
    for attribute in attributes:

        def raw_value(person: str, attribute: str = attribute) -> str:
            value = directory.get(person, {}).get(attribute, "").strip()
            return value or UNKNOWN_SEGMENT

        holders: dict[str, set[str]] = defaultdict(set)
        for s in in_period:
            for person in (_who(s.mentor), *_mentees(s)):
                holders[raw_value(person)].add(person)
        # Folded once for the whole report when the caller decided it (`core.segments.fold_together`).
        shown = dict(labels[attribute]) if labels is not None and attribute in labels else None
        if shown is None or set(shown) != set(holders):
            shown = fold_small_segments(holders, minimum)
        if holders and all(label is None for label in shown.values()):
            withheld.append(attribute)
            continue

        def value_of(person: str, shown: Mapping[str, str | None] = shown) -> str:
            return shown[raw_value(person)] or UNKNOWN_SEGMENT

        members: dict[str, list[Session]] = defaultdict(list)
        mentors: dict[str, set[str]] = defaultdict(set)
        mentees: dict[str, set[str]] = defaultdict(set)
        for s in in_period:
            mentor = _who(s.mentor)
            for value in {value_of(p) for p in (mentor, *_mentees(s))}:
                members[value].append(s)
            if s.state is SessionState.CANCELLED:
                continue
            mentors[value_of(mentor)].add(mentor)
            for m in _mentees(s):
                mentees[value_of(m)].add(m)
        for value in sorted(members):
            stats.append(
                SegmentStats(attribute, value, len(mentees[value]), len(mentors[value]), StateCounts.of(members[value]))
            )
    return tuple(stats), tuple(withheld)


def _constant(value: T) -> Callable[[str], T]:
    def lookup(_upn: str) -> T:
        return value

    return lookup


def _group(items: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    groups: dict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


# --- time and numbers ------------------------------------------------------------------------------


def _period(period_from: datetime, period_to: datetime) -> tuple[datetime, datetime]:
    for name, value in (("from", period_from), ("to", period_to)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InputError(name, "must carry a time zone offset")
    start, end = period_from.astimezone(UTC), period_to.astimezone(UTC)
    if end <= start:
        raise InputError("to", "must be after from")
    return start, end


def _week(moment: datetime, zone: tzinfo) -> tuple[str, datetime]:
    """The ISO week of `moment` in `zone`, and its Monday 00:00 local (in UTC)."""
    day = moment.astimezone(zone).date()
    monday = day - timedelta(days=day.weekday())
    return _week_label(day), _local_midnight(monday, zone)


def _weeks(start: datetime, end: datetime, zone: tzinfo) -> list[tuple[str, datetime]]:
    monday = start.astimezone(zone).date()
    monday -= timedelta(days=monday.weekday())
    weeks = []
    while (begins := _local_midnight(monday, zone)) < end:
        weeks.append((_week_label(monday), begins))
        monday += timedelta(days=7)
    return weeks


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def zone_name(zone: tzinfo) -> str:
    """An IANA name for a zone (`UTC` for UTC)."""
    key = getattr(zone, "key", None)
    return str(key) if key else ("UTC" if zone.utcoffset(None) in (None, timedelta(0)) else str(zone))


def local_iso(moment: datetime, zone: tzinfo) -> str:
    """ISO 8601 to the second in `zone`, with its offset; `Z` when the zone is UTC."""
    if zone is UTC:
        return _iso(moment)
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def _week_label(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def _peak(counts: Counter[str]) -> tuple[str | None, int]:
    if not counts:
        return None, 0
    # Labels sort chronologically (ISO dates, "YYYY-Www", "YYYY-MM"): the earliest peak wins ties.
    best = min(counts, key=lambda k: (-counts[k], k))
    return best, counts[best]


def _median(values: Sequence[float]) -> float | None:
    n = len(values)
    if n == 0:
        return None
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2


def _nearest_rank(values: Sequence[float], percent: int) -> float | None:
    if not values:
        return None
    rank = -(-percent * len(values) // 100)  # ceil(percent/100 x n), in integers
    return values[max(rank, 1) - 1]


def _who(person: str) -> str:
    return person.strip().lower()


def _people(people: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_who(p) for p in people))


def _mentees(session: Session) -> tuple[str, ...]:
    return _people(session.mentees)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _num(value: float | None) -> str:
    return "" if value is None else str(value)


def _cell(text: str) -> str:
    # A cell starting with one of these is a formula in Excel and LibreOffice.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _counts_json(counts: StateCounts) -> dict[str, int]:
    return {
        "sessions": counts.total,
        "completed": counts.completed,
        "noShow": counts.no_show,
        "cancelled": counts.cancelled,
        "pendingAttendance": counts.pending_attendance,
        "scheduled": counts.scheduled,
    }


def _counts_csv(counts: StateCounts) -> list[str]:
    return [
        str(counts.total),
        str(counts.completed),
        str(counts.no_show),
        str(counts.cancelled),
        str(counts.pending_attendance),
        str(counts.scheduled),
        _num(_rate(counts.completion_rate)),
    ]


def _wait_json(wait: TimeToFirstSession) -> dict[str, Any]:
    return {
        "requests": len(wait.requests),
        "served": wait.served,
        "waiting": wait.waiting,
        "medianMinutes": _minutes(wait.median_minutes),
        "p90Minutes": _minutes(wait.p90_minutes),
    }
