"""Answer links over HTTP (functions/answers): GET and HEAD never write (link scanners open every link); the
page they show records by POST (itself, by script, or by its button); again replaces (history kept); a
changed link is a 400 page, an expired one a 410 page; the optional line and the mentor's next step by POST.
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


def post(live: LiveApi, tok: str, body: str) -> httpx.Response:
    return httpx.post(
        f"{live.url}/answers/{tok}",
        content=body.encode("utf-8"),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en-GB"},
    )


def test_get_and_head_never_write_and_show_the_choice_preselected(live_api: LiveApi) -> None:
    # Link scanners (Safe Links, mail gateways) open every link of a mail: opening one must record nothing.
    tok = token(live_api, MessageKind.MENTEE_CHECKIN, "partly")
    page = get(live_api, tok)
    assert page.status_code == 200
    assert '<input type="radio" name="choice" value="partly" checked>' in page.text
    assert '<input type="radio" name="choice" value="applied">' in page.text
    assert '<form id="answer" method="post"><p>Have you applied it?</p>' in page.text
    assert "<button>Record my answer</button>" in page.text
    assert httpx.head(f"{live_api.url}/answers/{tok}").status_code == 200
    outbox = live_api.runtime.outbox
    assert outbox.answers() == [] and outbox.answer_history("s1", ANA) == []


def test_the_page_submits_itself_under_its_own_nonce(live_api: LiveApi) -> None:
    page = get(live_api, token(live_api, MessageKind.MENTEE_USEFULNESS, "4"))
    csp = page.headers["content-security-policy"]
    nonce = csp.split("script-src 'nonce-", 1)[1].split("'", 1)[0]
    assert len(nonce) >= 16 and "default-src 'none'" in csp and "form-action 'self'" in csp
    assert f'<script nonce="{nonce}">document.getElementById("answer").submit();</script>' in page.text
    again = get(live_api, token(live_api, MessageKind.MENTEE_USEFULNESS, "4"))
    assert nonce not in again.headers["content-security-policy"]  # a fresh nonce per page


def test_post_records_and_again_replaces_keeping_history(live_api: LiveApi) -> None:
    first = post(live_api, token(live_api, MessageKind.MENTEE_CHECKIN, "not_yet"), "choice=not_yet")
    assert first.status_code == 200
    assert "your answer is recorded: not yet" in first.text
    assert 'name="note"' in first.text and '<input type="hidden" name="choice" value="not_yet">' in first.text
    second = post(live_api, token(live_api, MessageKind.MENTEE_CHECKIN, "applied"), "choice=applied")
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
    # The page offers every choice of the question: the person may pick another one there.
    third = post(live_api, token(live_api, MessageKind.MENTEE_CHECKIN, "applied"), "choice=partly")
    assert third.status_code == 200
    assert [a.choice for a in outbox.answers()] == ["partly"]


def test_submitting_the_same_answer_again_adds_no_history_row(live_api: LiveApi) -> None:
    # Back pressed on the answer page, or the page re-submitted: the same choice (and line) is no new answer.
    tok = token(live_api, MessageKind.MENTEE_CHECKIN, "partly")
    for _ in range(3):
        assert post(live_api, tok, "choice=partly").status_code == 200
    outbox = live_api.runtime.outbox
    assert [(a.choice, a.note) for a in outbox.answer_history("s1", ANA)] == [("partly", None)]
    assert post(live_api, tok, "choice=partly&note=Tried+it").status_code == 200  # a new line: a new answer
    assert post(live_api, tok, "choice=partly&note=Tried+it").status_code == 200  # the same again: none
    assert post(live_api, tok, "choice=partly").status_code == 200  # the self-submitting page: keeps the line
    assert [(a.choice, a.note) for a in outbox.answer_history("s1", ANA)] == [("partly", None), ("partly", "Tried it")]
    assert post(live_api, tok, "choice=applied").status_code == 200
    assert [a.choice for a in outbox.answer_history("s1", ANA)] == ["partly", "partly", "applied"]


def test_reopening_a_link_keeps_the_saved_line_and_an_emptied_line_clears_it(live_api: LiveApi) -> None:
    tok = token(live_api, MessageKind.MENTEE_CHECKIN, "partly")
    assert post(live_api, tok, "choice=partly&note=Tried+it+on+one+report").status_code == 200
    reopened = post(live_api, tok, "choice=partly")  # what the self-submitting page sends
    assert reopened.status_code == 200
    (current,) = live_api.runtime.outbox.answers()
    assert current.note == "Tried it on one report"
    assert 'value="Tried it on one report"' in reopened.text  # offered again, filled in
    cleared = post(live_api, tok, "choice=partly&note=")
    assert cleared.status_code == 200
    (current,) = live_api.runtime.outbox.answers()
    assert (current.choice, current.note) == ("partly", None)


def test_an_empty_or_missing_choice_and_a_repeated_field_are_400_pages_naming_the_field(live_api: LiveApi) -> None:
    tok = token(live_api, MessageKind.MENTEE_CHECKIN, "applied")
    for body in ("", "choice=", "choice=+++", "note=hello"):
        refused = post(live_api, tok, body)
        assert refused.status_code == 400, body
        assert "choice: required" in refused.text, body
    repeated = post(live_api, tok, "choice=applied&choice=not_yet")
    assert repeated.status_code == 400 and "choice: given more than once" in repeated.text
    repeated_note = post(live_api, tok, "choice=applied&note=a&note=b")
    assert repeated_note.status_code == 400 and "note: given more than once" in repeated_note.text
    other = post(live_api, tok, "choice=yes")  # the follow-up's choice is no check-in answer
    assert other.status_code == 400 and "choice: one of applied, partly, not_yet" in other.text
    unknown = post(live_api, tok, "choice=applied&colour=red")
    assert unknown.status_code == 400 and "colour: unknown field" in unknown.text
    # Only a check-in carries a line: a usefulness or follow-up answer with one is refused, not stored.
    usefulness = post(live_api, token(live_api, MessageKind.MENTEE_USEFULNESS, "5"), "choice=5&note=secret")
    assert usefulness.status_code == 400 and "note: only a check-in answer carries a line" in usefulness.text
    assert live_api.runtime.outbox.answers() == []


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
    assert post(live_api, changed, "choice=4").status_code == 400
    assert live_api.runtime.outbox.answers() == []


def test_an_expired_link_is_a_410_page(live_api: LiveApi) -> None:
    made_15_days_ago = token(live_api, MessageKind.MENTEE_USEFULNESS, "5", age=timedelta(days=15))
    refused = get(live_api, made_15_days_ago)
    assert refused.status_code == 410
    assert "expired" in refused.text
    assert post(live_api, made_15_days_ago, "choice=5").status_code == 410
    assert live_api.runtime.outbox.answers() == []
    # Made 13 days 23 hours ago: still good.
    assert (
        get(live_api, token(live_api, MessageKind.MENTEE_USEFULNESS, "5", age=timedelta(days=13, hours=23))).status_code
        == 200
    )


def test_the_optional_line_and_the_mentors_next_step(live_api: LiveApi) -> None:
    checkin = token(live_api, MessageKind.MENTEE_CHECKIN, "partly")
    saved = httpx.post(
        f"{live_api.url}/answers/{checkin}", data={"choice": "partly", "note": "  Tried it   on one report  "}
    )
    assert saved.status_code == 200 and "Saved. Thank you, your answer is recorded" in saved.text
    (current,) = live_api.runtime.outbox.answers()
    assert (current.choice, current.note) == ("partly", "Tried it on one report")
    followup = token(live_api, MessageKind.MENTOR_FOLLOWUP, "yes", person=MAYA)
    recorded = post(live_api, followup, "choice=yes")
    assert 'name="next_step"' in recorded.text and 'name="success_indicator"' in recorded.text
    written = httpx.post(
        f"{live_api.url}/answers/{followup}",
        data={"choice": "yes", "next_step": "Rewrite one query", "success_indicator": "Under 1 s"},
    )
    assert written.status_code == 200
    notes = live_api.runtime.outbox.get_notes("s1")
    assert notes is not None and (notes.next_step, notes.success_indicator, notes.written_by) == (
        "Rewrite one query",
        "Under 1 s",
        MAYA,
    )
    # Only the mentor's follow-up link writes the next step; a missing indicator is named, and nothing is written.
    assert (
        httpx.post(
            f"{live_api.url}/answers/{checkin}", data={"choice": "partly", "next_step": "x", "success_indicator": "y"}
        ).status_code
        == 400
    )
    before = live_api.runtime.outbox.answer_history("s1", MAYA)
    missing = httpx.post(f"{live_api.url}/answers/{followup}", data={"choice": "no", "next_step": "x"})
    assert missing.status_code == 400 and "success_indicator" in missing.text
    assert live_api.runtime.outbox.answer_history("s1", MAYA) == before


def test_french_pages_for_french_browsers(live_api: LiveApi) -> None:
    page = httpx.get(
        f"{live_api.url}/answers/{token(live_api, MessageKind.MENTEE_USEFULNESS, '3')}",
        headers={"Accept-Language": "fr-FR"},
    )
    assert page.status_code == 200 and "Enregistrer ma réponse" in page.text
    recorded = httpx.post(
        f"{live_api.url}/answers/{token(live_api, MessageKind.MENTEE_USEFULNESS, '3')}",
        data={"choice": "3"},
        headers={"Accept-Language": "fr-FR"},
    )
    assert recorded.status_code == 200 and "votre réponse est enregistrée : 3" in recorded.text
