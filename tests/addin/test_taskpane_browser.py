"""The task pane and the booking-link page in headless Chromium, against the live local host and the
Graph emulator, with Office.js and MSAL.js replaced by test doubles (tests/addin/conftest.py).

The viewer is Ravi in Bengaluru: the browser runs in Asia/Kolkata (UTC+05:30 all year, no DST) with
the en-GB locale (24-hour clock). Maya (mentor, London = UTC in winter) and Ravi share Mon-Thu
08:00-12:30Z, which Ravi reads as 13:30-18:00. Maya alone is free Mon-Thu 08:00-15:30Z (13:30-21:00
in Kolkata); the live API's clock is Monday 30 Nov 2026 00:00Z.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.links import make_link
from tests.addin.conftest import Network, msal_stub, office_stub
from tests.conftest import API_NOW, LiveApi

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
KOLKATA = timedelta(hours=5, minutes=30)
DASH = "\u2013"  # the en dash between two times
WAIT_MS = 20_000


def bearer(live_api: LiveApi, upn: str) -> str:
    return live_api.auth(upn)["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(timezone_id="Asia/Kolkata", locale="en-GB", viewport={"width": 380, "height": 860})
    try:
        yield ctx
    finally:
        ctx.close()


def save_screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    shutil.copyfile(path, Path("/tmp") / name)  # for a person to look at after the run
    print(f"screenshot: {path} (copied to /tmp/{name})")
    return path


def console_errors(page: Any) -> list[str]:
    """Script errors and Content-Security-Policy refusals; not the note Chromium logs for a 4xx page."""
    errors: list[str] = []

    def record(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_taskpane_lists_times_in_the_viewers_zone_and_books_one(
    live_api: LiveApi, context: Any, tmp_path: Path
) -> None:
    token = bearer(live_api, RAVI)
    network = Network(
        context,
        office=office_stub(upn=RAVI, token=token, nested=True, sender=MAYA),
        msal=msal_stub(upn=RAVI, token=token),
    )
    page = context.new_page()
    errors = console_errors(page)
    page.goto(f"{live_api.url}/addin/taskpane.html")

    # A locator, not wait_for_function: its polling evaluates a string, which the page's CSP forbids.
    page.locator("#account", has_text="ravi@").wait_for(timeout=WAIT_MS)
    assert page.text_content("#account") == f"Signed in as {RAVI}"
    assert page.input_value("#mentor") == MAYA  # the sender of the message being read
    msal = page.evaluate("window.__msal")
    assert msal["config"]["auth"]["clientId"] == live_api.runtime.settings.graph.client_id  # type: ignore[union-attr]
    assert msal["scopes"] == ["api://micromentor/access_as_user"]
    assert page.evaluate("window.__officeSso") == 0  # nested app authentication, not the fallback

    page.fill("#topic", "Negotiation")
    page.fill("#question", "How do I open a salary negotiation without anchoring too low?")
    page.click("#find")
    page.wait_for_selector("label.slot", timeout=WAIT_MS)

    slots = page.query_selector_all("label.slot time")
    assert len(slots) == 5
    starts = []
    for node in slots:
        start = datetime.fromisoformat(node.get_attribute("datetime").replace("Z", "+00:00"))
        starts.append(start)
        # Shared time is Mon-Thu 08:00-12:30Z; a 15-minute session ends by 12:30Z.
        assert start.weekday() <= 3 and (8, 0) <= (start.hour, start.minute) <= (12, 15), start
        local_start, local_end = start + KOLKATA, start + timedelta(minutes=15) + KOLKATA
        expected = f"{local_start:%a} {local_start.day} {local_start:%b}, {local_start:%H:%M} {DASH} {local_end:%H:%M}"
        assert node.text_content() == expected
    assert starts == sorted(starts)
    assert page.text_content("#zone") == "Times are in India Standard Time."
    save_screenshot(page, tmp_path, "taskpane.png")
    for width in (450, 320):  # Outlook's task pane widths: nothing may scroll sideways
        page.set_viewport_size({"width": width, "height": 860})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, tmp_path, "taskpane-320.png")

    page.check("label.slot >> nth=0")
    page.click("#book")
    page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    chosen = starts[0]
    local = chosen + KOLKATA
    assert page.text_content("#done-when") == (
        f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {DASH} {local + timedelta(minutes=15):%H:%M} with {MAYA}."
    )
    join = page.get_attribute("#join", "href") or ""
    assert join.startswith("https://")
    save_screenshot(page, tmp_path, "taskpane-booked.png")

    [session] = live_api.runtime.store.list_sessions(mentor=MAYA)
    assert session.start == chosen and session.mentees == (RAVI,) and session.event_id
    assert session.join_url == join and session.topic == "Negotiation"
    assert session.question == "How do I open a salary negotiation without anchoring too low?"
    state = live_api.admin.get("/state")
    [maya] = [u for u in state["users"] if u["userPrincipalName"] == MAYA]
    [event] = [e for e in maya["events"] if e["id"] == session.event_id]
    assert event["start"]["dateTime"].startswith(f"{chosen:%Y-%m-%dT%H:%M}") and event["start"]["timeZone"] == "UTC"
    assert [a["emailAddress"]["address"] for a in event["attendees"]] == [RAVI]
    assert network.external == [] and errors == []


def test_taskpane_falls_back_to_office_sso_and_shows_the_apis_error(live_api: LiveApi, context: Any) -> None:
    token = bearer(live_api, RAVI)
    network = Network(
        context,
        office=office_stub(upn=RAVI, token=token, nested=False, sender=None),
        msal=msal_stub(upn=RAVI, token=token),
    )
    page = context.new_page()
    page.goto(f"{live_api.url}/addin/taskpane.html?mentor=ghost%40contoso.example")
    # A locator, not wait_for_function: its polling evaluates a string, which the page's CSP forbids.
    page.locator("#account", has_text="ravi@").wait_for(timeout=WAIT_MS)
    assert page.evaluate("window.__officeSso") >= 1 and page.evaluate("window.__msal.config") is None
    assert page.input_value("#mentor") == "ghost@contoso.example"  # from the URL, as a booking link sends it
    page.click("#find")
    page.wait_for_selector("#mentor-error:not([hidden])", timeout=WAIT_MS)
    assert page.text_content("#mentor-error") == "Unknown user ghost@contoso.example"
    assert page.get_attribute("#mentor", "aria-invalid") == "true"

    page.fill("#mentor", "ravi@contoso.example")
    page.click("#find")
    assert page.text_content("#mentor-error") == "That is you: enter your mentor's address."
    assert network.external == []


def test_taskpane_outside_outlook_signs_in_with_a_popup_after_a_click(live_api: LiveApi, context: Any) -> None:
    token = bearer(live_api, RAVI)
    Network(context, office=None, msal=msal_stub(upn=RAVI, token=token, silent=False))  # the CDN is unreachable
    page = context.new_page()
    page.goto(f"{live_api.url}/addin/taskpane.html")
    page.wait_for_selector("#sign-in:not([hidden])", timeout=WAIT_MS)
    assert page.is_disabled("#find")
    config = page.evaluate("window.__msal.config")
    assert config["auth"]["redirectUri"] == f"{live_api.url}/addin/auth-redirect.html"
    page.click("#sign-in")
    # A locator, not wait_for_function: its polling evaluates a string, which the page's CSP forbids.
    page.locator("#account", has_text="ravi@").wait_for(timeout=WAIT_MS)
    assert page.evaluate("window.__msal.popups") == 1 and not page.is_disabled("#find")


def test_link_page_lists_the_mentors_times_and_refuses_changed_or_expired_links(
    live_api: LiveApi, context: Any, tmp_path: Path
) -> None:
    Network(context, office=None, msal=None)
    made = live_api.client.post("/links", json={"mentor": MAYA, "ttlHours": 48})
    assert made.status_code == 201, made.text
    link = made.json()
    page = context.new_page()
    errors = console_errors(page)  # a script or style blocked by the page's CSP would show here

    answer = page.goto(link["url"])
    assert answer is not None and answer.status == 200
    assert page.text_content("h1") == "Book a 15-minute mentoring session with Maya Lind"
    ranges = [" ".join((item.text_content() or "").split()) for item in page.query_selector_all("li[data-range]")]
    # Mon-Thu 08:00-15:30Z of two weeks, read in Kolkata: 13:30-21:00.
    assert ranges == [
        f"{day}, 13:30 {DASH} 21:00"
        for day in (
            "Mon 30 Nov",
            "Tue 1 Dec",
            "Wed 2 Dec",
            "Thu 3 Dec",
            "Mon 7 Dec",
            "Tue 8 Dec",
            "Wed 9 Dec",
            "Thu 10 Dec",
        )
    ]
    assert page.text_content("#zone") == "Times are shown in your time zone (India Standard Time)."
    book = page.get_attribute("a.button", "href")
    assert page.evaluate("document.querySelector('a.button').href") == (
        f"{live_api.url}/addin/taskpane.html?mentor=maya%40contoso.example"
    ), book
    expiry = page.text_content("p.note:last-of-type") or ""  # 2 Dec 00:00Z is 05:30 in Kolkata
    assert expiry.startswith("This link expires on Wednesday") and "2 December 2026" in expiry and "05:30" in expiry
    save_screenshot(page, tmp_path, "link-page.png")

    token = link["token"]
    middle = len(token) // 2
    changed = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    answer = page.goto(f"{live_api.url}/links/{changed}")
    assert answer is not None and answer.status == 400
    assert page.text_content("h1") == "This link was changed"
    assert "Maya" not in (page.content())

    secret = live_api.runtime.settings.link_secret
    expired = make_link(MAYA, secret=secret, now=API_NOW - timedelta(days=3), ttl=timedelta(days=1))
    answer = page.goto(f"{live_api.url}/links/{expired}")
    assert answer is not None and answer.status == 410
    assert page.text_content("h1") == "This link has expired"
    assert "expired on 28 November 2026 at 00:00 UTC" in (page.text_content("main") or "")
    assert errors == []
    assert datetime.fromisoformat(link["expires"].replace("Z", "+00:00")) == datetime(2026, 12, 2, tzinfo=UTC)


SITA = "sita@contoso.example"
QUESTION = "How do I open a salary negotiation without anchoring too low?"


@pytest.fixture
def catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Maya and Sita list negotiation; Ana does not; Ravi (the viewer) does, and is never offered himself."""
    path = tmp_path / "mentors.json"
    path.write_text(
        json.dumps(
            [
                {"upn": MAYA, "skills": ["Negotiation", "Giving feedback"]},
                {"upn": SITA, "skills": ["Salary negotiation"]},
                {"upn": "ana@contoso.example", "skills": ["Public speaking"]},
                {"upn": RAVI, "skills": ["Negotiation"]},
            ]
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("MICROMENTOR_MENTORS_FILE", str(path))
    return path


def assert_fits(page: Any, width: int, selectors: tuple[str, ...]) -> None:
    """No sideways scroll, and each control lies inside the pane's width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


def signed_in_at_320(live_api: LiveApi, context: Any) -> tuple[Any, list[str]]:
    token = bearer(live_api, RAVI)
    Network(
        context,
        office=office_stub(upn=RAVI, token=token, nested=True, sender=None),
        msal=msal_stub(upn=RAVI, token=token),
    )
    page = context.new_page()
    errors = console_errors(page)
    page.set_viewport_size({"width": 320, "height": 860})
    page.goto(f"{live_api.url}/addin/taskpane.html")
    page.locator("#account", has_text="ravi@").wait_for(timeout=WAIT_MS)
    return page, errors


def test_taskpane_finds_a_mentor_by_skill_books_30_minutes_and_saves_the_checklist_at_320px(
    live_api: LiveApi, context: Any, catalogue: Path, tmp_path: Path
) -> None:
    page, errors = signed_in_at_320(live_api, context)
    assert [o.get_attribute("value") for o in page.query_selector_all("#minutes option")] == ["15", "20", "30"]
    page.fill("#skill-search", "negot")  # "negot" is inside "Negotiation" and "Salary negotiation"
    page.locator(".mentor-option").nth(1).wait_for(timeout=WAIT_MS)
    names = [" ".join((n.text_content() or "").split()) for n in page.query_selector_all(".mentor-option")]
    assert names == [
        f"Maya Lind ({MAYA})negotiation, giving feedback",
        f"Sita Thapa ({SITA})salary negotiation",
    ]
    page.check(f".mentor-option input[value='{MAYA}']")
    assert page.input_value("#mentor") == MAYA and page.is_hidden("#onboard")
    page.select_option("#minutes", "30")
    page.fill("#question", QUESTION)
    page.click("#find")
    page.wait_for_selector("label.slot", timeout=WAIT_MS)
    lengths = {n.text_content() for n in page.query_selector_all("label.slot .slot-why")}
    assert lengths == {"30 minutes on Teams"}
    assert_fits(page, 320, ("#skill-search", "#minutes", "#find", "#book", "label.slot >> nth=0"))
    save_screenshot(page, tmp_path, "taskpane-skill-320.png")

    page.check("label.slot >> nth=0")
    page.click("#book")
    page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    page.locator("#checklist-title", has_text="Checklist for").wait_for(timeout=WAIT_MS)
    from playwright.sync_api import expect  # here: the module is collected (and skipped) without playwright

    expect(page.locator("#cl-question")).to_have_value(QUESTION, timeout=WAIT_MS)  # the booking's question
    [session] = live_api.runtime.store.list_sessions(mentor=MAYA)
    assert session.minutes == 30

    page.fill("#cl-option1", "Name a range first")
    page.fill("#cl-option2", "Ask for their budget")
    page.fill("#cl-nextStep", "Write my walk-away number")
    page.fill("#cl-successIndicator", "An offer inside my range by Friday")
    page.click("#save-checklist")
    page.locator("#checklist-status", has_text="Checklist saved.").wait_for(timeout=WAIT_MS)
    saved = live_api.runtime.store.get_checklist(session.id)
    assert saved is not None and saved.version == 1 and saved.updated_by == RAVI
    assert saved.options == ("Name a range first", "Ask for their budget")
    assert saved.next_step == "Write my walk-away number"
    assert saved.success_indicator == "An offer inside my range by Friday"
    assert_fits(page, 320, ("#cl-question", "#cl-option3", "#cl-successIndicator", "#save-checklist", "#again"))
    save_screenshot(page, tmp_path, "taskpane-checklist-320.png")
    assert errors == []


def test_taskpane_books_an_onboarding_set_of_two_mentors_at_320px(
    live_api: LiveApi, context: Any, catalogue: Path
) -> None:
    page, errors = signed_in_at_320(live_api, context)
    page.fill("#skill-search", "negotiation")
    page.locator(".mentor-option").nth(1).wait_for(timeout=WAIT_MS)
    page.check(f".mentor-option input[value='{MAYA}']")
    page.check(f".mentor-option input[value='{SITA}']")
    assert page.text_content("#onboard") == "Book an onboarding set with 2 mentors"
    assert_fits(page, 320, ("#onboard", ".mentor-option >> nth=1"))
    page.fill("#topic", "Negotiation")
    page.fill("#question", QUESTION)
    page.click("#onboard")
    page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    assert len(page.query_selector_all("#done-list li")) == 2
    store = live_api.runtime.store
    booked = [s for s in store.list_sessions() if s.state.value == "scheduled"]
    assert sorted(s.mentor for s in booked) == [MAYA, SITA]
    assert all(s.mentees == (RAVI,) and s.minutes == 15 and s.question == QUESTION for s in booked)
    assert errors == []
