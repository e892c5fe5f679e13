"""Answer links over HTTP (functions/answers): one click records, again replaces (history kept), a changed
link is a 400 page, an expired one a 410 page; the optional line and the mentor's next step by POST.
The live host's clock is Mon 30 Nov 2026 00:00Z; links live 14 days."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.answer_links import make_answer_token
from services.links import make_link
from store.outbox import MessageKind
from tests.conftest import API_NOW, LiveApi

ANA = "ana@contoso.example"
MAYA = "maya@contoso.example"


def token(
    live: LiveApi, kind: MessageKind, choice: str, *, person: str = ANA, age: timedelta = timedelta(days=1)
) -> str:
    secret = live.runtime.settings.link_secret
    return make_answer_token("s1", person, kind, choice, secret=secret, now=API_NOW - age)


def get(live: LiveApi, tok: str) -> httpx.Response:
    return httpx.get(f"{live.url}/answers/{tok}", headers={"Accept-Language": "en-GB,en;q=0.8"})


def test_one_click_records_and_again_replaces_keeping_history(live_api: LiveApi) -> None:
    first = get(live_api, token(live_api, MessageKind.MENTEE_CHECKIN, "not_yet"))
    assert first.status_code == 200
    assert "your answer is recorded: not yet" in first.text
    assert 'name="note"' in first.text
    second = get(live_api, token(live_api, MessageKind.MENTEE_CHECKIN, "applied"))
    assert second.status_code == 200
    outbox = live_api.runtime.outbox
    (current,) = outbox.answers()
    assert (current.session_id, current.person, current.question, current.choice) == (
        "s1",
        ANA,
        MessageKind.MENTEE_CHECKIN,
        "applied",
    )
    assert [a.choice for a in outbox.answer_history("s1", ANA)] == ["not_yet", "applied"]


def test_a_changed_link_is_a_400_page(live_api: LiveApi) -> None:
    good = token(live_api, MessageKind.MENTEE_USEFULNESS, "4")
    version, payload, mac = good.split(".")
    changed = f"{version}.{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{mac}"
    refused = get(live_api, changed)
    assert refused.status_code == 400
    assert "changed after it was sent" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert live_api.runtime.outbox.answers() == []
    # A booking link signed with the same secret is no answer link either.
    booking = make_link(MAYA, secret=live_api.runtime.settings.link_secret, now=API_NOW)
    assert get(live_api, booking).status_code == 400


def test_an_expired_link_is_a_410_page(live_api: LiveApi) -> None:
    made_15_days_ago = token(live_api, MessageKind.MENTEE_USEFULNESS, "5", age=timedelta(days=15))
    refused = get(live_api, made_15_days_ago)
    assert refused.status_code == 410
    assert "expired" in refused.text
    assert live_api.runtime.outbox.answers() == []
    # Made 13 days 23 hours ago: still good.
    assert (
        get(live_api, token(live_api, MessageKind.MENTEE_USEFULNESS, "5", age=timedelta(days=13, hours=23))).status_code
        == 200
    )


def test_the_optional_line_and_the_mentors_next_step(live_api: LiveApi) -> None:
    checkin = token(live_api, MessageKind.MENTEE_CHECKIN, "partly")
    saved = httpx.post(f"{live_api.url}/answers/{checkin}", data={"note": "  Tried it   on one report  "})
    assert saved.status_code == 200
    (current,) = live_api.runtime.outbox.answers()
    assert (current.choice, current.note) == ("partly", "Tried it on one report")
    followup = token(live_api, MessageKind.MENTOR_FOLLOWUP, "yes", person=MAYA)
    page = get(live_api, followup)
    assert 'name="next_step"' in page.text
    written = httpx.post(
        f"{live_api.url}/answers/{followup}", data={"next_step": "Rewrite one query", "success_indicator": "Under 1 s"}
    )
    assert written.status_code == 200
    notes = live_api.runtime.outbox.get_notes("s1")
    assert notes is not None and (notes.next_step, notes.success_indicator, notes.written_by) == (
        "Rewrite one query",
        "Under 1 s",
        MAYA,
    )
    # Only the mentor's follow-up link writes the next step; a missing indicator is named.
    assert (
        httpx.post(f"{live_api.url}/answers/{checkin}", data={"next_step": "x", "success_indicator": "y"}).status_code
        == 400
    )
    missing = httpx.post(f"{live_api.url}/answers/{followup}", data={"next_step": "x"})
    assert missing.status_code == 400 and "success_indicator" in missing.text


def test_french_pages_for_french_browsers(live_api: LiveApi) -> None:
    page = httpx.get(
        f"{live_api.url}/answers/{token(live_api, MessageKind.MENTEE_USEFULNESS, '3')}",
        headers={"Accept-Language": "fr-FR"},
    )
    assert page.status_code == 200 and "votre réponse est enregistrée : 3" in page.text
