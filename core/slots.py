"""The slot search: which `[start, start + minutes)` a mentor and mentees can meet, under a `Policy`.

Pure: calendars, zones and `now` in, decisions out (no I/O, no clock). Implements policy.md "A valid slot".

Rules (`Rule`, the values of `Rejection.rule`), stable, in the order `check_slot` reports them, and what
breaking one is to a caller (`RULE_OUTCOMES`; the status is the error's in `micromentor.answers`):

| rule | meaning | error | status | field |
| --- | --- | --- | --- | --- |
| `allowed_session_minutes` | the length is not an allowed length | InputError | 400 | `minutes` |
| `slot_step_minutes` | start is off the mentor's local step grid | InputError | 400 | `start` |
| `min_notice_minutes` | start is earlier than `now + min_notice` | PolicyViolation | 422 | the rule |
| `horizon_days` | start is not before `now + horizon_days` | PolicyViolation | 422 | the rule |
| `busy` | a blocking event overlaps the slot (`who` = that attendee) | Conflict | 409 | `start` |
| `buffer_minutes` | a mentor's blocking event in the buffer (only if not `busy`) | PolicyViolation | 422 | the rule |
| `day_window` | outside `day_start`-`day_end` of `who`'s local day | PolicyViolation | 422 | `day_start`/`day_end` |
| `working_hours` | outside `who`'s working hours | PolicyViolation | 422 | `respect_working_hours` |
| `office_hours` | the mentor set office hours and the slot is in none | PolicyViolation | 422 | the rule |
| `no_meeting_days` | the mentor's local weekday is a no-meeting day | PolicyViolation | 422 | the rule |
| `max_sessions_per_day` / `_week` / `_month` | the mentor's cap would be exceeded | PolicyViolation | 422 | the rule |

400 or 422, decided once (http-api.md): 400 when the request could never be right, whatever the clock and
the calendars (a length or a start no slot search offers); 422 when a well-formed start breaks a policy
rule that depends on now, the calendars or the policy (too soon and past the horizon included), with the
policy field named; 409 when the slot is taken. A start in the past is a 400 (`start`) before any rule.

Decisions where policy.md is silent:
- Grid: wall-clock minutes since local midnight in the mentor's mailbox zone (`minute_of_day % step == 0`),
  i.e. an instant is on the grid when the zone shows it as a grid time. Local grid times that do not exist
  (spring-forward gap) are skipped; in a fall-back repeated hour both instants are candidates. Starts are
  whole minutes (seconds and microseconds must be zero).
- `horizon_days` counts 24-hour days from `now`, not local calendar days.
- Blocking: the mentor's focus holds always block, timed or all-day, whatever their `showAs` and whatever
  `tentative_is_busy` says (policy.md rule 4). Otherwise `busy`, `oof`, `unknown` and any unrecognised
  `showAs` block (conservative); `tentative` blocks iff `tentative_is_busy`; `free` and `workingElsewhere`
  do not. Cancelled items and items with `end <= start` never block. A mentee's focus hold blocks as its
  `showAs` says. `showAs` is compared case-insensitively.
- Focus hold: the subject, stripped, starts with a marker, or a category equals a marker (case-insensitive).
- Times are compared at whole-second resolution: item starts round down, item ends round up, which is exact
  for strict overlap with slots on whole minutes.
- Working hours: `WorkingHours.days` is the weekday of the local date in the working hours' zone; a range
  with `end < start` runs overnight into the next day, `end == start` means the whole day; consecutive ranges
  that touch count as one. No working hours (None) means Monday-Friday 08:00-17:00 in the mailbox zone.
- A window (day window, working hours) of local date d runs from the first instant whose wall time on d
  reaches its start to the first instant whose wall time reaches its end: a boundary in a repeated
  (fall-back) hour is its first occurrence, one in a spring-forward gap the end of the gap.
- Office hours (a policy override, may be empty): each `OfficeWindow` of weekday w is a window of every
  mentor-local date on weekday w, built like the day window (so 14:00-15:00 Europe/Paris is 13:00-14:00 UTC
  in winter and 12:00-13:00 UTC in summer). When set, a slot lies wholly inside one of them, on top of
  every other rule. With no candidate inside them, the reason is "no office hours between the minimum
  notice and the horizon".
- Caps: sessions are counted by the local date / ISO week (Monday-based, whatever the working week) /
  month of their start in the mentor's mailbox zone, whatever their `showAs`.
- `reasons` is filled only when no slot is found, deterministically: "horizon shorter than minimum notice"
  when the window is empty ("no slot start on the grid between the minimum notice and the horizon" when
  it is not empty but holds no grid time); else "no overlap of working hours" (or "... within day_start-day_end", or
  "no overlap of the day_start-day_end windows" when working hours are ignored) when no candidate lies in
  everyone's hours; else, over the candidates inside everyone's hours, each is charged to the first rule
  that removed it in the order no-meeting day, monthly, weekly, daily cap, busy, buffer, and the phrases
  come most-charged first: "no-meeting days cover the window" / "no-meeting days", "mentor monthly cap
  reached", "mentor weekly cap reached", "mentor daily cap reached on every searched day" / "mentor daily
  cap reached", "mentor is busy" / "<upn> is busy" / "mentees are busy" / "everyone is busy",
  "mentor needs N free minutes around other meetings".

How: each attendee's day windows, working hours and blocking items become sorted, merged integer
intervals once (O(n log n) in their events); the allowed set is their intersection minus every blocking
interval (the mentor's dilated by the buffer), and the grid instants are read off each free interval by
bisection. `check_slot` evaluates each rule on its own for one slot; the tests hold the two to the same
answer on every candidate.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType

from core.errors import Conflict, InputError, PolicyViolation
from core.intervals import (
    Interval,
    IntervalSet,
    ceil_seconds,
    dilate,
    floor_seconds,
    from_seconds,
    intersect,
    merge,
    subtract,
)
from core.model import MENTORING_CATEGORY, Attendee, CalendarItem, Slot, WorkingHours
from core.office_hours import describe_office_hours
from policies.model import WEEKDAYS, Policy

__all__ = [
    "CAP_RULES",
    "CONFLICT_RULES",
    "INPUT_RULES",
    "RULES",
    "RULE_OUTCOMES",
    "Rejection",
    "Rule",
    "RuleOutcome",
    "SlotSearch",
    "blocking_intervals",
    "cap_span",
    "cap_window",
    "caps_broken",
    "check_slot",
    "default_working_hours",
    "find_slots",
    "hours_windows",
    "is_blocking",
    "is_focus_hold",
    "is_session",
    "rule_error",
]

class Rule(StrEnum):
    """The rules of a valid slot, in the order `check_slot` reports them (values are the stable names)."""

    ALLOWED_SESSION_MINUTES = "allowed_session_minutes"
    SLOT_STEP_MINUTES = "slot_step_minutes"
    MIN_NOTICE_MINUTES = "min_notice_minutes"
    HORIZON_DAYS = "horizon_days"
    BUSY = "busy"
    BUFFER_MINUTES = "buffer_minutes"
    DAY_WINDOW = "day_window"
    WORKING_HOURS = "working_hours"
    OFFICE_HOURS = "office_hours"
    NO_MEETING_DAYS = "no_meeting_days"
    MAX_SESSIONS_PER_DAY = "max_sessions_per_day"
    MAX_SESSIONS_PER_WEEK = "max_sessions_per_week"
    MAX_SESSIONS_PER_MONTH = "max_sessions_per_month"


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What breaking a rule is to a caller: the error raised (its HTTP status is `micromentor.answers`'s:
    InputError 400, Conflict 409, PolicyViolation 422) and the field it names: the request's field for
    400 and 409, the policy field (policy.md) for 422."""

    error: type[InputError | Conflict | PolicyViolation]
    field: str


