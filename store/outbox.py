"""The outcome messages' port: an outbox of e-mails to send (one per session, person and kind), the
answers people give through their signed links, and what a mentor wrote down as next step.

Kept apart from `store.base.Store` so the booking store stays as it is; `open_outbox(store)` gives the
implementation that lives beside a store (SQLite: same file; Azure Tables: same account and prefix).

Crash safety is the outbox's job: `claim` is a compare-and-set on the message's version (pending, or
"sending" with an expired lease, becomes "sending" with a new lease), so two senders never both own a
message, and a sender that died mid-send leaves a "sending" message that the next one examines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from store._codec import from_utc_iso, to_utc_iso
from store.base import Store

__all__ = [
    "Answer",
    "MessageKind",
    "MessageState",
    "Outbox",
    "OutboxMessage",
    "SessionNotes",
    "message_key",
    "open_outbox",
    "slots_of",
    "slots_text",
]


class MessageKind(StrEnum):
    MENTOR_FOLLOWUP = "mentor_followup"  # "Would you do another micro session on this skill?" yes/maybe/no
    MENTEE_USEFULNESS = "mentee_usefulness"  # how useful was the session, 1-5
    MENTEE_CHECKIN = "mentee_checkin"  # applied / partly / not yet, after checkin_after_days
    SERIES_NO_SLOT = "series_no_slot"  # a series occurrence without a valid slot: the nearest alternatives


class MessageState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed under a lease; the send may or may not have reached Graph
    SENT = "sent"
    FAILED = "failed"  # given up (unreachable recipient, refused too often); `last_error` says why
    DROPPED = "dropped"  # no longer applies (the session is no longer completed, the person left it)


def slots_text(slots: tuple[datetime, ...]) -> str | None:
    """The alternative starts as stored (a JSON array of UTC ISO texts); None when there are none."""
    return json.dumps([to_utc_iso(s, "slots") for s in slots]) if slots else None


def slots_of(text: object) -> tuple[datetime, ...]:
    return tuple(from_utc_iso(str(s)) for s in json.loads(str(text))) if text else ()


def message_key(session_id: str, person: str, kind: MessageKind) -> str:
    return f"{session_id}|{person.lower()}|{kind.value}"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    session_id: str
    person: str  # lower-case address of the recipient
    kind: MessageKind
    mentor: str
    due: datetime  # when the programme wants it sent (session end, or + checkin_after_days)
    created_at: datetime
    send_after: datetime | None = None  # quiet hours may push it later; None = `due`
    topic: str | None = None
    state: MessageState = MessageState.PENDING
    attempts: int = 0
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    version: str = ""  # set by the store: what `claim` compares
    slots: tuple[datetime, ...] = ()  # SERIES_NO_SLOT: the alternative starts offered (session_id: series|n)

    @property
    def key(self) -> str:
        return message_key(self.session_id, self.person, self.kind)

    @property
    def earliest(self) -> datetime:
        return self.send_after or self.due


@dataclass(frozen=True, slots=True)
class Answer:
    session_id: str
    person: str
    question: MessageKind
    choice: str
    answered_at: datetime
    # None: this answer carries no line (a one-click answer), the current answer keeps the line saved
    # before; "": the person emptied the line, the current answer has none. The history keeps it as given.
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SessionNotes:
    """The next step and success indicator a mentor wrote down from the follow-up page."""

    session_id: str
    next_step: str
    success_indicator: str
    written_by: str
    written_at: datetime


class Outbox(Protocol):
    def enqueue(self, message: OutboxMessage) -> bool:
        """Insert unless a message with this key exists; True when inserted."""

    def get_message(self, key: str) -> OutboxMessage | None: ...

    def due_messages(self, now: datetime, limit: int = 200) -> list[OutboxMessage]:
        """Pending messages whose `earliest` has come, and "sending" ones whose lease has run out."""

    def claim(self, message: OutboxMessage, *, lease_until: datetime) -> OutboxMessage | None:
        """Make `message` "sending" until `lease_until` (attempts + 1) if it is still exactly as read;
        None when someone else changed it meanwhile."""

    def postpone(self, message: OutboxMessage, send_after: datetime) -> OutboxMessage | None:
        """A pending (or lease-expired) message waits until `send_after` (quiet hours); None if it changed."""

    def mark_sent(self, key: str, sent_at: datetime) -> None: ...

    def revise(self, message: OutboxMessage, *, state: MessageState, last_error: str | None,
               send_after: datetime | None = None,
               lease_until: datetime | None = None) -> OutboxMessage | None:  # fmt: skip
        """Compare-and-set `message` (as read) to `state` with `last_error` recorded; `send_after` when given
        (pending), `lease_until` as given (None clears it; a "sending" message keeps it as its back-off).
        None when someone else changed it meanwhile."""

    def release(self, key: str, error: str, send_after: datetime) -> None:
        """Back to pending, tried again from `send_after`, after Graph refused the send (it did not take
        the message)."""

    def list_messages(self, kinds: Iterable[MessageKind] | None = None) -> list[OutboxMessage]: ...

    def record_answer(self, answer: Answer) -> None:
        """The current answer for (session, person, question) becomes `answer`, keeping the saved note
        when `answer.note` is None and clearing it when it is ""; every answer is kept in the history."""

    def answers(self) -> list[Answer]:
        """Current answers, one per (session, person, question)."""

    def answer_history(self, session_id: str, person: str) -> list[Answer]:
        """Every answer this person gave on this session, oldest first."""

    def save_notes(self, notes: SessionNotes) -> None: ...

    def get_notes(self, session_id: str) -> SessionNotes | None: ...


def open_outbox(store: Store) -> Outbox:
    """The outbox kept beside `store`."""
    from store.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        from store.outbox_sqlite import SqliteOutbox

        return SqliteOutbox(store)
    from store.tables import TableStore

    if isinstance(store, TableStore):
        from store.outbox_tables import TableOutbox

        return TableOutbox(store)
    raise TypeError(f"no outbox for {type(store).__name__}")
