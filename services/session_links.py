"""Signed per-attendee links to a session's page.

The booking links' format and signing code (`services.links.sign_claims` / `verified_claims`,
HMAC-SHA256 over `v1.<payload>`), with the claims `k` = "session", `s` session id, `p` the attendee the
link was made for, `x` expiry (Unix seconds). A booking link has no `k` and a session link no `m`, so
neither is ever read as the other. A link lives until `LINK_DAYS_AFTER_END` days after the session
ends: long enough for the 7-day check-in and a late look at the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.errors import InputError
from core.model import Session
from services.links import LinkExpired, LinkInvalid, expiry_of, sign_claims, verified_claims

__all__ = [
    "LINK_DAYS_AFTER_END",
    "SessionLinkClaims",
    "make_session_link",
    "read_session_link",
    "session_link_expiry",
    "session_page_links",
    "session_page_url",
]

KIND = "session"
LINK_DAYS_AFTER_END = 30
_WHAT = "session link"


@dataclass(frozen=True, slots=True)
class SessionLinkClaims:
    session_id: str
    person: str
    expires: datetime


def session_link_expiry(session: Session) -> datetime:
    return session.end.astimezone(UTC) + timedelta(days=LINK_DAYS_AFTER_END)


def session_page_url(public_url: str, session: Session, person: str, *, secret: str) -> str:
    """The address of `person`'s page of `session`, starting with `public_url` (`MICROMENTOR_PUBLIC_URL`)."""
    token = make_session_link(session.id, person, secret=secret, expires=session_link_expiry(session))
    return f"{public_url.rstrip('/')}/api/session-page/{token}"


def session_page_links(session: Session, public_url: str, secret: str | None) -> list[tuple[str, str]]:
    """(attendee, URL of their session page) for the mentor and each mentee, as their link mails carry them;
    none without a secret. The URL starts with `public_url` (`MICROMENTOR_PUBLIC_URL`)."""
    if secret is None:
        return []
    people = (session.mentor, *session.mentees)
    return [(person, session_page_url(public_url, session, person, secret=secret)) for person in people]


def make_session_link(session_id: str, person: str, *, secret: str, expires: datetime) -> str:
    """The token of `person`'s page of session `session_id`, valid until `expires` (whole seconds)."""
    if not session_id or not person:
        raise InputError("session", "a session id and an attendee are required")
    if expires.tzinfo is None:
        raise InputError("expires", "must be an aware datetime")
    claims = {"k": KIND, "s": session_id, "p": person.strip().lower(), "x": int(expires.timestamp())}
    return sign_claims(claims, secret=secret)


def read_session_link(token: str, *, secret: str, now: datetime) -> SessionLinkClaims:
    """The claims of a genuine, unexpired session link; `LinkInvalid` or `LinkExpired` otherwise."""
    data = verified_claims(token, secret=secret, what=_WHAT)
    session_id, person = data.get("s"), data.get("p")
    if data.get("k") != KIND or not isinstance(session_id, str) or not isinstance(person, str):
        raise LinkInvalid("malformed", "this is not a session link")
    if not session_id or not person:
        raise LinkInvalid("malformed", "the link's content is incomplete")
    expires = expiry_of(data)
    if now >= expires:
        raise LinkExpired(person, expires)
    return SessionLinkClaims(session_id=session_id, person=person, expires=expires)
