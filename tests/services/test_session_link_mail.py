"""Each attendee's session-page link goes to that attendee alone, by e-mail, once.

Maya (mentor, UTC in winter) with Ravi (India, UTC+05:30) and Sita (Nepal, UTC+05:45): their working
days share 07:30-11:15Z, so Tue 1 Dec 09:00-09:15Z suits all three. A link acts in its owner's name
(save, cancel, move), so the one invitation body every attendee (and every forward) gets holds no link,
and each mail holds exactly one: the recipient's.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from core.model import Session
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.booking import BookingRequest, book_session
from services.session_links import read_session_link
from store.base import Store
from tests.conftest import Admin, with_graph

MAYA, RAVI, SITA = "maya@contoso.example", "ravi@contoso.example", "sita@contoso.example"
DESK = "mentoring-desk@contoso.example"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECRET = "a-test-secret-that-is-long-enough"
NAMES = {MAYA: "Maya Lind", RAVI: "Ravi Menon", SITA: "Sita Thapa"}


def tokens(text: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"/api/session-page/([^\"<\s]+)", text)]


def person_of(token: str) -> tuple[str, str]:
    claims = read_session_link(token, secret=SECRET, now=NOW)
    return claims.session_id, claims.person


def test_every_attendee_gets_only_their_own_link_once_even_when_the_booking_is_retried(
    graph_settings: GraphSettings, any_store: Store, admin: Admin
) -> None:
    request = BookingRequest(
        MAYA, (RAVI, SITA), START, "How do I hand over a project?", idempotency_key="link-mail-retry-1"
    )

    async def body(g: GraphGateway) -> tuple[Session, dict[str, Any]]:
        book = partial(book_session, g, any_store, TenantPolicy(), request, now=NOW, public_url="https://mm.example")
        first = await book(link_secret=SECRET, mail_sender=DESK)
        again = await book(link_secret=SECRET, mail_sender=DESK)  # a client's retry with the same key
        assert again.session.id == first.session.id and not again.created
        [event] = [e for e in await g.calendar_events(MAYA, START, START + timedelta(minutes=15))]
        return first.session, event

    session, event = with_graph(graph_settings, body)
    assert tokens(event["body"]["content"]) == []  # the shared body carries no one's link
    assert "in a separate e-mail" in event["body"]["content"]
    mine = [
        m
        for m in admin.get("/mail")["value"]
        if any(person_of(t)[0] == session.id for t in tokens(m["body"]["content"]))
    ]
    got = {}
    for mail in mine:
        [to] = [r["emailAddress"]["address"] for r in mail["toRecipients"]]
        [token] = tokens(mail["body"]["content"])  # one link in each mail
        assert person_of(token) == (session.id, to)  # and it is the recipient's
        assert mail["mailbox"].lower() == "mentoring.desk@contoso.example"  # its SMTP address
        assert f"Hello {NAMES[to]}," in mail["body"]["content"]  # the directory's name, not the UPN
        got[to] = token
    assert len(mine) == 3 and sorted(got) == [MAYA, RAVI, SITA]  # once each, retry included
