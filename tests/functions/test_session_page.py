"""The session page through the local host, against the emulator: the invitation's per-attendee links,
the page's agenda and local times, the checklist save (and its refusals), cancel and move.

Maya (mentor, Europe/London = UTC in winter) and Ravi (mentee, India Standard Time = UTC+05:30) share
Mon-Thu 08:00-12:30Z; the API's clock is Monday 30 Nov 2026 00:00Z. The session is booked for
Tue 1 Dec 09:00-09:15Z: a 15-minute plan is 2-10-3, so Maya reads 09:00-09:02 / 09:02-09:12 /
09:12-09:15 and Ravi 14:30-14:32 / 14:32-14:42 / 14:42-14:45. Links expire 30 days after the end:
31 Dec 09:15Z.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.links import make_link
from services.session_links import make_session_link, read_session_link
from tests.conftest import API_NOW, LiveApi

MAYA, RAVI, ANA = "maya@contoso.example", "ravi@contoso.example", "ana@contoso.example"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
QUESTION = "How do I open a salary negotiation without anchoring too low?"
D = "\u2013"  # the en dash between two times
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def book(live_api: LiveApi, start: datetime = START) -> dict[str, Any]:
    body = {"mentor": MAYA, "mentees": [RAVI], "start": start.isoformat(), "question": QUESTION, "topic": "Pay"}
    answer = live_api.client.post("/sessions", json=body)
    assert answer.status_code == 201, answer.text
    session: dict[str, Any] = answer.json()
    return session


def invitation_body(live_api: LiveApi, event_id: str) -> str:
    state = live_api.admin.get("/state")
    [maya] = [u for u in state["users"] if u["userPrincipalName"] == MAYA]
    [event] = [e for e in maya["events"] if e["id"] == event_id]
    body: str = event["body"]["content"]
    return body


def session_page_tokens(text: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"/api/session-page/([^\"<\s]+)", text)]


def mailed_links(live_api: LiveApi, session_id: str) -> dict[str, str]:
    """Each attendee's session-page link, from the one e-mail sent to them (by recipient)."""
    secret = live_api.runtime.settings.link_secret
    links: dict[str, str] = {}
    for mail in live_api.admin.get("/mail")["value"]:
        found = session_page_tokens(mail["body"]["content"])
        if not found or read_session_link(found[0], secret=secret, now=API_NOW).session_id != session_id:
            continue
        [to] = [r["emailAddress"]["address"] for r in mail["toRecipients"]]
        assert to not in links, f"{to} was mailed twice"
        [token] = found
        links[to] = f"{live_api.url}/session-page/{token}"
    return links


def page(url: str, form: dict[str, Any] | None = None) -> httpx.Response:
    if form is None:
        return httpx.get(url, timeout=60)
    return httpx.post(url, data=form, headers=FORM, timeout=60, follow_redirects=False)


def text_of(answer: httpx.Response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", answer.text))


@pytest.fixture
def booked(live_api: LiveApi) -> tuple[dict[str, Any], dict[str, str]]:
    session = book(live_api)
    return session, mailed_links(live_api, session["id"])


def test_each_attendee_is_mailed_their_own_link_and_the_invitation_holds_none(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]]
) -> None:
    """One Graph event body is the same for every attendee (and every forward): it holds no link; each
    person's mail holds exactly one link, and it is that person's."""
    session, links = booked
    body = invitation_body(live_api, session["eventId"])
    assert "/api/sessions/" not in body  # the old link to the bearer-token API route is gone
    assert session_page_tokens(body) == []
    assert "in a separate e-mail" in body
    assert sorted(links) == [MAYA, RAVI]
    secret = live_api.runtime.settings.link_secret
    for person, url in links.items():
        claims = read_session_link(url.rsplit("/", 1)[1], secret=secret, now=API_NOW)
        assert claims.session_id == session["id"] and claims.person == person
        assert claims.expires == datetime(2026, 12, 31, 9, 15, tzinfo=UTC)



