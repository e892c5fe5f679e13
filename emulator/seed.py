"""Loading and checking a tenant seed (Graph v1.0 JSON shapes, see docs/tenant-seed.md).

Every problem raises `SeedError` whose message starts with the JSON path of the bad field."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.access import parse_access_rules
from emulator.eventinput import FieldError, check_str, parse_event_input
from emulator.recurrence import WEEKDAYS
from graph.timezones import UnknownTimeZone, zone_from_graph, zone_from_name

__all__ = ["DEFAULT_APP", "AppSpec", "Seed", "SeedError", "UserSpec", "load_seed", "parse_user"]

_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$")
DEFAULT_APP = ("micromentor-local", "local-secret")
_USER_EXTRAS = ("department", "officeLocation", "givenName", "surname", "jobTitle", "mobilePhone",
                "preferredLanguage", "businessPhones", "proxyAddresses", "employeeType", "companyName",
                "employeeId", "onPremisesExtensionAttributes")


# Working-hours zone names real mailboxes carry that map to nothing (graph-facts: event
# `originalStartTimeZone` may be `tzone://Microsoft/Custom`; a customTimeZone may come back by name only).
UNMAPPABLE_ZONE_NAMES = ("tzone://Microsoft/Custom", "Customized Time Zone")


def _check_extension_attributes(value: Any, path: str) -> None:
    """resources/onpremisesextensionattributes.md: extensionAttribute1..15, strings of up to 1024 characters."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise FieldError(path, "expected an object of extensionAttribute1..15")
    allowed = {f"extensionAttribute{i}" for i in range(1, 16)}
    for key, item in value.items():
        if key not in allowed:
            raise FieldError(f"{path}.{key}", "not one of extensionAttribute1..15")
        if item is not None and (not isinstance(item, str) or len(item) > 1024):
            raise FieldError(f"{path}.{key}", "expected a string of up to 1024 characters or null")