# The one table of the module docstring; tests/core/test_slot_rules.py holds the docstring to it.
RULE_OUTCOMES: Mapping[Rule, RuleOutcome] = MappingProxyType(
    {
        Rule.ALLOWED_SESSION_MINUTES: RuleOutcome(InputError, "minutes"),
        Rule.SLOT_STEP_MINUTES: RuleOutcome(InputError, "start"),
        Rule.MIN_NOTICE_MINUTES: RuleOutcome(PolicyViolation, "min_notice_minutes"),
        Rule.HORIZON_DAYS: RuleOutcome(PolicyViolation, "horizon_days"),
        Rule.BUSY: RuleOutcome(Conflict, "start"),
        Rule.BUFFER_MINUTES: RuleOutcome(PolicyViolation, "buffer_minutes"),
        Rule.DAY_WINDOW: RuleOutcome(PolicyViolation, "day_start"),  # or day_end: see `rule_error`
        Rule.WORKING_HOURS: RuleOutcome(PolicyViolation, "respect_working_hours"),
        Rule.OFFICE_HOURS: RuleOutcome(PolicyViolation, "office_hours"),
        Rule.NO_MEETING_DAYS: RuleOutcome(PolicyViolation, "no_meeting_days"),
        Rule.MAX_SESSIONS_PER_DAY: RuleOutcome(PolicyViolation, "max_sessions_per_day"),
        Rule.MAX_SESSIONS_PER_WEEK: RuleOutcome(PolicyViolation, "max_sessions_per_week"),
        Rule.MAX_SESSIONS_PER_MONTH: RuleOutcome(PolicyViolation, "max_sessions_per_month"),
    }
)