def test_the_page_shows_agenda_local_times_and_join_link(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]]
) -> None:
    session, links = booked
    answer = page(ravi_link(links))
    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "form-action 'self'" in answer.headers["Content-Security-Policy"]
    text = text_of(answer)
    assert "Micro mentoring: Pay" in text and QUESTION in text
    assert f"Plan: 2{D}10{D}3 (15 minutes)" in text
    assert (
        "Maya Lind, mentor, Europe/London: "
        f"Tue 01 Dec: 09:00{D}09:02 Context · 09:02{D}09:12 Work · 09:12{D}09:15 Next steps"
        in text
    )
    assert "Ravi Menon (you), mentee, Asia/Calcutta" in text or "Ravi Menon (you), mentee, Asia/Kolkata" in text
    assert f"Tue 01 Dec: 14:30{D}14:32 Context · 14:32{D}14:42 Work · 14:42{D}14:45 Next steps" in text
    assert f'href="{html.escape(session["joinUrl"])}"' in answer.text
    # The checklist starts with the question asked at booking, at version 0.
    assert f">{html.escape(QUESTION)}</textarea>" in answer.text
    assert '<input type="hidden" name="version" value="0">' in answer.text


def ravi_link(links: dict[str, str]) -> str:
    for url in links.values():
        if read_session_link(url.rsplit("/", 1)[1], secret="change-me", now=API_NOW).person == RAVI:
            return url
    raise AssertionError("no link for Ravi")


def maya_link(links: dict[str, str]) -> str:
    for url in links.values():
        if read_session_link(url.rsplit("/", 1)[1], secret="change-me", now=API_NOW).person == MAYA:
            return url
    raise AssertionError("no link for Maya")


def checklist_form(based_on: int, **fields: str) -> dict[str, str]:
    form = {
        "do": "checklist",
        "version": str(based_on),
        "question": QUESTION,
        "option1": "Name a range first",
        "option2": "Ask for their budget",
        "option3": "",
        "next_step": "Write my walk-away number",
        "success_indicator": "An offer inside my range by Friday",
    }
    form.update(fields)
    return form


def test_the_checklist_saves_keeps_the_last_and_refuses_a_stale_save(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]]
) -> None:
    session, links = booked
    store = live_api.runtime.store
    first = page(ravi_link(links), checklist_form(0))
    assert first.status_code == 200 and "Checklist saved." in first.text
    saved = store.get_checklist(session["id"])
    assert saved is not None and saved.version == 1 and saved.updated_by == RAVI
    assert saved.options == ("Name a range first", "Ask for their budget")  # the empty third box is dropped
    assert saved.next_step == "Write my walk-away number"

    # Maya saves on version 1: kept whole, the last save wins.
    second = page(maya_link(links), checklist_form(1, next_step="Ask HR for the band", option3="Wait for an offer"))
    assert second.status_code == 200
    saved = store.get_checklist(session["id"])
    assert saved is not None and saved.version == 2 and saved.updated_by == MAYA
    assert saved.next_step == "Ask HR for the band" and len(saved.options) == 3

    # Ravi's form was loaded at version 1: his save is refused, both texts are on the page, nothing lost.
    stale = page(ravi_link(links), checklist_form(1, next_step="Practise the opening line"))
    assert stale.status_code == 409
    text = text_of(stale)
    assert "saved the checklist while you were editing it" in text
    assert "Ask HR for the band" in text  # theirs
    assert 'value="Practise the opening line"' in stale.text  # mine, still in the form
    assert '<input type="hidden" name="version" value="2">' in stale.text  # saving again is a choice
    saved = store.get_checklist(session["id"])
    assert saved is not None and saved.next_step == "Ask HR for the band"


@pytest.mark.parametrize(
    ("changes", "field", "box"),
    [
        ({"next_step": "x" * 301}, "next_step", "next_step"),
        ({"success_indicator": "y" * 201}, "success_indicator", "success_indicator"),
        ({"option2": "z" * 201}, "options[1]", "option2"),
        ({"question": "q" * 301}, "question", "question"),
        ({"version": "one"}, "version", None),
    ],
)
def test_a_checklist_field_over_its_limit_is_named(
    live_api: LiveApi,
    booked: tuple[dict[str, Any], dict[str, str]],
    changes: dict[str, str],
    field: str,
    box: str | None,
) -> None:
    session, links = booked
    answer = page(ravi_link(links), checklist_form(0, **changes))
    assert answer.status_code == 400
    assert f"The checklist was not saved: {field}:" in text_of(answer)
    if box is not None:
        assert f'id="{box}-error"' in answer.text
        assert re.search(rf'id="{box}"[^>]*aria-invalid="true"', answer.text)
    assert live_api.runtime.store.get_checklist(session["id"]) is None


