"""The focus-time policy as typed values (docs/policy.md).

`Policy` validates itself on construction (also through `dataclasses.replace`) and raises
`core.errors.InputError(field, message)` naming the offending field. Bounds chosen where policy.md is silent:

| field | accepted |
| --- | --- |
| `session_minutes` | int 1..480, and one of `allowed_session_minutes` |
| `allowed_session_minutes` | 1..20 distinct ints, each 1..480 |
| `slot_step_minutes` | int 1..1440 that divides 1440 (the grid repeats every local day) |
| `min_notice_minutes` | int 0..43200 (30 days) |
| `horizon_days` | int 1..62 (Graph's getSchedule spans at most 62 days) |
| `buffer_minutes` | int 0..240 |
| `day_start` / `day_end` | naive `time` on a whole minute, `day_start < day_end` (a window never |
| | crosses midnight; "24:00" is not accepted, use "23:59") |
| `respect_working_hours`, `tentative_is_busy` | bool |
| `no_meeting_days` | distinct lower-case weekday names (all seven is allowed: the mentor is paused) |
| `focus_markers` | up to 50 non-blank strings of at most 100 characters |
| `max_sessions_per_day` / `_week` / `_month` | int 0..100 / 0..500 / 0..2000 (0 pauses the mentor) |
| `completion_min_ratio` | real number in (0, 1] |
| `checkin_after_days` | int 1..60: days after a completed session that the mentee's check-in is due |
| `message_window` | null (messages follow the recipient's working hours alone) or a (start, end) pair of |
| | whole-minute times, start < end, overlapping `day_start`-`day_end`, read in the recipient's zone |
| | (errors: `message_window.start`/`.end`; `message_window` when it misses the day window) |
| `office_hours` | up to 50 `OfficeWindow`s (weekday, start < end, whole minutes) inside `day_start`-`day_end`, |
| | not overlapping on one weekday; empty = the whole day window (see docs/office-hours.md) |
| `max_group_size` | int 2..19: most seats of a group flash session (docs/group-sessions.md) |

`bool` is never accepted where an int or a number is expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from types import MappingProxyType
from typing import Any

from core.errors import InputError, Unprocessable

__all__ = ["POLICY_FIELDS", "WEEKDAYS", "OfficeWindow", "Policy", "TenantPolicy", "normalize_upn"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

MAX_SESSION_MINUTES = 480
MAX_ALLOWED_LENGTHS = 20
MAX_NOTICE_MINUTES = 30 * 24 * 60
MAX_HORIZON_DAYS = 62
MAX_BUFFER_MINUTES = 240
MAX_FOCUS_MARKERS = 50
MAX_FOCUS_MARKER_LENGTH = 100
MAX_PER_DAY = 100
MAX_PER_WEEK = 500
MAX_PER_MONTH = 2000
MAX_CHECKIN_DAYS = 60
MAX_OFFICE_WINDOWS = 50
MAX_GROUP_SIZE = 19  # mentees of one group flash session (one getSchedule holds the mentor and 19)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_in(name: str, value: object, low: int, high: int) -> None:
    if not _is_int(value):
        raise InputError(name, "must be an integer")
    assert isinstance(value, int)
    if not low <= value <= high:
        raise InputError(name, f"must be between {low} and {high}, got {value}")


def _whole_minute(name: str, value: object) -> None:
    if not isinstance(value, time):
        raise InputError(name, "must be a time of day")
    if value.tzinfo is not None or value.second or value.microsecond:
        raise InputError(name, "must be a local time on a whole minute, like 08:00")


@dataclass(frozen=True, slots=True)
class OfficeWindow:
    """A mentor's standard time slot: `day` (lower-case weekday name) `start`-`end`, in the mentor's
    mailbox time zone (as `day_start`, `day_end` and `no_meeting_days` are)."""

    day: str
    start: time
    end: time

    @property
    def weekday(self) -> int:
        return WEEKDAYS.index(self.day)


@dataclass(frozen=True, slots=True)
class Policy:
    """One mentor's effective focus-time policy; defaults are those of policy.md."""

    session_minutes: int = 15
    allowed_session_minutes: tuple[int, ...] = (15, 20, 30)
    slot_step_minutes: int = 15
    min_notice_minutes: int = 120
    horizon_days: int = 14
    buffer_minutes: int = 5
    day_start: time = time(8, 0)
    day_end: time = time(18, 0)
    respect_working_hours: bool = True
    no_meeting_days: tuple[str, ...] = ()
    tentative_is_busy: bool = True
    focus_markers: tuple[str, ...] = ("Focus time", "Focus", "Deep work")
    max_sessions_per_day: int = 3
    max_sessions_per_week: int = 5
    max_sessions_per_month: int = 12
    completion_min_ratio: float = 0.66
    checkin_after_days: int = 7
    message_window: tuple[time, time] | None = None  # None: the recipient's working hours alone
    office_hours: tuple[OfficeWindow, ...] = ()
    max_group_size: int = 6

    def __post_init__(self) -> None:
        self._check_lengths()
        self._check_grid_and_window()
        self._check_flags_and_lists()
        _int_in("max_sessions_per_day", self.max_sessions_per_day, 0, MAX_PER_DAY)
        _int_in("max_sessions_per_week", self.max_sessions_per_week, 0, MAX_PER_WEEK)
        _int_in("max_sessions_per_month", self.max_sessions_per_month, 0, MAX_PER_MONTH)
        ratio = self.completion_min_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float):
            raise InputError("completion_min_ratio", "must be a number")
        if not math.isfinite(ratio) or not 0 < ratio <= 1:
            raise InputError("completion_min_ratio", f"must be in (0, 1], got {ratio}")
        self._check_office_hours()
        _int_in("max_group_size", self.max_group_size, 2, MAX_GROUP_SIZE)
        self._check_outcome_messages()

    def _check_outcome_messages(self) -> None:
        _int_in("checkin_after_days", self.checkin_after_days, 1, MAX_CHECKIN_DAYS)
        window = self.message_window
        if window is None:
            return
        if not isinstance(window, tuple) or len(window) != 2:
            raise InputError("message_window", "must be null or a start and an end time")
        _whole_minute("message_window.start", window[0])
        _whole_minute("message_window.end", window[1])
        if window[1] <= window[0]:
            raise InputError("message_window.end", "must be later than message_window.start")
        if window[1] <= self.day_start or window[0] >= self.day_end:
            # Both windows are read in the recipient's zone: with no overlap no message could ever go out.
            raise InputError(
                "message_window",
                f"must overlap the day window {self.day_start:%H:%M}-{self.day_end:%H:%M}, or no message could go out",
            )

    def _check_lengths(self) -> None:
        allowed = self.allowed_session_minutes
        if not isinstance(allowed, tuple):
            raise InputError("allowed_session_minutes", "must be a list of integers")
        if not 1 <= len(allowed) <= MAX_ALLOWED_LENGTHS:
            raise InputError("allowed_session_minutes", f"must hold 1 to {MAX_ALLOWED_LENGTHS} lengths")
        for index, value in enumerate(allowed):
            _int_in(f"allowed_session_minutes[{index}]", value, 1, MAX_SESSION_MINUTES)
            if value in allowed[:index]:
                raise InputError(f"allowed_session_minutes[{index}]", f"duplicate length {value}")
        _int_in("session_minutes", self.session_minutes, 1, MAX_SESSION_MINUTES)
        if self.session_minutes not in allowed:
            raise InputError(
                "session_minutes",
                f"{self.session_minutes} is not one of allowed_session_minutes {list(allowed)}",
            )

    def _check_grid_and_window(self) -> None:
        _int_in("slot_step_minutes", self.slot_step_minutes, 1, 1440)
        if 1440 % self.slot_step_minutes:
            step = self.slot_step_minutes
            raise InputError("slot_step_minutes", f"must divide a day (1440 minutes), got {step}")
        _int_in("min_notice_minutes", self.min_notice_minutes, 0, MAX_NOTICE_MINUTES)
        _int_in("horizon_days", self.horizon_days, 1, MAX_HORIZON_DAYS)
        _int_in("buffer_minutes", self.buffer_minutes, 0, MAX_BUFFER_MINUTES)
        _whole_minute("day_start", self.day_start)
        _whole_minute("day_end", self.day_end)
        if self.day_end <= self.day_start:
            raise InputError("day_end", "must be later than day_start")

    def _check_flags_and_lists(self) -> None:
        for name in ("respect_working_hours", "tentative_is_busy"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(name, "must be true or false")
        days = self.no_meeting_days
        if not isinstance(days, tuple):
            raise InputError("no_meeting_days", "must be a list of weekday names")
        for index, day in enumerate(days):
            if not isinstance(day, str) or day not in WEEKDAYS:
                raise InputError(f"no_meeting_days[{index}]", f"must be one of {', '.join(WEEKDAYS)}")
            if day in days[:index]:
                raise InputError(f"no_meeting_days[{index}]", f"duplicate weekday {day}")
        markers = self.focus_markers
        if not isinstance(markers, tuple):
            raise InputError("focus_markers", "must be a list of strings")
        if len(markers) > MAX_FOCUS_MARKERS:
            raise InputError("focus_markers", f"must hold at most {MAX_FOCUS_MARKERS} markers")
        for index, marker in enumerate(markers):
            if not isinstance(marker, str) or not marker.strip():
                raise InputError(f"focus_markers[{index}]", "must be a non-blank string")
            if len(marker) > MAX_FOCUS_MARKER_LENGTH:
                limit = MAX_FOCUS_MARKER_LENGTH
                raise InputError(f"focus_markers[{index}]", f"must be at most {limit} characters")

    def _check_office_hours(self) -> None:
        windows = self.office_hours
        if not isinstance(windows, tuple):
            raise InputError("office_hours", "must be a list of office-hours windows")
        if len(windows) > MAX_OFFICE_WINDOWS:
            raise InputError("office_hours", f"must hold at most {MAX_OFFICE_WINDOWS} windows")
        day_window = f"{self.day_start:%H:%M}-{self.day_end:%H:%M}"
        for index, window in enumerate(windows):
            name = f"office_hours[{index}]"
            if not isinstance(window, OfficeWindow):
                raise InputError(name, "must be an office-hours window")
            if not isinstance(window.day, str) or window.day not in WEEKDAYS:
                raise Unprocessable(f"{name}.day", f"must be one of {', '.join(WEEKDAYS)}")
            _whole_minute(f"{name}.start", window.start)
            _whole_minute(f"{name}.end", window.end)
            if window.end <= window.start:
                raise Unprocessable(f"{name}.end", "must be later than start")
            if window.start < self.day_start or window.end > self.day_end:
                raise Unprocessable(name, f"must lie inside the day window {day_window}")
            for other in windows[:index]:
                if other.day == window.day and other.start < window.end and window.start < other.end:
                    span = f"{other.start:%H:%M}-{other.end:%H:%M}"
                    raise Unprocessable(name, f"overlaps the {window.day} window {span}")

    @property
    def no_meeting_weekdays(self) -> frozenset[int]:
        """`no_meeting_days` as `datetime.weekday()` numbers (0 = Monday)."""
        return frozenset(WEEKDAYS.index(day) for day in self.no_meeting_days)


POLICY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Policy))