# The names the rest of the module (and older callers) use.
RULE_MINUTES = Rule.ALLOWED_SESSION_MINUTES
RULE_STEP = Rule.SLOT_STEP_MINUTES
RULE_NOTICE = Rule.MIN_NOTICE_MINUTES
RULE_HORIZON = Rule.HORIZON_DAYS
RULE_BUSY = Rule.BUSY
RULE_BUFFER = Rule.BUFFER_MINUTES
RULE_DAY_WINDOW = Rule.DAY_WINDOW
RULE_WORKING_HOURS = Rule.WORKING_HOURS
RULE_NO_MEETING = Rule.NO_MEETING_DAYS
RULE_OFFICE_HOURS = Rule.OFFICE_HOURS
RULE_DAY_CAP = Rule.MAX_SESSIONS_PER_DAY
RULE_WEEK_CAP = Rule.MAX_SESSIONS_PER_WEEK
RULE_MONTH_CAP = Rule.MAX_SESSIONS_PER_MONTH

RULES = tuple(Rule)
INPUT_RULES = frozenset(r for r, o in RULE_OUTCOMES.items() if o.error is InputError)
CONFLICT_RULES = frozenset(r for r, o in RULE_OUTCOMES.items() if o.error is Conflict)
CAP_RULES = (RULE_DAY_CAP, RULE_WEEK_CAP, RULE_MONTH_CAP)

_DAY = 86400
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_NOON = time(12, 0)
_ALWAYS_BLOCKING = frozenset({"busy", "oof", "unknown"})
_NEVER_BLOCKING = frozenset({"free", "workingelsewhere"})
_SESSION_CATEGORY = MENTORING_CATEGORY.casefold()


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one slot is not valid: `rule` is one of `RULES`, `who` the attendee it concerns (if any)."""

    rule: Rule
    who: str | None
    message: str


def rule_error(
    rejection: Rejection, *, start: datetime, policy: Policy, zones: Mapping[str, tzinfo]
) -> InputError | Conflict | PolicyViolation:
    """The error for a broken rule, by `RULE_OUTCOMES`; `zones` (attendee -> mailbox zone) tells which
    end of the day window a `day_window` start falls outside."""
    outcome = RULE_OUTCOMES[rejection.rule]
    field = outcome.field
    if rejection.rule is Rule.DAY_WINDOW:
        zone = zones.get(rejection.who or "", UTC)
        field = "day_start" if start.astimezone(zone).time() < policy.day_start else "day_end"
    return outcome.error(field, rejection.message)


@dataclass(frozen=True, slots=True)
class SlotSearch:
    """Every valid slot in `[searched_from, searched_to)` (UTC), ascending; `reasons` when there is none."""

    slots: tuple[Slot, ...]
    searched_from: datetime
    searched_to: datetime
    reasons: tuple[str, ...] = ()


# --- what blocks, what counts --------------------------------------------------------------------------


def default_working_hours(zone: tzinfo) -> WorkingHours:
    """policy.md: no working hours in Graph means Monday-Friday 08:00-17:00 in the mailbox zone."""
    return WorkingHours(days=frozenset(range(5)), start=time(8, 0), end=time(17, 0), tz=zone)


def _folded_markers(markers: Sequence[str]) -> tuple[str, ...]:
    return tuple(folded for folded in (marker.strip().casefold() for marker in markers) if folded)


def _is_focus_hold(item: CalendarItem, folded_markers: tuple[str, ...]) -> bool:
    if not folded_markers:
        return False
    subject = item.subject.strip().casefold()
    categories = {category.strip().casefold() for category in item.categories}
    return any(subject.startswith(marker) or marker in categories for marker in folded_markers)


def is_focus_hold(item: CalendarItem, markers: Sequence[str]) -> bool:
    """The subject starts with a marker or a category equals one (case-insensitive)."""
    return _is_focus_hold(item, _folded_markers(markers))


class _Blocking:
    """`is_blocking` with the policy's bits prepared once (it runs for every item of every attendee)."""

    __slots__ = ("markers", "tentative")

    def __init__(self, policy: Policy) -> None:
        self.tentative = policy.tentative_is_busy
        self.markers = _folded_markers(policy.focus_markers)

    def __call__(self, item: CalendarItem, mentor: bool) -> bool:
        if item.is_cancelled or item.end <= item.start:
            return False
        # Checked before showAs: policy.md rule 4 makes the mentor's focus holds block whatever their
        # showAs, all-day ones included, and whatever tentative_is_busy says.
        if mentor and _is_focus_hold(item, self.markers):
            return True
        show_as = item.show_as.strip().casefold()
        if show_as in _ALWAYS_BLOCKING:
            return True
        if show_as == "tentative":
            return self.tentative
        # An unknown showAs value: assume busy rather than double-book.
        return show_as not in _NEVER_BLOCKING


