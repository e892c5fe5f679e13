"""One emulator per test module, seeded with users adapted from Graph's documented examples."""

from __future__ import annotations

import copy
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import RunningEmulator, start_emulator

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
DANA = "dana@contoso.example"  # mentor, Pacific time, organizer of the doc's examples
SAMANTHA = "samantha@contoso.example"  # mentee, India time
# App-only onlineMeetings calls name users by object id (a UPN there is refused, as by Graph).
OBJECT_ID = {
    "dana@contoso.example": "dc17674c-81d9-4adb-bfb2-8f6a442e4622",
    SAMANTHA: "57caaef9-5ed0-48d5-8862-e5abfa71b3e9",
}
ADELE = "adelev@contoso.example"  # getSchedule doc example, named zone
MEGAN = "meganb@contoso.example"  # getSchedule doc example, customTimeZone working hours
PST = "Pacific Standard Time"

MEGAN_HOURS_ZONE = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "bias": 480,
    "name": "Customized Time Zone",
    "standardOffset": {"time": "02:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11, "year": 0},
    "daylightOffset": {
        "daylightBias": -60,
        "time": "02:00:00.0000000",
        "dayOccurrence": 2,
        "dayOfWeek": "sunday",
        "month": 3,
        "year": 0,
    },
}


def _dt(value: str, zone: str = PST) -> dict[str, str]:
    return {"dateTime": value, "timeZone": zone}


def _hours(zone: Any, start: str = "08:00:00.0000000", end: str = "17:00:00.0000000") -> dict[str, Any]:
    return {
        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "startTime": start,
        "endTime": end,
        "timeZone": zone,
    }


SEED: dict[str, Any] = {
    "tenantId": TENANT,
    "apps": [
        {"clientId": "micromentor-local", "clientSecret": "local-secret"},
        {"clientId": "cert-app", "roles": ["Calendars.Read"]},
    ],
    # The seed declares its apps, so only what it says is granted: the Teams policy covers Dana alone.
    "emulator": {"teamsAccessPolicy": {"users": [DANA]}},
    "users": [
        {
            "id": "dc17674c-81d9-4adb-bfb2-8f6a442e4622",
            "userPrincipalName": DANA,
            "displayName": "Dana Swope",
            "department": "Product",
            "officeLocation": "Seattle",
            "mailboxSettings": {"timeZone": PST, "workingHours": _hours({"name": PST})},
            "events": [
                {
                    "subject": "Team stand-up",
                    "start": _dt("2026-11-30T09:00:00.0000000"),
                    "end": _dt("2026-11-30T09:15:00.0000000"),
                    "recurrence": {
                        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "wednesday", "friday"]},
                        "range": {"type": "noEnd", "startDate": "2026-11-30"},
                    },
                },
                {
                    "subject": "Focus time",
                    "start": _dt("2026-12-01T08:00:00.0000000"),
                    "end": _dt("2026-12-01T10:00:00.0000000"),
                    "showAs": "busy",
                },
            ],
        },
        {
            "id": "57caaef9-5ed0-48d5-8862-e5abfa71b3e9",
            "userPrincipalName": SAMANTHA,
            "displayName": "Samantha Booth",
            "mailboxSettings": {
                "timeZone": "India Standard Time",
                "workingHours": _hours({"name": "India Standard Time"}, "10:00:00.0000000", "19:00:00.0000000"),
            },
            "events": [],
        },
        {
            "id": "16664f75-11dc-4870-bec6-38c1aaa81431",
            "userPrincipalName": ADELE,
            "displayName": "Adele Vance",
            "mailboxSettings": {"timeZone": PST, "workingHours": _hours({"name": PST})},
            "events": [
                {
                    "subject": "Let's go for lunch",
                    "location": {"displayName": "Harry's Bar"},
                    "start": _dt("2019-03-15T12:00:00"),
                    "end": _dt("2019-03-15T14:00:00"),
                },
            ],
        },
        {
            "id": "b9a1c3f2-0000-4000-8000-00000000000d",
            "userPrincipalName": MEGAN,
            "displayName": "Megan Bowen",
            "mailboxSettings": {"timeZone": PST, "workingHours": _hours(MEGAN_HOURS_ZONE)},
            "events": [
                {"subject": "Early", "start": _dt("2019-03-15T08:30:00"), "end": _dt("2019-03-15T09:30:00")},
                {"subject": "Lunch", "start": _dt("2019-03-15T12:00:00"), "end": _dt("2019-03-15T14:00:00")},
                {
                    "subject": "Maybe",
                    "showAs": "tentative",
                    "start": _dt("2019-03-15T12:00:00"),
                    "end": _dt("2019-03-15T13:00:00"),
                },
                {"subject": "Review", "start": _dt("2019-03-15T13:00:00"), "end": _dt("2019-03-15T14:00:00")},
                {
                    "subject": "Later maybe",
                    "showAs": "tentative",
                    "start": _dt("2019-03-15T16:00:00"),
                    "end": _dt("2019-03-15T17:00:00"),
                },
            ],
        },
    ],
}


def verify(emu: RunningEmulator) -> ssl.SSLContext:
    """Trust exactly the emulator's certificate (httpx wants an SSLContext, not a path)."""
    return ssl.create_default_context(cafile=emu.ca_cert_path)


def app_token(emu: RunningEmulator, secret: str = "local-secret") -> str:
    with httpx.Client(verify=verify(emu), trust_env=False) as client:
        response = client.post(
            emu.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": "micromentor-local",
                "client_secret": secret,
                "scope": "https://graph.microsoft.com/.default",
            },
        )
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with start_emulator(copy.deepcopy(SEED)) as running:
        yield running


@pytest.fixture(scope="module")
def graph(emu: RunningEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {app_token(emu)}"}
    with httpx.Client(
        base_url=emu.graph_url, verify=verify(emu), trust_env=False, headers=headers, timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="module")
def admin(emu: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.admin_url, verify=verify(emu), trust_env=False, timeout=30) as client:
        yield client


def assert_graph_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The documented error shape: {"error": {"code", "message", "innerError": {"date", "request-id", …}}}."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    return dict(error)
