"""Reading a Graph `event` JSON body (from a seed, a POST or a PATCH) into checked values.

Errors carry the JSON path of the bad field, relative to the event object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.recurrence import Recurrence, RecurrenceError
from emulator.timeutil import parse_dtz

__all__ = ["SHOW_AS", "FieldError", "check_bool", "check_int", "check_str", "parse_event_input"]

SHOW_AS = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
_SENSITIVITY = ("normal", "personal", "private", "confidential")
_IMPORTANCE = ("low", "normal", "high")
_PROVIDERS = ("unknown", "teamsForBusiness", "skypeForBusiness", "skypeForConsumer")
_ATTENDEE_TYPES = ("required", "optional", "resource")
_RESPONSES = ("none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded")


class FieldError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _join(prefix: str, key: str) -> str:
    if not prefix:
        return key
    return f"{prefix}{key}" if key.startswith("[") else f"{prefix}.{key}"


def check_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise FieldError(path, f"expected a string, got {type(value).__name__}")
    return value


def check_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise FieldError(path, f"expected true or false, got {type(value).__name__}")
    return value


def check_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(path, f"expected an integer, got {type(value).__name__}")
    return value


def _enum(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    text = check_str(value, path)
    for option in allowed:
        if option.lower() == text.lower():
            return option
    raise FieldError(path, f"expected one of {', '.join(allowed)}, got {text!r}")


def _email(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise FieldError(path, "expected an object")
    address = check_str(value.get("address"), _join(path, "address"))
    if "@" not in address:
        raise FieldError(_join(path, "address"), f"{address!r} is not an email address")
    name = value.get("name", address)
    return {"name": check_str(name, _join(path, "name")), "address": address}


def _attendees(value: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise FieldError(path, "expected a list")
    result = []
    for i, item in enumerate(value):
        here = _join(path, f"[{i}]")
        if not isinstance(item, Mapping):
            raise FieldError(here, "expected an attendee object")
        email = _email(item.get("emailAddress"), _join(here, "emailAddress"))
        kind = _enum(item.get("type", "required"), _join(here, "type"), _ATTENDEE_TYPES)
        status = item.get("status") or {}
        if not isinstance(status, Mapping):
            raise FieldError(_join(here, "status"), "expected an object")
        response = _enum(status.get("response", "none"), _join(here, "status.response"), _RESPONSES)
        time = status.get("time", "0001-01-01T00:00:00Z")
        result.append(
            {
                "type": kind,
                "status": {"response": response, "time": check_str(time, _join(here, "status.time"))},
                "emailAddress": email,
            }
        )
    return result


def _location(value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, str):
        value = {"displayName": value}
    if not isinstance(value, Mapping):
        raise FieldError(path, "expected a location object")
    name = check_str(value.get("displayName", ""), _join(path, "displayName"))
    location = dict(value)
    location["displayName"] = name
    location.setdefault("locationType", "default")
    location.setdefault("uniqueIdType", "private" if name else "unknown")
    if name:
        location.setdefault("uniqueId", name)
    return location


def parse_event_input(data: Any, prefix: str = "", partial: bool = False) -> dict[str, Any]:
    """Checked values for the keys present (all required ones unless `partial`)."""
    if not isinstance(data, Mapping):
        raise FieldError(prefix or "$", "expected an event object")
    out: dict[str, Any] = {}

    def path(key: str) -> str:
        return _join(prefix, key)

    for key in ("start", "end"):
        if key in data:
            try:
                out[key] = parse_dtz(data[key])
            except ValueError as exc:
                sub, _, message = str(exc).partition(": ")
                if message and sub in ("dateTime", "timeZone"):
                    raise FieldError(path(f"{key}.{sub}"), message) from None
                raise FieldError(path(key), str(exc)) from None
        elif not partial:
            raise FieldError(path(key), "required")
    if "start" in out and "end" in out and out["end"].at < out["start"].at:
        raise FieldError(path("end.dateTime"), "the end is before the start")
    if "subject" in data:
        out["subject"] = check_str(data["subject"] if data["subject"] is not None else "", path("subject"))
    if "body" in data and data["body"] is not None:
        body = data["body"]
        if not isinstance(body, Mapping):
            raise FieldError(path("body"), "expected an itemBody object")
        out["body_type"] = _enum(body.get("contentType", "text"), path("body.contentType"), ("text", "html"))
        out["body_content"] = check_str(body.get("content") or "", path("body.content"))
    simple: list[tuple[str, str, Any]] = [
        ("showAs", "show_as", SHOW_AS),
        ("sensitivity", "sensitivity", _SENSITIVITY),
        ("importance", "importance", _IMPORTANCE),
        ("onlineMeetingProvider", "online_meeting_provider", _PROVIDERS),
    ]
    for key, name, allowed in simple:
        if key in data and data[key] is not None:
            out[name] = _enum(data[key], path(key), allowed)
    flags = [
        ("isAllDay", "is_all_day"),
        ("isCancelled", "is_cancelled"),
        ("isReminderOn", "is_reminder_on"),
        ("allowNewTimeProposals", "allow_new_time_proposals"),
        ("responseRequested", "response_requested"),
        ("isOnlineMeeting", "is_online_meeting"),
    ]
    for key, name in flags:
        if key in data and data[key] is not None:
            out[name] = check_bool(data[key], path(key))
    if "reminderMinutesBeforeStart" in data and data["reminderMinutesBeforeStart"] is not None:
        out["reminder_minutes"] = check_int(data["reminderMinutesBeforeStart"], path("reminderMinutesBeforeStart"))
    if "categories" in data and data["categories"] is not None:
        categories = data["categories"]
        if not isinstance(categories, list):
            raise FieldError(path("categories"), "expected a list of strings")
        out["categories"] = [check_str(c, path(f"categories[{i}]")) for i, c in enumerate(categories)]
    if "location" in data and data["location"] is not None:
        out["location"] = _location(data["location"], path("location"))
    if "attendees" in data and data["attendees"] is not None:
        out["attendees"] = _attendees(data["attendees"], path("attendees"))
    if "organizer" in data and data["organizer"] is not None:
        organizer = data["organizer"]
        if not isinstance(organizer, Mapping):
            raise FieldError(path("organizer"), "expected a recipient object")
        out["organizer"] = {"emailAddress": _email(organizer.get("emailAddress"), path("organizer.emailAddress"))}
    for key, name in (("transactionId", "transaction_id"), ("id", "id"), ("iCalUId", "ical_uid")):
        if key in data and data[key] is not None:
            out[name] = check_str(data[key], path(key))
    if "responseStatus" in data and isinstance(data["responseStatus"], Mapping):
        status = data["responseStatus"]
        out["response"] = _enum(status.get("response", "none"), path("responseStatus.response"), _RESPONSES)
    if "recurrence" in data and data["recurrence"] is not None:
        recurrence = data["recurrence"]
        start = out.get("start")
        default_start = start.at.astimezone(start.zone).date() if start is not None else None
        if default_start is None:
            raise FieldError(path("recurrence"), "a recurrence needs the event's start")
        try:
            out["recurrence"] = Recurrence.from_graph(recurrence, default_start)
        except RecurrenceError as exc:
            raise FieldError(path(f"recurrence.{exc.path}" if exc.path else "recurrence"), exc.message) from None
        out["recurrence_json"] = dict(recurrence)
    return out