def test_refused_links_are_pages_with_their_status(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]]
) -> None:
    session, links = booked
    url = ravi_link(links)
    token = url.rsplit("/", 1)[1]
    middle = len(token) // 2
    changed = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    tampered = page(f"{live_api.url}/session-page/{changed}")
    assert tampered.status_code == 400 and "This link was changed" in tampered.text
    assert QUESTION not in tampered.text
    assert page(f"{live_api.url}/session-page/{changed}", checklist_form(0)).status_code == 400
    assert live_api.runtime.store.get_checklist(session["id"]) is None

    secret = live_api.runtime.settings.link_secret
    old = make_session_link(session["id"], RAVI, secret=secret, expires=API_NOW - timedelta(days=1))
    expired = page(f"{live_api.url}/session-page/{old}")
    assert expired.status_code == 410 and "expired on 29 November 2026 at 00:00 UTC" in expired.text

    ghost = make_session_link("no-such-session", RAVI, secret=secret, expires=API_NOW + timedelta(days=1))
    assert page(f"{live_api.url}/session-page/{ghost}").status_code == 404
    stranger = make_session_link(session["id"], ANA, secret=secret, expires=API_NOW + timedelta(days=1))
    assert page(f"{live_api.url}/session-page/{stranger}").status_code == 404
    # A booking link is signed with the same secret but is not a session link.
    booking = make_link(MAYA, secret=secret, now=API_NOW)
    assert page(f"{live_api.url}/session-page/{booking}").status_code == 400


def test_cancel_needs_the_tick_and_cancels_through_the_cancel_path(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]]
) -> None:
    session, links = booked
    unticked = page(ravi_link(links), {"do": "cancel"})
    assert unticked.status_code == 400 and "confirm:" in text_of(unticked)
    assert live_api.runtime.store.get_session(session["id"]).state.value == "scheduled"  # type: ignore[union-attr]
    done = page(ravi_link(links), {"do": "cancel", "confirm": "yes"})
    assert done.status_code == 200 and "This session was cancelled." in text_of(done)
    stored = live_api.runtime.store.get_session(session["id"])
    assert stored is not None and stored.state.value == "cancelled" and stored.state_reason == "cancelled_by_request"
    state = live_api.admin.get("/state")
    [maya] = [u for u in state["users"] if u["userPrincipalName"] == MAYA]
    assert not [e for e in maya["events"] if e["id"] == session["eventId"] and not e.get("isCancelled")]
    assert 'data-form="cancel"' not in done.text and 'data-form="move"' not in done.text


def test_move_books_the_new_time_carries_the_checklist_and_cancels_the_old(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]]
) -> None:
    session, links = booked
    url = ravi_link(links)
    shown = page(url)
    offered = re.findall(r'name="start" value="([^"]+)"', shown.text)
    assert 1 <= len(offered) <= 6 and "2026-12-01T09:00:00Z" not in offered
    assert page(url, checklist_form(0)).status_code == 200
    new_start = offered[-1]
    moved = page(url, {"do": "move", "start": new_start})
    assert moved.status_code == 303
    new_page = httpx.get(f"{live_api.url}/session-page/{moved.headers['Location']}", timeout=60)
    assert new_page.status_code == 200 and "Write my walk-away number" in new_page.text
    store = live_api.runtime.store
    old = store.get_session(session["id"])
    assert old is not None and old.state.value == "cancelled"
    [new] = [s for s in store.list_sessions(mentor=MAYA) if s.state.value == "scheduled"]
    assert new.start == datetime.fromisoformat(new_start.replace("Z", "+00:00")) and new.mentees == (RAVI,)
    assert new.question == QUESTION and new.topic == "Pay" and new.event_id
    carried = store.get_checklist(new.id)
    assert carried is not None and carried.next_step == "Write my walk-away number"
    # Moving the cancelled one again is refused, as a page.
    again = page(url, {"do": "move", "start": new_start})
    assert again.status_code == 409
    # Each old link now says where the session went and opens its owner's page of the new session.
    secret = live_api.runtime.settings.link_secret
    for person, old_url in ((RAVI, url), (MAYA, maya_link(links))):
        old_page = page(old_url)
        assert old_page.status_code == 200
        assert "This session was moved to" in text_of(old_page) and "was cancelled" not in text_of(old_page)
        assert f'<time datetime="{new_start}" data-moment>' in old_page.text
        [token] = re.findall(r'id="moved" href="([^"]+)"', old_page.text)
        claims = read_session_link(html.unescape(token), secret=secret, now=API_NOW)
        assert (claims.session_id, claims.person) == (new.id, person)
    # The new session's links went to each person alone, by mail.
    assert sorted(mailed_links(live_api, new.id)) == [MAYA, RAVI]


