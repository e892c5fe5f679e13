"""getSchedule: the documented example (calendar-getschedule.md) on seeded users, and its limits."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import ADELE, DANA, MEGAN, MEGAN_HOURS_ZONE, PST, SAMANTHA, assert_graph_error

DOC_REQUEST = {
    "schedules": [ADELE, MEGAN],
    "startTime": {"dateTime": "2019-03-15T09:00:00", "timeZone": PST},
    "endTime": {"dateTime": "2019-03-15T18:00:00", "timeZone": PST},
    "availabilityViewInterval": 60,
}
PREFER_PST = {"Prefer": f'outlook.timezone="{PST}"'}


def schedule(graph: httpx.Client, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    return graph.post(f"/users/{DANA}/calendar/getSchedule", json=body, headers=headers or {})


def test_documented_example_gives_the_documented_views(graph: httpx.Client) -> None:
    response = schedule(graph, DOC_REQUEST, PREFER_PST)
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"].endswith("$metadata#Collection(microsoft.graph.scheduleInformation)")
    adele, megan = body["value"]
    # From the doc: 09:00-18:00 in 60-minute slots; lunch 12-14 busy → "000220000".
    assert adele["scheduleId"] == ADELE and adele["availabilityView"] == "000220000"
    (lunch,) = adele["scheduleItems"]
    assert lunch == {
        "isPrivate": False,
        "status": "busy",
        "subject": "Let's go for lunch",
        "location": "Harry's Bar",
        "start": {"dateTime": "2019-03-15T12:00:00.0000000", "timeZone": PST},
        "end": {"dateTime": "2019-03-15T14:00:00.0000000", "timeZone": PST},
    }
    # Busy 08:30-09:30, busy 12-14 over a tentative 12-13, tentative 16-17 → "200220010" as documented.
    assert megan["availabilityView"] == "200220010"
    assert sorted(
        (i["start"]["dateTime"][11:16], i["end"]["dateTime"][11:16], i["status"]) for i in megan["scheduleItems"]
    ) == [
        ("08:30", "09:30", "busy"),
        ("12:00", "13:00", "tentative"),
        ("12:00", "14:00", "busy"),
        ("13:00", "14:00", "busy"),
        ("16:00", "17:00", "tentative"),
    ]
    # Working hours come back as in mailbox settings, custom zone included, not converted by Prefer.
    assert megan["workingHours"]["timeZone"] == MEGAN_HOURS_ZONE
    assert adele["workingHours"]["timeZone"] == {"name": PST}


def test_item_times_are_utc_without_prefer(graph: httpx.Client) -> None:
    (adele, _megan) = schedule(graph, DOC_REQUEST).json()["value"]
    assert adele["scheduleItems"][0]["start"] == {"dateTime": "2019-03-15T19:00:00.0000000", "timeZone": "UTC"}


def test_prefer_accepts_an_iana_name_and_echoes_it(graph: httpx.Client) -> None:
    response = schedule(graph, DOC_REQUEST, {"Prefer": 'outlook.timezone="Asia/Kolkata"'})
    item = response.json()["value"][0]["scheduleItems"][0]
    # 12:00 PDT (UTC-7 on 15 March 2019) = 19:00Z = 00:30 IST next day.
    assert item["start"] == {"dateTime": "2019-03-16T00:30:00.0000000", "timeZone": "Asia/Kolkata"}


def test_interval_as_a_string_and_the_default_of_30(graph: httpx.Client) -> None:
    body = dict(DOC_REQUEST, availabilityViewInterval="15", schedules=[ADELE])
    assert len(schedule(graph, body).json()["value"][0]["availabilityView"]) == 36
    body = {k: v for k, v in DOC_REQUEST.items() if k != "availabilityViewInterval"}
    # 09:00-18:00 in 30-minute slots: 18 digits, lunch 12:00-14:00 covers slots 6 to 9.
    assert schedule(graph, body).json()["value"][0]["availabilityView"] == "000000222200000000"


def test_unknown_address_gets_an_error_entry_and_the_request_still_succeeds(graph: httpx.Client) -> None:
    response = schedule(graph, dict(DOC_REQUEST, schedules=["nobody@contoso.example", ADELE]))
    assert response.status_code == 200
    missing, adele = response.json()["value"]
    assert missing["scheduleId"] == "nobody@contoso.example"
    assert set(missing["error"]) == {"message", "responseCode"}
    assert adele["availabilityView"] == "000220000"


def test_more_than_20_schedules_is_refused(graph: httpx.Client) -> None:
    addresses = [f"user{i}@contoso.example" for i in range(21)]
    error = assert_graph_error(
        schedule(graph, dict(DOC_REQUEST, schedules=addresses)), 400, "ErrorMailboxDataArrayTooBig"
    )
    assert "20" in error["message"]
    assert schedule(graph, dict(DOC_REQUEST, schedules=addresses[:20])).status_code == 200


def test_window_of_62_days_or_more_is_refused(graph: httpx.Client) -> None:
    # concepts/outlook-get-free-busy-schedule.md: "The time period to look up must be less than 62 days."
    body = dict(DOC_REQUEST, endTime={"dateTime": "2019-05-16T09:00:01", "timeZone": PST})
    assert_graph_error(schedule(graph, body), 400, "ErrorTimeIntervalTooBig")
    body = dict(DOC_REQUEST, endTime={"dateTime": "2019-05-16T09:00:00", "timeZone": PST})  # exactly 62 days
    assert_graph_error(schedule(graph, body), 400, "ErrorTimeIntervalTooBig")
    body = dict(DOC_REQUEST, endTime={"dateTime": "2019-05-16T08:59:59", "timeZone": PST})  # a second less
    assert schedule(graph, body).status_code == 200


def test_end_before_start_and_bad_interval_are_refused(graph: httpx.Client) -> None:
    body = dict(DOC_REQUEST, endTime=DOC_REQUEST["startTime"])
    assert_graph_error(schedule(graph, body), 400, "ErrorInvalidTimeInterval")
    assert schedule(graph, dict(DOC_REQUEST, availabilityViewInterval=4)).status_code == 400
    assert schedule(graph, dict(DOC_REQUEST, availabilityViewInterval=1441)).status_code == 400


def test_recurring_stand_up_blocks_every_occurrence(graph: httpx.Client) -> None:
    # Dana's stand-up: Mon/Wed/Fri 09:00-09:15 Pacific from 30 Nov 2026, no end. Friday 15 Jan 2027 09:00-10:00
    # in 15-minute slots: busy, then free.
    body = {
        "schedules": [DANA],
        "startTime": {"dateTime": "2027-01-15T09:00:00", "timeZone": PST},
        "endTime": {"dateTime": "2027-01-15T10:00:00", "timeZone": PST},
        "availabilityViewInterval": 15,
    }
    info = schedule(graph, body, PREFER_PST).json()["value"][0]
    assert info["availabilityView"] == "2000"
    assert [(i["subject"], i["start"]["dateTime"]) for i in info["scheduleItems"]] == [
        ("Team stand-up", "2027-01-15T09:00:00.0000000")
    ]
    # Thursday has no stand-up.
    thursday = dict(
        body,
        startTime={"dateTime": "2027-01-14T09:00:00", "timeZone": PST},
        endTime={"dateTime": "2027-01-14T10:00:00", "timeZone": PST},
    )
    assert schedule(graph, thursday).json()["value"][0]["availabilityView"] == "0000"


def test_status_digits_and_precedence(graph: httpx.Client, admin: httpx.Client) -> None:
    zone = "UTC"

    def add(subject: str, show_as: str, start: str, end: str) -> None:
        admin.post(
            f"/users/{SAMANTHA}/events",
            json={
                "subject": subject,
                "showAs": show_as,
                "start": {"dateTime": start, "timeZone": zone},
                "end": {"dateTime": end, "timeZone": zone},
            },
        ).raise_for_status()

    add("away", "oof", "2030-01-07T01:00:00", "2030-01-07T02:00:00")
    add("elsewhere", "workingElsewhere", "2030-01-07T02:00:00", "2030-01-07T03:00:00")
    add("maybe", "tentative", "2030-01-07T03:00:00", "2030-01-07T04:00:00")
    add("free", "free", "2030-01-07T04:00:00", "2030-01-07T05:00:00")
    add("busy over oof", "busy", "2030-01-07T01:00:00", "2030-01-07T01:30:00")
    add("tentative over elsewhere", "tentative", "2030-01-07T02:30:00", "2030-01-07T03:00:00")
    body = {
        "schedules": [SAMANTHA],
        "startTime": {"dateTime": "2030-01-07T00:00:00", "timeZone": zone},
        "endTime": {"dateTime": "2030-01-07T06:00:00", "timeZone": zone},
        "availabilityViewInterval": 60,
    }
    info = schedule(graph, body).json()["value"][0]
    # 00 free, 01 oof beats busy, 02 tentative beats workingElsewhere, 03 tentative, 04 free item, 05 nothing.
    assert info["availabilityView"] == "031100"
    assert {i["status"] for i in info["scheduleItems"]} == {"oof", "workingElsewhere", "tentative", "free", "busy"}
