"""Signed one-click answer links for the outcome messages: bound to a session, a person, a question and a
choice, valid for 14 days.

Signed by the booking links' own code (`services.links.sign_claims` / `verified_claims`: HMAC-SHA256 over
"<version>.<payload>", compared as text in constant time), with their own version tag "a1", so a booking
token can never pass as an answer and an answer token never as a booking link: the version is signed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import InputError
from services.links import LinkError, LinkInvalid, expiry_of, sign_claims, verified_claims
from store.outbox import Answer, MessageKind, Outbox, SessionNotes

__all__ = [
    "ANSWER_TTL",
    "CHOICES",
    "AnswerClaims",
    "AnswerLinkExpired",
    "current_note",
    "make_answer_token",
    "read_answer_token",
    "record_answer",
    "record_next_step",
]

VERSION = "a1"
ANSWER_TTL = timedelta(days=14)

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
    return sign_claims(claims, secret=secret, version=VERSION)


def _claims(data: dict[str, Any]) -> AnswerClaims:
    try:
        question = MessageKind(data["q"])
        claims = AnswerClaims(str(data["s"]), str(data["p"]), question, str(data["c"]), expiry_of(data))
    except (ValueError, KeyError, TypeError):
        raise LinkInvalid("malformed", "the link's content cannot be read") from None
    if claims.choice not in CHOICES[question]:
        raise LinkInvalid("malformed", "the link names no known answer")
    return claims


def read_answer_token(token: str, *, secret: str, now: datetime) -> AnswerClaims:
    """The claims of a genuine, unexpired answer token; `LinkInvalid` (tampered/malformed) or
    `AnswerLinkExpired`. The signature (and the "a1" tag) is checked before anything in the payload is
    believed: `services.links.verified_claims`, the booking links' own code."""
    claims = _claims(verified_claims(token, secret=secret, what="one-click answer link", version=VERSION))
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


def _note(value: str | None) -> str | None:
    """None: the answer carries no line (the saved one stays); "" (or only spaces): the line is cleared."""
    if value is None:
        return None
    return _line("note", value) or ""


def record_answer(
    outbox: Outbox, token: str, *, secret: str, now: datetime, choice: str | None = None, note: str | None = None
) -> AnswerClaims:
    """Check the link and make `choice` (default: the link's own) the person's current answer to the link's
    question; the old one stays in the history. `note`: None keeps the saved line, "" clears it."""
    claims = read_answer_token(token, secret=secret, now=now)
    if choice is None:
        choice = claims.choice
    if choice not in CHOICES[claims.question]:
        raise InputError("choice", f"one of {', '.join(CHOICES[claims.question])}")
    given = _note(note)
    if not _repeats_current(outbox, claims, choice, given):
        outbox.record_answer(Answer(claims.session_id, claims.person, claims.question, choice, now, given))
    return replace(claims, choice=choice)


def _repeats_current(outbox: Outbox, claims: AnswerClaims, choice: str, note: str | None) -> bool:
    """The answer is the current one again (the page submitted twice, Back pressed): nothing to record, so
    the history gets no duplicate row. `note` None keeps the saved line, so only the choice matters then."""
    history = [a for a in outbox.answer_history(claims.session_id, claims.person) if a.question is claims.question]
    if not history or history[-1].choice != choice:
        return False
    return note is None or (note or None) == current_note(outbox, claims)


def current_note(outbox: Outbox, claims: AnswerClaims) -> str | None:
    """The line the person's current answer to this question carries (the history folded as the store does)."""
    note: str | None = None
    for answer in outbox.answer_history(claims.session_id, claims.person):
        if answer.question is claims.question and answer.note is not None:
            note = answer.note or None
    return note


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