class SeedError(ValueError):
    """A malformed seed; `path` is the JSON path of the bad field, e.g. `users[1].mailboxSettings.timeZone`."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass
class AppSpec:
    client_id: str
    client_secret: str | None
    roles: list[str] | None


@dataclass
class UserSpec:
    id: str | None
    upn: str
    mail: str
    display_name: str
    extra: dict[str, Any]
    mailbox_settings: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)  # parse_event_input results
    event_paths: list[str] = field(default_factory=list)


@dataclass
class Seed:
    tenant_id: str
    apps: list[AppSpec]
    users: list[UserSpec]
    # The emulator's own section (access policy, users without Teams, …; see emulator/access.py), and
    # whether the seed declared its apps (then nothing is granted that the seed does not say).
    emulator: dict[str, Any] = field(default_factory=dict)
    apps_declared: bool = False


def _read(source: Mapping[str, Any] | str | Path) -> Any:
    if isinstance(source, Mapping):
        return source
    text = str(source)
    if isinstance(source, str) and text.lstrip().startswith("{"):
        raw = text
    else:
        try:
            raw = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise SeedError("$", f"cannot read seed file {text!r}: {exc.strerror or exc}") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SeedError("$", f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None


def _time_of_day(value: Any, path: str) -> str:
    text = check_str(value, path)
    if not _TIME.match(text):
        raise FieldError(path, f"expected a time 'HH:MM:SS.fffffff', got {text!r}")
    hours, minutes = int(text[0:2]), int(text[3:5])
    if hours > 23 or minutes > 59:
        raise FieldError(path, f"{text!r} is not a time of day")
    return text


def _mailbox_settings(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise FieldError(path, "expected a mailboxSettings object")
    settings = dict(value)
    zone_name = settings.get("timeZone", "UTC")
    check_str(zone_name, f"{path}.timeZone")
    try:
        zone_from_name(zone_name)
    except UnknownTimeZone as exc:
        raise FieldError(f"{path}.timeZone", str(exc)) from None
    settings["timeZone"] = zone_name
    hours = settings.get("workingHours")
    if hours is None:
        # Outlook's defaults for a new mailbox, in the mailbox's zone.
        hours = {
            "daysOfWeek": list(WEEKDAYS[:5]),
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": zone_name},
        }
    if not isinstance(hours, Mapping):
        raise FieldError(f"{path}.workingHours", "expected a workingHours object")
    here = f"{path}.workingHours"
    days = hours.get("daysOfWeek", [])
    if not isinstance(days, list):
        raise FieldError(f"{here}.daysOfWeek", "expected a list of days")
    for i, day in enumerate(days):
        if not isinstance(day, str) or day.lower() not in WEEKDAYS:
            raise FieldError(f"{here}.daysOfWeek[{i}]", f"expected a day of the week, got {day!r}")
    _time_of_day(hours.get("startTime"), f"{here}.startTime")
    _time_of_day(hours.get("endTime"), f"{here}.endTime")
    zone = hours.get("timeZone", {"name": zone_name})
    if isinstance(zone, str):
        zone = {"name": zone}
    if not isinstance(zone, Mapping):
        raise FieldError(f"{here}.timeZone", "expected a timeZoneBase or customTimeZone object")
    try:
        if str(zone.get("name") or "") not in UNMAPPABLE_ZONE_NAMES:
            zone_from_graph(zone)
    except UnknownTimeZone as exc:
        raise FieldError(f"{here}.timeZone.name", str(exc)) from None
    except (ValueError, TypeError, KeyError) as exc:
        raise FieldError(f"{here}.timeZone", f"bad customTimeZone: {exc}") from None
    hours = dict(hours)
    hours["timeZone"] = dict(zone)
    settings["workingHours"] = hours
    return settings


def parse_user(value: Any, path: str) -> UserSpec:
    """One seed user (also used by the admin surface); raises SeedError."""
    try:
        return _parse_user(value, path)
    except FieldError as exc:
        raise SeedError(exc.path, exc.message) from None


def _parse_user(value: Any, path: str) -> UserSpec:
    if not isinstance(value, Mapping):
        raise FieldError(path, "expected a user object")
    if "userPrincipalName" not in value:
        raise FieldError(f"{path}.userPrincipalName", "required")
    upn = check_str(value["userPrincipalName"], f"{path}.userPrincipalName")
    if "@" not in upn:
        raise FieldError(f"{path}.userPrincipalName", f"{upn!r} is not a user principal name")
    user_id = value.get("id")
    if user_id is not None:
        check_str(user_id, f"{path}.id")
    mail = check_str(value.get("mail") or upn, f"{path}.mail")
    if "displayName" in value and value["displayName"] in ("", None):
        display = ""  # as on real tenants where accounts made by scripts have none: rendered null
    else:
        display = check_str(value.get("displayName") or upn.split("@")[0], f"{path}.displayName")
    extra: dict[str, Any] = {}
    for key in _USER_EXTRAS:
        if key in value:
            extra[key] = value[key]
    _check_extension_attributes(extra.get("onPremisesExtensionAttributes"), f"{path}.onPremisesExtensionAttributes")
    settings = _mailbox_settings(value.get("mailboxSettings"), f"{path}.mailboxSettings")
    spec = UserSpec(user_id, upn, mail, display, extra, settings)
    events = value.get("events", [])
    if not isinstance(events, list):
        raise FieldError(f"{path}.events", "expected a list of events")
    for i, event in enumerate(events):
        here = f"{path}.events[{i}]"
        spec.events.append(parse_event_input(event, here))
        spec.event_paths.append(here)
    return spec


def _apps(value: Any) -> list[AppSpec]:
    if value is None:
        return [AppSpec(DEFAULT_APP[0], DEFAULT_APP[1], None)]
    if not isinstance(value, list):
        raise FieldError("apps", "expected a list of apps")
    apps = []
    for i, app in enumerate(value):
        here = f"apps[{i}]"
        if not isinstance(app, Mapping):
            raise FieldError(here, "expected an app object")
        client_id = check_str(app.get("clientId"), f"{here}.clientId")
        secret = app.get("clientSecret")
        if secret is not None:
            check_str(secret, f"{here}.clientSecret")
        roles = app.get("roles")
        if roles is not None and (not isinstance(roles, list) or not all(isinstance(r, str) for r in roles)):
            raise FieldError(f"{here}.roles", "expected a list of strings")
        apps.append(AppSpec(client_id, secret, None if roles is None else list(roles)))
    return apps


def load_seed(source: Mapping[str, Any] | str | Path) -> Seed:
    data = _read(source)
    try:
        if not isinstance(data, Mapping):
            raise FieldError("$", "expected a JSON object")
        if "tenantId" not in data:
            raise FieldError("tenantId", "required")
        tenant = check_str(data["tenantId"], "tenantId").strip()
        if not tenant or "/" in tenant:
            raise FieldError("tenantId", f"{tenant!r} is not a tenant id")
        apps = _apps(data.get("apps"))
        users_raw = data.get("users", [])
        if not isinstance(users_raw, list):
            raise FieldError("users", "expected a list of users")
        users = [_parse_user(u, f"users[{i}]") for i, u in enumerate(users_raw)]
    except FieldError as exc:
        raise SeedError(exc.path, exc.message) from None
    seen: dict[str, str] = {}
    for i, user in enumerate(users):
        for key, kind in ((user.upn.lower(), "userPrincipalName"), ((user.id or "").lower(), "id")):
            if not key:
                continue
            if key in seen:
                raise SeedError(f"users[{i}].{kind}", f"duplicates {seen[key]}")
            seen[key] = f"users[{i}].{kind}"
    section = data.get("emulator", {})
    known = {key.lower() for u in users for key in (u.upn, u.mail, u.id or "") if key}
    try:
        parse_access_rules(section, "emulator", lambda key: key if key.lower() in known else None)
    except ValueError as exc:
        path, _, message = str(exc).partition(": ")
        raise SeedError(path, message) from None
    return Seed(tenant, apps, users, dict(section), data.get("apps") is not None)