def is_blocking(item: CalendarItem, *, policy: Policy, mentor: bool) -> bool:
    """Does this item make its owner unavailable? (`mentor` turns on the focus-hold rule.)"""
    return _Blocking(policy)(item, mentor)


def is_session(item: CalendarItem) -> bool:
    """A micro mentoring session (counts toward the caps): the category, not cancelled."""
    return not item.is_cancelled and any(c.strip().casefold() == _SESSION_CATEGORY for c in item.categories)


def blocking_intervals(attendee: Attendee, *, policy: Policy, mentor: bool) -> list[Interval]:
    """The attendee's blocking items as merged `[start, end)` second intervals."""
    blocking = _Blocking(policy)
    return merge(
        (floor_seconds(item.start), ceil_seconds(item.end)) for item in attendee.items if blocking(item, mentor)
    )


def _overlapping(attendee: Attendee, blocking: _Blocking, mentor: bool, low: int, high: int) -> bool:
    """A blocking item overlaps `[low, high)` (a plain scan: cheaper than sorting for one question)."""
    return any(
        floor_seconds(item.start) < high and ceil_seconds(item.end) > low and blocking(item, mentor)
        for item in attendee.items
    )


# --- local days, windows and the grid ------------------------------------------------------------------


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


def _local_seconds(day: date, at: time, zone: tzinfo) -> int:
    """The first instant whose wall time on `day` in `zone` reaches `at`.

    A repeated (fall-back) time gives its first occurrence; a skipped (spring-forward) time gives the
    end of the gap, i.e. the first instant whose wall time is later than `at`.
    """
    naive = datetime.combine(day, at if at.tzinfo is None else at.replace(tzinfo=None))
    first = naive.replace(tzinfo=zone)
    second = naive.replace(tzinfo=zone, fold=1)
    offset = first.utcoffset()
    if offset is not None and offset == second.utcoffset():  # no change near this time (or a custom tzinfo)
        return floor_seconds(naive.replace(tzinfo=UTC)) - (offset.days * 86400 + offset.seconds)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return floor_seconds(first)  # ambiguous: fold=0 is the first occurrence
    # In a gap, fold=1 maps before the change and fold=0 after it: bisect for the change.
    low, high = floor_seconds(second), floor_seconds(first)
    while low < high:
        middle = (low + high) // 2
        if from_seconds(middle).astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle + 1
    return high


def _local_date(seconds: int, zone: tzinfo) -> date:
    return from_seconds(seconds).astimezone(zone).date()


def _day_windows(zone: tzinfo, first: date, last: date, policy: Policy) -> list[Interval]:
    return [
        (_local_seconds(day, policy.day_start, zone), _local_seconds(day, policy.day_end, zone))
        for day in _dates(first, last)
    ]


def _office_windows(zone: tzinfo, first: date, last: date, policy: Policy) -> list[Interval] | None:
    """The mentor's office-hours windows over local dates `first`..`last`; None when none are set."""
    if not policy.office_hours:
        return None
    return merge(
        (_local_seconds(day, window.start, zone), _local_seconds(day, window.end, zone))
        for day in _dates(first, last)
        for window in policy.office_hours
        if window.weekday == day.weekday()
    )


def _working_windows(hours: WorkingHours, first: date, last: date) -> list[Interval]:
    windows = []
    for day in _dates(first, last):
        if day.weekday() not in hours.days:
            continue
        end_day = day if hours.end > hours.start else day + _ONE_DAY
        windows.append((_local_seconds(day, hours.start, hours.tz), _local_seconds(end_day, hours.end, hours.tz)))
    return merge(windows)


def _span(zone: tzinfo, low: int, high: int) -> tuple[date, date]:
    """Local dates of `zone` that can hold a window touching `[low, high)`, with a day's margin."""
    return _local_date(low, zone) - _ONE_DAY, _local_date(high, zone) + _ONE_DAY