def test_a_move_the_policy_forbids_is_a_422_page_naming_the_rule(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]]
) -> None:
    session, links = booked
    # Sat 5 Dec: Maya does not work on Saturdays.
    answer = page(ravi_link(links), {"do": "move", "start": "2026-12-05T09:00:00Z"})
    assert answer.status_code == 422 and "Not moved (" in text_of(answer)
    stored = live_api.runtime.store.get_session(session["id"])
    assert stored is not None and stored.state.value == "scheduled"
    assert page(ravi_link(links), {"do": "move"}).status_code == 400
    assert page(ravi_link(links), {"do": "dance"}).status_code == 400
    assert page(ravi_link(links), {"do": "checklist", "colour": "red"}).status_code == 400


def raw_post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url, content=body, headers=FORM, timeout=60, follow_redirects=False)


@pytest.mark.parametrize(
    "version",
    [
        "%C2%B2",  # superscript two: str.isdigit() says yes, int() says no
        "%D9%A1",  # Arabic-Indic one: a digit to Python, not to the form
        "99",  # ahead of the stored version (0): no form was ever loaded at it
    ],
)
def test_a_version_that_is_not_an_ascii_number_the_page_gave_is_400_naming_version(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]], version: str
) -> None:
    _, links = booked
    answer = raw_post(ravi_link(links), f"do=checklist&version={version}&question=Q%3F".encode())
    assert answer.status_code == 400, answer.text
    assert "version:" in text_of(answer)
    assert live_api.runtime.store.get_checklist(booked[0]["id"]) is None


def test_a_checklist_put_with_a_version_ahead_is_400_naming_version(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]]
) -> None:
    session, _ = booked
    for version in (5, 99999999999999999999):
        body = {"question": "Q?", "options": [], "nextStep": "", "successIndicator": "", "version": version}
        answer = live_api.client.put(f"/sessions/{session['id']}/checklist", json=body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == "version"


@pytest.mark.parametrize(
    ("field", "encoded"),
    [("next_step", "%ff"), ("success_indicator", "%ED%A0%80"), ("question", "Q%3F%09more")],
)
def test_bytes_that_are_not_text_and_a_tab_in_the_question_are_400_naming_the_field(
    live_api: LiveApi, booked: tuple[dict[str, Any], dict[str, str]], field: str, encoded: str
) -> None:
    """Invalid UTF-8 and an encoded lone surrogate (U+D800) are never saved as U+FFFD; the question is
    one sentence on the page as at booking (`book --question $'a\\tb'` is refused too)."""
    _, links = booked
    body = f"do=checklist&version=0&question=Q%3F&{field}={encoded}".replace(f"question=Q%3F&{field}=", f"{field}=")
    if field != "question":
        body = f"do=checklist&version=0&question=Q%3F&{field}={encoded}"
    answer = raw_post(ravi_link(links), body.encode())
    assert answer.status_code == 400, answer.text
    assert f"{field}:" in text_of(answer)
    assert live_api.runtime.store.get_checklist(booked[0]["id"]) is None


def test_the_page_allows_get_and_post_and_says_so(booked: tuple[dict[str, Any], dict[str, str]]) -> None:
    _, links = booked
    answer = httpx.delete(ravi_link(links), timeout=60)
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} >= {"GET", "POST"}


def test_cancelling_twice_says_it_was_already_cancelled(booked: tuple[dict[str, Any], dict[str, str]]) -> None:
    _, links = booked
    first = page(ravi_link(links), {"do": "cancel", "confirm": "yes"})
    assert "The session is cancelled" in text_of(first)
    second = page(maya_link(links), {"do": "cancel", "confirm": "yes"})
    assert second.status_code == 200
    assert "already cancelled" in text_of(second) and "The session is cancelled:" not in text_of(second)


def test_a_move_start_with_fractions_of_a_second_says_so(booked: tuple[dict[str, Any], dict[str, str]]) -> None:
    _, links = booked
    answer = page(ravi_link(links), {"do": "move", "start": "2026-12-01T10:00:00.5Z"})
    assert answer.status_code == 400
    assert "whole minute" in text_of(answer) and "10:00:00 is not on" not in text_of(answer)
