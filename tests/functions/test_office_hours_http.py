"""Office hours end to end through the local host and the emulator: an admin sets them for Maya, the
slot search, the link page and a booking follow them, and windows that cannot work are a 422.

Maya (Europe/London = UTC in winter) works Mon-Thu 07:30-15:30 with an empty calendar; Ravi's day
(India) runs 04:30-12:30Z. The clock is Monday 30 Nov 2026 00:00Z, notice 2 h, horizon 14 days (to
Mon 14 Dec). Office hours Tue 10:00-11:00 and Thu 14:00-15:00 London:
- Maya alone (the link page): 1 Dec 10-11, 3 Dec 14-15, 8 Dec 10-11, 10 Dec 14-15.
- Maya and Ravi: Thursday's window is after Ravi's day, so Tuesdays only, 10:00-10:45 starts.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import LiveApi

MAYA, RAVI, LENA = "maya@contoso.example", "ravi@contoso.example", "lena@contoso.example"
ADMIN = "Mentoring.Admin"
TUE = {"day": "tuesday", "start": "10:00", "end": "11:00"}
THU = {"day": "thursday", "start": "14:00", "end": "15:00"}
NOTE = "offers office hours only: Tue 10:00\N{EN DASH}11:00; Thu 14:00\N{EN DASH}15:00 (Europe/London)"


def put_policy(live_api: LiveApi, body: Any) -> httpx.Response:
    return httpx.put(f"{live_api.url}/admin/policy", json=body, headers=live_api.auth(LENA, ADMIN), timeout=30)


def office_hours(live_api: LiveApi, *windows: dict[str, str]) -> httpx.Response:
    return put_policy(live_api, {"overrides": {MAYA: {"office_hours": list(windows)}}})


def test_windows_that_cannot_work_are_a_422_naming_the_window(live_api: LiveApi) -> None:
    overlapping = office_hours(live_api, TUE, {"day": "tuesday", "start": "10:30", "end": "11:30"})
    assert overlapping.status_code == 422, overlapping.text
    error = overlapping.json()["error"]
    assert error["field"] == f"overrides.{MAYA}.office_hours[1]" and error["code"] == "unprocessable"
    early = office_hours(live_api, {"day": "monday", "start": "07:00", "end": "08:30"})  # day window 08:00
    assert early.status_code == 422 and early.json()["error"]["field"] == f"overrides.{MAYA}.office_hours[0]"
    weekday = office_hours(live_api, TUE, {"day": "someday", "start": "10:00", "end": "11:00"})
    assert weekday.status_code == 422 and weekday.json()["error"]["field"] == f"overrides.{MAYA}.office_hours[1].day"
    backwards = office_hours(live_api, {"day": "friday", "start": "11:00", "end": "10:00"})
    assert backwards.status_code == 422
    assert backwards.json()["error"]["field"] == f"overrides.{MAYA}.office_hours[0].end"
    # Nothing was saved.
    assert httpx.get(f"{live_api.url}/admin/policy", headers=live_api.auth(LENA, ADMIN)).json()["version"] == 0


def test_search_link_page_and_booking_follow_the_office_hours(live_api: LiveApi) -> None:
    saved = office_hours(live_api, TUE, THU)
    assert saved.status_code == 200, saved.text

    found = live_api.client.get("/slots", params={"mentor": MAYA, "mentee": RAVI, "limit": 100})
    assert found.status_code == 200, found.text
    assert found.json()["officeHours"] == NOTE
    starts = sorted(slot["start"] for slot in found.json()["slots"])
    assert starts == [f"2026-12-{d}T10:{m}:00Z" for d in ("01", "08") for m in ("00", "15", "30", "45")]

    link = live_api.client.post("/links", json={"mentor": MAYA}).json()
    html = httpx.get(link["url"], timeout=30).text
    assert f"Maya {NOTE}." in html
    ranges = re.findall(r'<li data-range><time datetime="([^"]+)">[^<]*</time> &ndash; <time datetime="([^"]+)">', html)
    assert ranges == [
        ("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"),
        ("2026-12-03T14:00:00Z", "2026-12-03T15:00:00Z"),
        ("2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z"),
        ("2026-12-10T14:00:00Z", "2026-12-10T15:00:00Z"),
    ]

    def book(start: str) -> httpx.Response:
        body = {"mentor": MAYA, "mentees": [RAVI], "start": start, "question": "How do I scope a spike?"}
        return httpx.post(f"{live_api.url}/sessions", json=body, headers=live_api.auth(RAVI), timeout=60)

    outside = book("2026-11-30T09:00:00Z")  # Monday: inside everyone's hours, not office hours
    assert outside.status_code == 422, outside.text
    assert outside.json()["error"]["field"] == "office_hours"
    assert "office hours: Tue 10:00" in outside.json()["error"]["message"]
    inside = book("2026-12-01T10:15:00Z")
    assert inside.status_code in (200, 201), inside.text


def test_without_office_hours_there_is_no_note(live_api: LiveApi) -> None:
    found = live_api.client.get("/slots", params={"mentor": MAYA, "mentee": RAVI})
    assert found.status_code == 200 and "officeHours" not in found.json()


def test_a_mentor_sets_their_own_office_hours_keeping_the_rest_of_the_policy(live_api: LiveApi) -> None:
    route = f"{live_api.url}/mentors/{MAYA}/office-hours"
    assert put_policy(live_api, {"buffer_minutes": 10, "overrides": {MAYA: {"max_sessions_per_week": 3}}}).is_success

    mine = httpx.put(route, json={"officeHours": [TUE, THU]}, headers=live_api.auth(MAYA), timeout=30)
    assert mine.status_code == 200, mine.text
    assert mine.json() == {"mentor": MAYA, "officeHours": [TUE, THU]}
    saved = httpx.get(f"{live_api.url}/admin/policy", headers=live_api.auth(LENA, ADMIN)).json()
    assert saved["version"] == 2 and saved["policy"]["buffer_minutes"] == 10
    assert saved["policy"]["overrides"][MAYA] == {"max_sessions_per_week": 3, "office_hours": [TUE, THU]}
    assert saved["changedBy"].startswith(MAYA)

    assert httpx.put(route, json={"officeHours": [TUE]}, headers=live_api.auth(RAVI), timeout=30).status_code == 403
    clash = httpx.put(
        route, json={"officeHours": [TUE, {**TUE, "start": "10:30", "end": "11:30"}]}, headers=live_api.auth(MAYA)
    )
    assert clash.status_code == 422 and clash.json()["error"]["field"] == f"overrides.{MAYA}.office_hours[1]"
    cleared = httpx.put(route, json={"officeHours": []}, headers=live_api.auth(MAYA), timeout=30)
    assert cleared.json()["officeHours"] == []
    assert httpx.get(route, headers=live_api.auth(MAYA)).json()["officeHours"] == []
    final = httpx.get(f"{live_api.url}/admin/policy", headers=live_api.auth(LENA, ADMIN)).json()
    assert final["policy"]["overrides"][MAYA] == {"max_sessions_per_week": 3}