def hours_windows(
    attendee: Attendee, policy: Policy, low: int, high: int
) -> tuple[list[Interval], list[Interval] | None]:
    """(day_start-day_end windows, working-hours windows or None if not respected) around `[low, high)`."""
    days = _day_windows(attendee.tz, *_span(attendee.tz, low, high), policy)
    if not policy.respect_working_hours:
        return days, None
    hours = attendee.working_hours or default_working_hours(attendee.tz)
    return days, _working_windows(hours, *_span(hours.tz, low, high))


def _irregular_day(day: date, zone: tzinfo, step_minutes: int) -> list[int]:
    """Grid instants of a day with an offset change: skip gap times, keep both repeated times.

    Each local grid time is tried with every offset the day uses and kept when the zone maps the
    instant back to that wall time; unlike `fold`, this also works for tzinfos without PEP 495 support.
    """
    offsets = {
        moment.utcoffset()
        for moment in (
            datetime.combine(day, _MIDNIGHT, tzinfo=zone),
            datetime.combine(day, _NOON, tzinfo=zone),
            datetime.combine(day + _ONE_DAY, _MIDNIGHT, tzinfo=zone),
        )
        for moment in (moment, moment.replace(fold=1))
    }
    points = []
    midnight = datetime.combine(day, _MIDNIGHT)
    for k in range(1440 // step_minutes):
        naive = midnight + timedelta(minutes=k * step_minutes)
        for offset in offsets:
            if offset is None:
                continue
            moment = (naive - offset).replace(tzinfo=UTC)
            if moment.astimezone(zone).replace(tzinfo=None) == naive:
                points.append(floor_seconds(moment))
    return points


def _grid(zone: tzinfo, step_minutes: int, low: int, high: int) -> list[int]:
    """Sorted grid instants in `[low, high)`, counted from each local midnight of `zone`."""
    step = step_minutes * 60
    per_day = 1440 // step_minutes
    points: list[int] = []
    first, last = _span(zone, low, high)
    for day in _dates(first, last):
        midnight = datetime.combine(day, _MIDNIGHT, tzinfo=zone)
        offset = midnight.utcoffset()
        same_offset = (
            datetime.combine(day, _NOON, tzinfo=zone).utcoffset() == offset
            and datetime.combine(day + _ONE_DAY, _MIDNIGHT, tzinfo=zone).utcoffset() == offset
        )
        if same_offset:
            base = floor_seconds(midnight)
            points.extend(range(base, base + per_day * step, step))
        else:
            points.extend(_irregular_day(day, zone, step_minutes))
    points = sorted(set(points))
    return points[bisect_left(points, low) : bisect_left(points, high)]


def _on_grid(start: datetime, zone: tzinfo, step_minutes: int) -> bool:
    local = start.astimezone(zone)
    return local.second == 0 and local.microsecond == 0 and (local.hour * 60 + local.minute) % step_minutes == 0


# --- caps ----------------------------------------------------------------------------------------------


class _Caps:
    """The mentor's sessions counted per local day / ISO week / month, and the cap rule a day breaks."""

    def __init__(self, mentor: Attendee, policy: Policy) -> None:
        self.policy = policy
        self.days: Counter[date] = Counter()
        self.weeks: Counter[tuple[int, int]] = Counter()
        self.months: Counter[tuple[int, int]] = Counter()
        self.count((item.start for item in mentor.items if is_session(item)), mentor.tz)

    def count(self, starts: Iterable[datetime], zone: tzinfo) -> None:
        for start in starts:
            day = start.astimezone(zone).date()
            self.days[day] += 1
            self.weeks[_iso_week(day)] += 1
            self.months[(day.year, day.month)] += 1

    def broken(self, day: date) -> list[tuple[Rule, int, int]]:
        """(rule, sessions already there, cap) for every cap one more session on `day` would break."""
        policy = self.policy
        found = []
        checks = (
            (RULE_DAY_CAP, self.days[day], policy.max_sessions_per_day),
            (RULE_WEEK_CAP, self.weeks[_iso_week(day)], policy.max_sessions_per_week),
            (RULE_MONTH_CAP, self.months[(day.year, day.month)], policy.max_sessions_per_month),
        )
        for rule, count, cap in checks:
            if count + 1 > cap:
                found.append((rule, count, cap))
        return found


def _iso_week(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def caps_broken(
    sessions: Iterable[datetime], *, start: datetime, mentor_tz: tzinfo, policy: Policy
) -> list[tuple[Rule, int, int]]:
    """(cap rule, sessions already in its period, cap) for every cap that one more session at `start`
    would break, given the starts of the mentor's other sessions; counted as the search counts them
    (local day, ISO week and month in the mentor's zone), day cap first."""
    _require_aware("start", start)
    caps = _Caps(Attendee("", mentor_tz, None), policy)
    caps.count(sessions, mentor_tz)
    return caps.broken(start.astimezone(mentor_tz).date())


def cap_span(start: datetime, *, mentor_tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC range holding the local ISO week and month of `start`: the sessions its caps count."""
    _require_aware("start", start)
    day = start.astimezone(mentor_tz).date()
    return _cap_range(day, day, mentor_tz)


def cap_window(*, now: datetime, policy: Policy, mentor_tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC range of the mentor's calendar the caps need: from the start of the local month / ISO week
    holding `now` to the end of the local month / ISO week holding `now + horizon_days`."""
    _require_aware("now", now)
    first = now.astimezone(mentor_tz).date()
    last = (now + timedelta(days=policy.horizon_days)).astimezone(mentor_tz).date()
    return _cap_range(first, last, mentor_tz)


def _cap_range(first: date, last: date, mentor_tz: tzinfo) -> tuple[datetime, datetime]:
    start_day = min(first - timedelta(days=first.weekday()), first.replace(day=1))
    week_end = last + timedelta(days=7 - last.weekday())
    month_end = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    end_day = max(week_end, month_end)
    return (
        from_seconds(_local_seconds(start_day, _MIDNIGHT, mentor_tz)),
        from_seconds(_local_seconds(end_day, _MIDNIGHT, mentor_tz)),
    )


# --- the search ----------------------------------------------------------------------------------------


def _require_aware(name: str, moment: datetime) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(name, "must be a timezone-aware datetime")


def _format_lengths(policy: Policy) -> str:
    return ", ".join(str(length) for length in policy.allowed_session_minutes)


@dataclass(slots=True)
class _Person:
    upn: str
    hours: IntervalSet  # day window ∩ working hours
    work: IntervalSet | None  # working hours alone (None when not respected)
    busy: IntervalSet


def _person(attendee: Attendee, policy: Policy, low: int, high: int, *, mentor: bool) -> _Person:
    days, work = hours_windows(attendee, policy, low, high)
    hours = intersect(days, work) if work is not None else days
    return _Person(
        upn=attendee.upn,
        hours=IntervalSet(hours),
        work=IntervalSet(work) if work is not None else None,
        busy=IntervalSet(blocking_intervals(attendee, policy=policy, mentor=mentor)),
    )


def find_slots(
    *, mentor: Attendee, mentees: Sequence[Attendee], policy: Policy, now: datetime, minutes: int
) -> SlotSearch:
    """Exactly the valid slots of policy.md for `minutes`, ascending by start (see the module docstring)."""
    _require_aware("now", now)
    if isinstance(minutes, bool) or minutes not in policy.allowed_session_minutes:
        raise InputError("minutes", f"must be one of {_format_lengths(policy)}, got {minutes}")
    now = now.astimezone(UTC)
    searched_from = now + timedelta(minutes=policy.min_notice_minutes)
    searched_to = now + timedelta(days=policy.horizon_days)
    low, high = ceil_seconds(searched_from), ceil_seconds(searched_to)  # s >= from <=> s >= ceil(from)
    length = minutes * 60
    grid = _grid(mentor.tz, policy.slot_step_minutes, low, high) if low < high else []
    reach = high + length  # the latest moment a slot can end

    people = [_person(mentor, policy, low, reach, mentor=True)]
    people += [_person(mentee, policy, low, reach, mentor=False) for mentee in mentees]
    caps = _Caps(mentor, policy)
    closed = policy.no_meeting_weekdays
    first, last = _span(mentor.tz, low, reach)
    open_days = [
        (_local_seconds(day, _MIDNIGHT, mentor.tz), _local_seconds(day + _ONE_DAY, _MIDNIGHT, mentor.tz))
        for day in _dates(first, last)
        if day.weekday() not in closed and not caps.broken(day)
    ]
    # Mentor's local days carry the per-day rules; a slot inside one day window is inside its local day.
    allowed = intersect(people[0].hours.intervals, merge(open_days))
    office = _office_windows(mentor.tz, first, last, policy)
    if office is not None:
        allowed = intersect(allowed, office)
    for person in people[1:]:
        allowed = intersect(allowed, person.hours.intervals)
    buffered = dilate(people[0].busy.intervals, policy.buffer_minutes * 60)
    blocked = merge([*buffered, *(iv for person in people[1:] for iv in person.busy.intervals)])
    free = subtract(allowed, blocked)

    starts: list[int] = []
    for begin, end in free:
        index = bisect_left(grid, begin)
        while index < len(grid) and grid[index] + length <= end:
            starts.append(grid[index])
            index += 1
    slots = tuple(Slot(start=from_seconds(s), end=from_seconds(s + length)) for s in starts)
    reasons: tuple[str, ...] = ()
    if not slots:
        office_set = IntervalSet(office) if office is not None else None
        explainer = _Explainer(people, caps, mentor.tz, policy, IntervalSet(buffered), office_set)
        reasons = explainer.explain(grid, length, searched_from >= searched_to)
    return SlotSearch(slots=slots, searched_from=searched_from, searched_to=searched_to, reasons=reasons)


class _Explainer:
    """Short, deterministic phrases saying which rules eliminated every candidate."""

    _ORDER = (RULE_NO_MEETING, RULE_MONTH_CAP, RULE_WEEK_CAP, RULE_DAY_CAP, RULE_BUSY, RULE_BUFFER)

    def __init__(
        self,
        people: list[_Person],
        caps: _Caps,
        zone: tzinfo,
        policy: Policy,
        buffered: IntervalSet,
        office: IntervalSet | None = None,
    ) -> None:
        self.people, self.caps, self.zone, self.policy, self.buffered = people, caps, zone, policy, buffered
        self.office = office
        self.closed = policy.no_meeting_weekdays

    def explain(self, grid: list[int], length: int, empty_window: bool) -> tuple[str, ...]:
        if empty_window:
            return ("horizon shorter than minimum notice",)
        if not grid:
            return ("no slot start on the grid between the minimum notice and the horizon",)
        if self.office is not None:
            office = self.office
            grid = [s for s in grid if office.contains(s, s + length)]
            if not grid:
                return ("no office hours between the minimum notice and the horizon",)
        inside = [s for s in grid if all(p.hours.contains(s, s + length) for p in self.people)]
        if not inside:
            return (self._hours_phrase(grid, length),)
        counts: Counter[str] = Counter()
        busy_people: set[str] = set()
        for start in inside:
            rule = self._first_failure(start, start + length, busy_people)
            if rule is not None:
                counts[rule] += 1
        ranked = sorted(counts, key=lambda rule: (-counts[rule], self._ORDER.index(rule)))
        return tuple(self._phrase(rule, counts[rule] == len(inside), busy_people) for rule in ranked)

    def _hours_phrase(self, grid: list[int], length: int) -> str:
        if not self.policy.respect_working_hours:
            return "no overlap of the day_start-day_end windows"
        works = [p.work for p in self.people if p.work is not None]
        if all(any(not work.contains(s, s + length) for work in works) for s in grid):
            return "no overlap of working hours"
        return "no overlap of working hours within day_start-day_end"

    def _first_failure(self, start: int, end: int, busy_people: set[str]) -> str | None:
        day = _local_date(start, self.zone)
        if day.weekday() in self.closed:
            return RULE_NO_MEETING
        broken = {rule for rule, _, _ in self.caps.broken(day)}
        for rule in (RULE_MONTH_CAP, RULE_WEEK_CAP, RULE_DAY_CAP):
            if rule in broken:
                return rule
        busy = [p.upn for p in self.people if p.busy.overlaps(start, end)]
        if busy:
            busy_people.update(busy)
            return RULE_BUSY
        if self.buffered.overlaps(start, end):
            return RULE_BUFFER
        return None

    def _phrase(self, rule: str, everywhere: bool, busy_people: set[str]) -> str:
        if rule == RULE_NO_MEETING:
            return "no-meeting days cover the window" if everywhere else "no-meeting days"
        if rule == RULE_MONTH_CAP:
            return "mentor monthly cap reached"
        if rule == RULE_WEEK_CAP:
            return "mentor weekly cap reached"
        if rule == RULE_DAY_CAP:
            return "mentor daily cap reached on every searched day" if everywhere else "mentor daily cap reached"
        if rule == RULE_BUFFER:
            return f"mentor needs {self.policy.buffer_minutes} free minutes around other meetings"
        mentor = self.people[0].upn
        mentees = sorted(busy_people - {mentor})
        if mentor in busy_people:
            return "everyone is busy" if mentees else "mentor is busy"
        return f"{mentees[0]} is busy" if len(mentees) == 1 else "mentees are busy"


# --- re-checking one slot ------------------------------------------------------------------------------


def check_slot(
    *,
    start: datetime,
    minutes: int,
    mentor: Attendee,
    mentees: Sequence[Attendee],
    policy: Policy,
    now: datetime,
) -> tuple[Rejection, ...]:
    """Every rule `[start, start + minutes)` breaks, in `RULES` order (empty: the slot is valid).

    Evaluates each rule on its own (no interval algebra over the whole horizon), so that booking can
    re-check a chosen slot cheaply and the search can be cross-checked against it.
    """
    _require_aware("start", start)
    _require_aware("now", now)
    start = start.astimezone(UTC)
    rejections: list[Rejection] = []

    def reject(rule: Rule, who: str | None, message: str) -> None:
        rejections.append(Rejection(rule=rule, who=who, message=message))

    if isinstance(minutes, bool) or minutes not in policy.allowed_session_minutes:
        reject(RULE_MINUTES, None, f"{minutes} minutes is not one of {_format_lengths(policy)}")
    step = policy.slot_step_minutes
    if not _on_grid(start, mentor.tz, step):
        local = start.astimezone(mentor.tz)
        shown = f"{local:%H:%M:%S.%f}".rstrip("0") if local.microsecond else f"{local:%H:%M:%S}"
        whole = " (a start is a whole minute)" if local.second or local.microsecond else ""
        # No "start" in the words: the error names the field, and "start: start 10:07:00 …" read twice.
        reject(RULE_STEP, None, f"{shown} in the mentor's zone is not on the {step}-minute grid{whole}")
    if start < now + timedelta(minutes=policy.min_notice_minutes):
        reject(RULE_NOTICE, None, f"start is less than {policy.min_notice_minutes} minutes from now")
    if start >= now + timedelta(days=policy.horizon_days):
        reject(RULE_HORIZON, None, f"start is not within {policy.horizon_days} days from now")

    low = floor_seconds(start)
    high = low + max(int(minutes), 0) * 60
    attendees = [mentor, *mentees]
    blocking = _Blocking(policy)
    mentor_busy = False
    for index, attendee in enumerate(attendees):
        if _overlapping(attendee, blocking, index == 0, low, high):
            mentor_busy = mentor_busy or index == 0
            reject(RULE_BUSY, attendee.upn, f"{attendee.upn} has a blocking event during the slot")
    buffer = policy.buffer_minutes * 60
    if not mentor_busy and buffer and _overlapping(mentor, blocking, True, low - buffer, high + buffer):
        reject(
            RULE_BUFFER,
            mentor.upn,
            f"{mentor.upn} needs {policy.buffer_minutes} free minutes before and after the slot",
        )
    window = f"{policy.day_start:%H:%M}-{policy.day_end:%H:%M}"
    for attendee in attendees:
        # A day window lies inside its local date, so only the window of the start's local date can hold it.
        day = start.astimezone(attendee.tz).date()
        if not IntervalSet(_day_windows(attendee.tz, day, day, policy)).contains(low, high):
            reject(RULE_DAY_WINDOW, attendee.upn, f"the slot is outside {window} of {attendee.upn}'s local day")
    if policy.respect_working_hours:
        for attendee in attendees:
            # Yesterday's range may run overnight into today; tomorrow's may continue today's.
            hours = attendee.working_hours or default_working_hours(attendee.tz)
            day = start.astimezone(hours.tz).date()
            if not IntervalSet(_working_windows(hours, day - _ONE_DAY, day + _ONE_DAY)).contains(low, high):
                reject(RULE_WORKING_HOURS, attendee.upn, f"the slot is outside {attendee.upn}'s working hours")

    day = start.astimezone(mentor.tz).date()
    office = _office_windows(mentor.tz, day, day, policy)  # a window lies inside its local date
    if office is not None and not IntervalSet(office).contains(low, high):
        offered = describe_office_hours(policy.office_hours, mentor.tz)
        reject(RULE_OFFICE_HOURS, mentor.upn, f"the slot is outside {mentor.upn}'s office hours: {offered}")
    if day.weekday() in policy.no_meeting_weekdays:
        reject(RULE_NO_MEETING, mentor.upn, f"{WEEKDAYS[day.weekday()]} is a no-meeting day for {mentor.upn}")
    periods = {RULE_DAY_CAP: f"on {day.isoformat()}", RULE_WEEK_CAP: "that week", RULE_MONTH_CAP: "that month"}
    for rule, count, cap in _Caps(mentor, policy).broken(day):
        reject(rule, mentor.upn, f"{mentor.upn} already has {count} session(s) {periods[rule]} (cap {cap})")
    return tuple(rejections)
