"""Each attendee's own session-page link, in an e-mail to that attendee alone.

A session link acts in its owner's name (save the checklist, cancel, move: services.session_page). The
invitation cannot carry it: one Graph event body is the same for every attendee and goes along with
every forward. So the invitation only says that the links come by e-mail (core.agenda), and each
person gets one `sendMail` with their own link, from the configured sender mailbox
(`MICROMENTOR_MAIL_SENDER`) or, without one, from the session's organizer (the mentor).

Exactly once per session and person, as the outcome mails (graph/mail.py): `sendMail` has no
idempotency key, so every message is stamped with the key ``session-link:<session id>:<person>`` and
is sent only when no copy with that key is in the sender's Sent Items. A booking retried after a crash
(same idempotency key) mails whoever was not mailed yet. Known window: Exchange files the Sent Items
copy a little after the 202, so two retries of one booking on two hosts within that moment could both
send (one host serialises its own retries: services.idempotency).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from core.agenda import AgendaPerson, personal_link_mail
from core.model import Session
from graph.errors import GraphError
from graph.gateway import GraphGateway
from graph.mail import OutgoingMail
from services.session_links import session_page_url

__all__ = ["link_mail_key", "mail_session_links"]

log = logging.getLogger(__name__)


def link_mail_key(session_id: str, person: str) -> str:
    return f"session-link:{session_id}:{person.strip().lower()}"


async def mail_session_links(
    graph: GraphGateway,
    session: Session,
    subject: str,
    people: list[AgendaPerson],
    *,
    secret: str,
    public_url: str,
    sender: str | None = None,
    start: datetime | None = None,
) -> list[str]:
    """Mail each of `people` their own link to `session`'s page, once; the people mailed now.

    A Graph refusal for one person is logged and the others are still mailed: the booking stands, and
    a retry of it (same idempotency key) mails the ones missing."""
    mailbox = (sender or session.mentor).strip().lower()
    mailed: list[str] = []
    for person in people:
        key = link_mail_key(session.id, person.upn)
        url = session_page_url(public_url, session, person.upn, secret=secret)
        try:
            if await graph.was_sent(mailbox, key):
                continue
            # Exchange routes by SMTP address, and a UPN is not always one (mail != UPN on real tenants).
            user = await graph.get_user(person.upn)
            address = user.mail
            # The directory's name greets better than a UPN when the booking carried no display name.
            named = person if person.display_name.strip() else replace(person, display_name=user.display_name)
            title, html = personal_link_mail(subject=subject, person=named, start=start or session.start, url=url)
            await graph.send_mail(mailbox, OutgoingMail(to=address, subject=title, html=html, key=key))
        except GraphError as exc:
            log.warning("session %s: the session link for %s was not mailed (%s)", session.id, person.upn, exc)
            continue
        mailed.append(person.upn)
    return mailed
