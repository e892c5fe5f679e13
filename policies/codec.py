"""Policy JSON (the format of policy.md) to `TenantPolicy` and back.

Every field is optional. Types are strict: integers must be JSON integers (`true` is not 1), booleans
JSON booleans, `day_start`/`day_end` "HH:MM" strings (":00" seconds tolerated), `no_meeting_days`
weekday names in any case (stored lower-case), `office_hours` a list of
`{"day": "tuesday", "start": "14:00", "end": "15:00"}` (nothing else in a window). Range and
cross-field rules are `Policy`'s (see `policies.model`). Errors are `InputError` naming the field: `day_start`,
`allowed_session_minutes[1]`, `overrides.ana@contoso.example.buffer_minutes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import time
from typing import Any

from core.errors import InputError
from policies.model import POLICY_FIELDS, OfficeWindow, Policy, TenantPolicy, normalize_upn

__all__ = ["parse_policy", "policy_fields_to_json", "policy_to_json"]

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:00)?$")


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(name, "must be an integer")
    return value


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError(name, "must be true or false")
    return value


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(name, "must be a number")
    return float(value)


def _clock(name: str, value: Any) -> time:
    if not isinstance(value, str):
        raise InputError(name, 'must be a string like "08:00"')
    match = _TIME.match(value)
    if match is None:
        raise InputError(name, f'must be a time like "08:00" (00:00 to 23:59), got {value!r}')
    return time(int(match.group(1)), int(match.group(2)))


def _list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(name, "must be a list")
    return value


def _integers(name: str, value: Any) -> tuple[int, ...]:
    return tuple(_integer(f"{name}[{i}]", item) for i, item in enumerate(_list(name, value)))


def _weekdays(name: str, value: Any) -> tuple[str, ...]:
    days = []
    for i, item in enumerate(_list(name, value)):
        if not isinstance(item, str):
            raise InputError(f"{name}[{i}]", "must be a weekday name")
        days.append(item.strip().lower())
    return tuple(days)


def _strings(name: str, value: Any) -> tuple[str, ...]:
    items = _list(name, value)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(f"{name}[{i}]", "must be a string")
    return tuple(items)


def _window(name: str, value: Any) -> tuple[time, time] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InputError(name, 'must be null or an object like {"start": "09:00", "end": "17:00"}')
    unknown = set(value) - {"start", "end"}
    if unknown:
        raise InputError(f"{name}.{sorted(map(str, unknown))[0]}", "unknown field")
    for part in ("start", "end"):
        if part not in value:
            raise InputError(f"{name}.{part}", "required")
    return (_clock(f"{name}.start", value["start"]), _clock(f"{name}.end", value["end"]))


_WINDOW_KEYS = ("day", "start", "end")


def _office_hours(name: str, value: Any) -> tuple[OfficeWindow, ...]:
    windows = []
    for i, item in enumerate(_list(name, value)):
        here = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(here, 'must be an object like {"day": "tuesday", "start": "14:00", "end": "15:00"}')
        for key in item:
            if key not in _WINDOW_KEYS:
                raise InputError(f"{here}.{key}", "unknown field (a window has day, start and end)")
        for key in _WINDOW_KEYS:
            if key not in item:
                raise InputError(f"{here}.{key}", "is required")
        day = item["day"]
        if not isinstance(day, str):
            raise InputError(f"{here}.day", "must be a weekday name")
        start, end = _clock(f"{here}.start", item["start"]), _clock(f"{here}.end", item["end"])
        windows.append(OfficeWindow(day=day.strip().lower(), start=start, end=end))
    return tuple(windows)


_READERS: dict[str, Callable[[str, Any], Any]] = {
    "session_minutes": _integer,
    "allowed_session_minutes": _integers,
    "slot_step_minutes": _integer,
    "min_notice_minutes": _integer,
    "horizon_days": _integer,
    "buffer_minutes": _integer,
    "day_start": _clock,
    "day_end": _clock,
    "respect_working_hours": _boolean,
    "no_meeting_days": _weekdays,
    "tentative_is_busy": _boolean,
    "focus_markers": _strings,
    "max_sessions_per_day": _integer,
    "max_sessions_per_week": _integer,
    "max_sessions_per_month": _integer,
    "completion_min_ratio": _number,
    "checkin_after_days": _integer,
    "message_window": _window,
    "office_hours": _office_hours,
    "max_group_size": _integer,
}
assert set(_READERS) == set(POLICY_FIELDS), "every Policy field needs a JSON reader"


def _read_fields(data: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for name, value in data.items():
        if not isinstance(name, str) or name not in _READERS:
            raise InputError(f"{prefix}{name}", "unknown policy field")
        typed[name] = _READERS[name](f"{prefix}{name}", value)
    return typed


def parse_policy(data: Any) -> TenantPolicy:
    """A policy JSON object (already decoded) to a validated `TenantPolicy`."""
    if not isinstance(data, Mapping):
        raise InputError("policy", "must be a JSON object")
    base_fields = {key: value for key, value in data.items() if key != "overrides"}
    base = Policy(**_read_fields(base_fields, ""))
    raw_overrides = data.get("overrides", {})
    if not isinstance(raw_overrides, Mapping):
        raise InputError("overrides", "must be an object keyed by user principal name")
    overrides: dict[str, dict[str, Any]] = {}
    for upn, override in raw_overrides.items():
        if not isinstance(upn, str) or not upn.strip():
            raise InputError("overrides", "keys must be non-empty user principal names")
        key = normalize_upn(upn)
        prefix = f"overrides.{key}."
        if key in overrides:
            raise InputError(f"overrides.{key}", "appears twice (UPNs are compared case-insensitively)")
        if not isinstance(override, Mapping):
            raise InputError(f"overrides.{key}", "must be an object of policy fields")
        if "overrides" in override:
            raise InputError(f"{prefix}overrides", "an override cannot hold overrides")
        overrides[key] = _read_fields(override, prefix)
    return TenantPolicy(base=base, overrides=overrides)


def _clock_text(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _field_to_json(name: str, value: Any) -> Any:
    if name == "message_window":
        return None if value is None else {"start": _clock_text(value[0]), "end": _clock_text(value[1])}
    if name == "office_hours":
        return [{"day": w.day, "start": _clock_text(w.start), "end": _clock_text(w.end)} for w in value]
    if isinstance(value, time):
        return _clock_text(value)
    if isinstance(value, tuple):
        return list(value)
    if name == "completion_min_ratio":
        return float(value)
    return value


def policy_fields_to_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Typed policy fields (a `Policy`'s or an override's) to their JSON values."""
    return {name: _field_to_json(name, value) for name, value in values.items()}


def policy_to_json(policy: TenantPolicy) -> dict[str, Any]:
    """Every field of the tenant policy, then `overrides`; `parse_policy` reads it back unchanged."""
    base = {name: getattr(policy.base, name) for name in POLICY_FIELDS}
    result = policy_fields_to_json(base)
    result["overrides"] = {
        upn: policy_fields_to_json(override) for upn, override in sorted(policy.overrides.items())
    }
    return result
