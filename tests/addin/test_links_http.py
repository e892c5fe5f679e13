"""POST /api/links and GET /api/links/{token} through the local host, against the emulator.

Maya (London = UTC in winter) works Mon-Thu 07:30-15:30 with an empty calendar; the day window starts
at 08:00 and the clock is Monday 30 Nov 2026 00:00Z, so her own free times are 08:00-15:30Z on
30 Nov - 3 Dec and 7 - 10 Dec (the 14-day horizon ends before Mon 14 Dec)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx

from services.links import make_link
from tests.conftest import API_NOW, LiveApi

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
ADMIN = "Mentoring.Admin"


def make(live_api: LiveApi, body: Any, upn: str = MAYA, *roles: str) -> httpx.Response:
    return httpx.post(f"{live_api.url}/links", json=body, headers=live_api.auth(upn, *roles), timeout=30)


def test_the_mentor_makes_a_link_with_a_default_week(live_api: LiveApi) -> None:
    answer = make(live_api, {"mentor": "Maya@Contoso.example"})
    assert answer.status_code == 201, answer.text
    link = answer.json()
    assert link["mentor"] == MAYA and link["expires"] == "2026-12-07T00:00:00Z"
    assert link["url"] == f"{live_api.url}/links/{link['token']}"
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", link["token"])
    short = make(live_api, {"mentor": MAYA, "ttlHours": 2, "mentee": RAVI}).json()
    assert short["expires"] == "2026-11-30T02:00:00Z" and short["mentee"] == RAVI


def test_only_the_mentor_or_an_admin_makes_links(live_api: LiveApi) -> None:
    assert httpx.post(f"{live_api.url}/links", json={"mentor": MAYA}).status_code == 401
    assert make(live_api, {"mentor": MAYA}, RAVI).status_code == 403
    assert make(live_api, {"mentor": MAYA}, "ana@contoso.example", ADMIN).status_code == 201
    unknown = make(live_api, {"mentor": "ghost@contoso.example"}, "ana@contoso.example", ADMIN)
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "mentor"
    ghost_mentee = make(live_api, {"mentor": MAYA, "mentee": "ghost@contoso.example"})
    assert ghost_mentee.status_code == 404 and ghost_mentee.json()["error"]["field"] == "mentee"


def test_bad_link_requests_name_the_field(live_api: LiveApi) -> None:
    cases: list[tuple[Any, str]] = [
        ({}, "mentor"),
        ({"mentor": ""}, "mentor"),
        ({"mentor": "maya"}, "mentor"),
        ({"mentor": MAYA, "ttlHours": 0}, "ttlHours"),
        ({"mentor": MAYA, "ttlHours": 2161}, "ttlHours"),
        ({"mentor": MAYA, "ttlHours": "24"}, "ttlHours"),
        ({"mentor": MAYA, "ttlHours": True}, "ttlHours"),
        ({"mentor": MAYA, "ttlHours": 1.5}, "ttlHours"),
        ({"mentor": MAYA, "mentee": MAYA}, "mentee"),
        ({"mentor": MAYA, "colour": "blue"}, "colour"),
        ([MAYA], "body"),
    ]
    for body, field in cases:
        answer = make(live_api, body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["error"]["field"] == field, body


def test_the_link_page_is_anonymous_html_with_the_mentors_times_in_utc(live_api: LiveApi) -> None:
    link = make(live_api, {"mentor": MAYA}).json()
    page = httpx.get(link["url"], timeout=30)  # no Authorization header
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "http" not in csp
    html = page.text
    assert "Maya Lind" in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    starts = re.findall(r'<li data-range><time datetime="([^"]+)">', html)
    ends = re.findall(r'&ndash; <time datetime="([^"]+)">', html)
    days = ["11-30", "12-01", "12-02", "12-03", "12-07", "12-08", "12-09", "12-10"]
    assert starts == [f"2026-{d}T08:00:00Z" for d in days]
    assert ends == [f"2026-{d}T15:30:00Z" for d in days]
    assert "Mon 30 Nov, 08:00</time> &ndash; <time" in html  # readable without script, in UTC
    assert 'href="../addin/taskpane.html?mentor=maya%40contoso.example"' in html
    assert page.headers.get("set-cookie") is None


def test_changed_and_expired_links_get_a_plain_page(live_api: LiveApi) -> None:
    token = make(live_api, {"mentor": MAYA}).json()["token"]
    changed = token[:-3] + ("x" if token[-3] != "x" else "y") + token[-2:]
    refused = httpx.get(f"{live_api.url}/links/{changed}")
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("text/html")
    assert "<h1>This link was changed</h1>" in refused.text and "maya" not in refused.text.lower()
    assert httpx.get(f"{live_api.url}/links/not-a-link").status_code == 400

    secret = live_api.runtime.settings.link_secret
    expired = make_link(MAYA, secret=secret, now=API_NOW - timedelta(hours=2), ttl=timedelta(hours=1))
    gone = httpx.get(f"{live_api.url}/links/{expired}")
    assert gone.status_code == 410 and "<h1>This link has expired</h1>" in gone.text
    assert "expired on 29 November 2026 at 23:00 UTC" in gone.text and f"Ask {MAYA} for a new one" in gone.text


def test_the_page_escapes_what_the_directory_says(live_api: LiveApi) -> None:
    live_api.admin.post(
        "/users",
        {
            "userPrincipalName": "odd@contoso.example",
            "displayName": '<script>alert("x")</script> & "Co"',
            "mailboxSettings": {"timeZone": "UTC"},
        },
    )
    token = make_link("odd@contoso.example", secret=live_api.runtime.settings.link_secret, now=API_NOW)
    page = httpx.get(f"{live_api.url}/links/{token}", timeout=30)
    assert page.status_code == 200, page.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Co&quot;" in page.text
    assert '<script>alert("x")' not in page.text


def test_a_link_to_a_removed_mentor_or_with_graph_down(live_api: LiveApi) -> None:
    secret = live_api.runtime.settings.link_secret
    ghost = make_link("ghost@contoso.example", secret=secret, now=API_NOW)
    answer = httpx.get(f"{live_api.url}/links/{ghost}", timeout=30)
    assert answer.status_code == 404 and "This mentor is not available" in answer.text

    # A link without a mentee reads only the mentor's calendar (calendarView): no getSchedule.
    live_api.admin.fault(method="GET", path="/calendarView", status=503, retryAfter=0)
    token = make_link(MAYA, secret=secret, now=API_NOW)
    down = httpx.get(f"{live_api.url}/links/{token}", timeout=60)
    assert down.status_code == 503 and down.headers["retry-after"] and "try again" in down.text


def test_the_page_reads_the_calendar_once_a_minute_however_often_it_is_opened(live_api: LiveApi) -> None:
    def schedules() -> int:  # the mentor's calendar: a link without a mentee sends no getSchedule
        return sum(1 for e in live_api.admin.requests()["requests"] if "calendarView" in e["path"])

    url = make(live_api, {"mentor": MAYA}).json()["url"]
    assert httpx.get(url, timeout=30).status_code == 200
    first = schedules()
    assert first >= 1
    for _ in range(3):
        assert httpx.get(url, timeout=30).status_code == 200
    assert schedules() == first