# A cross-field check fails on one field; when an override changed only the other one, name that one.
_RELATED = {"session_minutes": "allowed_session_minutes", "day_end": "day_start"}


def normalize_upn(upn: str) -> str:
    return upn.strip().lower()


def _root_field(name: str) -> str:
    return name.split("[", 1)[0].split(".", 1)[0]


def apply_override(base: Policy, upn: str, override: Mapping[str, Any]) -> Policy:
    """`base` with `override`'s typed values; errors are named `overrides.<upn>.<field>`."""
    prefix = f"overrides.{upn}"
    for name in override:
        if name == "overrides":
            raise InputError(f"{prefix}.overrides", "an override cannot hold overrides")
        if name not in POLICY_FIELDS:
            raise InputError(f"{prefix}.{name}", "unknown policy field")
    try:
        return replace(base, **override)
    except InputError as exc:
        named, message = exc.field, exc.message
        root = _root_field(named)
        related = _RELATED.get(root, "")
        if root == "office_hours":  # tenant-wide office hours pushed out by a mentor's own day window
            related = "day_end" if "day_end" in override else "day_start"
        if root not in override and related in override:
            named, message = related, f"with this value, {exc.field} {exc.message}"
        raise type(exc)(f"{prefix}.{named}", message) from None  # keeps Unprocessable a 422


@dataclass(frozen=True)
class TenantPolicy:
    """The tenant-wide policy plus per-mentor overrides (typed values, keyed by lower-cased UPN)."""

    base: Policy = field(default_factory=Policy)
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.base, Policy):
            raise InputError("policy", "base must be a Policy")
        frozen: dict[str, Mapping[str, Any]] = {}
        for upn, override in self.overrides.items():
            if not isinstance(upn, str) or not upn.strip():
                raise InputError("overrides", "keys must be non-empty user principal names")
            key = normalize_upn(upn)
            if key in frozen:
                raise InputError(f"overrides.{key}", "appears twice (UPNs are compared case-insensitively)")
            apply_override(self.base, key, override)  # validates now, so effective() cannot fail later
            frozen[key] = MappingProxyType(dict(override))
        object.__setattr__(self, "overrides", MappingProxyType(frozen))

    def effective(self, mentor_upn: str) -> Policy:
        """The mentor's policy: the tenant policy with the mentor's overrides applied."""
        override = self.overrides.get(normalize_upn(mentor_upn))
        return apply_override(self.base, normalize_upn(mentor_upn), override) if override else self.base
