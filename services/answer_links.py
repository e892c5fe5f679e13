"""Signed one-click answer links for the outcome messages: bound to a session, a person, a question and a
choice, valid for 14 days.

Signed exactly like booking links (`services.links`: HMAC-SHA256 over "<version>.<payload>", compared as
text in constant time), with their own version tag "a1", so a booking token can never pass as an answer
and an answer token never as a booking link: the version is part of what is signed.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import InputError
from services.links import LinkError, LinkInvalid, _b64, _mac, _unb64
from store.outbox import Answer, MessageKind, Outbox, SessionNotes

__all__ = [
    "ANSWER_TTL",
    "CHOICES",
    "AnswerClaims",
    "AnswerLinkExpired",
    "make_answer_token",
    "read_answer_token",
    "record_answer",
    "record_next_step",
]

VERSION = "a1"
ANSWER_TTL = timedelta(days=14)
MAX_TOKEN_CHARS = 1024
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_MAC_CHARS = 43

# The choices each question offers, in the order the message shows them.
CHOICES: dict[MessageKind, tuple[str, ...]] = {
    MessageKind.MENTOR_FOLLOWUP: ("yes", "maybe", "no"),
    MessageKind.MENTEE_USEFULNESS: ("1", "2", "3", "4", "5"),
    MessageKind.MENTEE_CHECKIN: ("applied", "partly", "not_yet"),
    MessageKind.SERIES_NO_SLOT: (),  # nothing to answer: the message offers alternative times
}


class AnswerLinkExpired(LinkError):
    """A genuine answer link whose 14 days have passed."""

    def __init__(self, expires: datetime) -> None:
        super().__init__("expired", f"the link expired at {expires.isoformat()}")
        self.expires = expires


@dataclass(frozen=True, slots=True)
class AnswerClaims:
    session_id: str
    person: str
    question: MessageKind
    choice: str
    expires: datetime


def make_answer_token(
    session_id: str, person: str, question: MessageKind, choice: str, *, secret: str, now: datetime,
    ttl: timedelta = ANSWER_TTL,
) -> str:  # fmt: skip
    if choice not in CHOICES[question]:
        raise InputError("choice", f"one of {', '.join(CHOICES[question])}")
    if now.tzinfo is None:
        raise InputError("now", "must be an aware datetime")
    expires = int((now.astimezone(UTC) + ttl).timestamp())
    claims = {"s": session_id, "p": person.lower(), "q": question.value, "c": choice, "x": expires}
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signed = f"{VERSION}.{payload}"
    return f"{signed}.{_mac(secret, signed)}"


def _claims(payload: str) -> AnswerClaims:
    try:
        data: Any = json.loads(_unb64(payload).decode("utf-8"))
        question = MessageKind(data["q"])
        claims = AnswerClaims(
            str(data["s"]), str(data["p"]), question, str(data["c"]), datetime.fromtimestamp(int(data["x"]), UTC)
        )
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        raise LinkInvalid("malformed", "the link's content cannot be read") from None
    if claims.choice not in CHOICES[question]:
        raise LinkInvalid("malformed", "the link names no known answer")
    return claims


def read_answer_token(token: str, *, secret: str, now: datetime) -> AnswerClaims:
    """The claims of a genuine, unexpired answer token; `LinkInvalid` (tampered/malformed) or
    `AnswerLinkExpired`. The signature is checked before anything in the payload is believed."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise LinkInvalid("malformed", "this is not an answer link")
    parts = token.split(".")
    if len(parts) != 3:
        raise LinkInvalid("malformed", "this is not a complete answer link")
    if not all(_SEGMENT.fullmatch(p) for p in parts) or len(parts[2]) != _MAC_CHARS:
        raise LinkInvalid("tampered", "the link was changed after it was made")
    version, payload, presented = parts
    expected = _mac(secret, f"{version}.{payload}")
    if not hmac.compare_digest(expected.encode("ascii"), presented.encode("ascii")) or version != VERSION:
        raise LinkInvalid("tampered", "the link was changed after it was made")
    claims = _claims(payload)
    if now >= claims.expires:
        raise AnswerLinkExpired(claims.expires)
    return claims


# --- recording answers ------------------------------------------------------------------------------

MAX_LINE = 500


def _line(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if len(cleaned) > MAX_LINE:
        raise InputError(field, f"at most {MAX_LINE} characters")
    return cleaned or None


def record_answer(outbox: Outbox, token: str, *, secret: str, now: datetime, note: str | None = None) -> AnswerClaims:
    """Check the link and make its choice the person's current answer (the old one stays in the history)."""
    claims = read_answer_token(token, secret=secret, now=now)
    outbox.record_answer(
        Answer(claims.session_id, claims.person, claims.question, claims.choice, now, _line("note", note))
    )
    return claims


def record_next_step(
    outbox: Outbox, token: str, *, secret: str, now: datetime, next_step: str | None, success_indicator: str | None
) -> AnswerClaims:
    """The mentor's follow-up link also takes the next step and success indicator (when the session page
    has none); only the mentor's own follow-up link may write them."""
    claims = read_answer_token(token, secret=secret, now=now)
    if claims.question is not MessageKind.MENTOR_FOLLOWUP:
        raise InputError("next_step", "only the mentor's follow-up link can write the next step")
    step, indicator = _line("next_step", next_step), _line("success_indicator", success_indicator)
    if not step:
        raise InputError("next_step", "required")
    if not indicator:
        raise InputError("success_indicator", "required")
    outbox.save_notes(SessionNotes(claims.session_id, step, indicator, claims.person, now))
    return claims
