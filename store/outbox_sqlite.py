"""`store.outbox.Outbox` in the SQLite store's own file (tables from its migration 4)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from store._codec import from_utc_iso, to_utc_iso
from store.outbox import Answer, MessageKind, MessageState, OutboxMessage, SessionNotes, slots_of, slots_text
from store.sqlite import SqliteStore

__all__ = ["SqliteOutbox"]

_COLUMNS = (
    "key", "session_id", "person", "kind", "mentor", "topic", "due", "send_after", "created_at", "state",
    "attempts", "lease_until", "sent_at", "last_error", "slots",
)  # fmt: skip


def _iso(moment: datetime | None, name: str) -> str | None:
    return None if moment is None else to_utc_iso(moment, name)


def _when(text: str | None) -> datetime | None:
    return None if text is None else from_utc_iso(text)


def _record(message: OutboxMessage) -> dict[str, Any]:
    return {
        "key": message.key,
        "session_id": message.session_id,
        "person": message.person.lower(),
        "kind": message.kind.value,
        "mentor": message.mentor,
        "topic": message.topic,
        "due": to_utc_iso(message.due, "due"),
        "send_after": to_utc_iso(message.earliest, "send_after"),
        "created_at": to_utc_iso(message.created_at, "created_at"),
        "state": message.state.value,
        "attempts": message.attempts,
        "lease_until": _iso(message.lease_until, "lease_until"),
        "sent_at": _iso(message.sent_at, "sent_at"),
        "last_error": message.last_error,
        "slots": slots_text(message.slots),
    }


def _message(row: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        session_id=row["session_id"],
        person=row["person"],
        kind=MessageKind(row["kind"]),
        mentor=row["mentor"],
        topic=row["topic"],
        due=from_utc_iso(row["due"]),
        send_after=from_utc_iso(row["send_after"]),
        created_at=from_utc_iso(row["created_at"]),
        state=MessageState(row["state"]),
        attempts=int(row["attempts"]),
        lease_until=_when(row["lease_until"]),
        sent_at=_when(row["sent_at"]),
        last_error=row["last_error"],
        version=str(row["version"]),
        slots=slots_of(row.get("slots")),
    )


def _answer(row: dict[str, Any]) -> Answer:
    return Answer(
        session_id=row["session_id"],
        person=row["person"],
        question=MessageKind(row["question"]),
        choice=row["choice"],
        answered_at=from_utc_iso(row["answered_at"]),
        note=row["note"],
    )


class SqliteOutbox:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def enqueue(self, message: OutboxMessage) -> bool:
        record = _record(message)
        names = ", ".join(f'"{c}"' for c in _COLUMNS)
        values = ", ".join(f":{c}" for c in _COLUMNS)
        with self._store._transaction() as conn:
            done = conn.execute(
                f'INSERT INTO outbox ({names}) VALUES ({values}) ON CONFLICT ("key") DO NOTHING', record
            )
            return done.rowcount == 1

    def get_message(self, key: str) -> OutboxMessage | None:
        with self._store._connection() as conn:
            row = conn.execute('SELECT * FROM outbox WHERE "key" = ?', (key,)).fetchone()
        return None if row is None else _message(row)

    def due_messages(self, now: datetime, limit: int = 200) -> list[OutboxMessage]:
        moment = to_utc_iso(now, "now")
        with self._store._connection() as conn:
            rows = conn.execute(
                'SELECT * FROM outbox WHERE ("state" = ? AND "send_after" <= ?) '
                'OR ("state" = ? AND "lease_until" <= ?) '
                'ORDER BY "send_after", "key" LIMIT ?',
                (MessageState.PENDING.value, moment, MessageState.SENDING.value, moment, limit),
            ).fetchall()
        return [_message(row) for row in rows]

    def _swap(self, message: OutboxMessage, changes: dict[str, Any]) -> bool:
        sets = ", ".join(f'"{k}" = :{k}' for k in changes)
        with self._store._transaction() as conn:
            done = conn.execute(
                f'UPDATE outbox SET {sets}, "version" = "version" + 1 WHERE "key" = :key AND "version" = :version',
                {**changes, "key": message.key, "version": int(message.version or 0)},
            )
            return done.rowcount == 1

    def claim(self, message: OutboxMessage, *, lease_until: datetime) -> OutboxMessage | None:
        changes = {
            "state": MessageState.SENDING.value,
            "lease_until": to_utc_iso(lease_until, "lease_until"),
            "attempts": message.attempts + 1,
        }
        return self.get_message(message.key) if self._swap(message, changes) else None

    def postpone(self, message: OutboxMessage, send_after: datetime) -> OutboxMessage | None:
        changes = {
            "state": MessageState.PENDING.value,
            "send_after": to_utc_iso(send_after, "send_after"),
            "lease_until": None,
        }
        return self.get_message(message.key) if self._swap(message, changes) else None

    def revise(self, message: OutboxMessage, *, state: MessageState, last_error: str | None,
               send_after: datetime | None = None,
               lease_until: datetime | None = None) -> OutboxMessage | None:  # fmt: skip
        changes: dict[str, Any] = {
            "state": state.value,
            "last_error": None if last_error is None else last_error[:500],
            "lease_until": _iso(lease_until, "lease_until"),
        }
        if send_after is not None:
            changes["send_after"] = to_utc_iso(send_after, "send_after")
        return self.get_message(message.key) if self._swap(message, changes) else None

    def mark_sent(self, key: str, sent_at: datetime) -> None:
        with self._store._transaction() as conn:
            conn.execute(
                'UPDATE outbox SET "state" = ?, "sent_at" = ?, "lease_until" = NULL, "version" = "version" + 1 '
                'WHERE "key" = ?',
                (MessageState.SENT.value, to_utc_iso(sent_at, "sent_at"), key),
            )

    def release(self, key: str, error: str, send_after: datetime) -> None:
        with self._store._transaction() as conn:
            conn.execute(
                'UPDATE outbox SET "state" = ?, "lease_until" = NULL, "last_error" = ?, "send_after" = ?, '
                '"version" = "version" + 1 WHERE "key" = ? AND "state" = ?',
                (
                    MessageState.PENDING.value,
                    error[:500],
                    to_utc_iso(send_after, "send_after"),
                    key,
                    MessageState.SENDING.value,
                ),
            )

    def list_messages(self, kinds: Iterable[MessageKind] | None = None) -> list[OutboxMessage]:
        with self._store._connection() as conn:
            rows = conn.execute('SELECT * FROM outbox ORDER BY "due", "key"').fetchall()
        wanted = None if kinds is None else {k.value for k in kinds}
        return [_message(r) for r in rows if wanted is None or r["kind"] in wanted]

    def record_answer(self, answer: Answer) -> None:
        params = {
            "session_id": answer.session_id,
            "person": answer.person.lower(),
            "question": answer.question.value,
            "choice": answer.choice,
            "note": answer.note,
            "answered_at": to_utc_iso(answer.answered_at, "answered_at"),
        }
        with self._store._transaction() as conn:
            conn.execute(
                'INSERT INTO answer_history ("session_id", "person", "question", "choice", "note", "answered_at") '
                "VALUES (:session_id, :person, :question, :choice, :note, :answered_at)",
                params,
            )
            conn.execute(
                # The note: None (a one-click answer carries none) keeps the saved one; "" clears it.
                'INSERT INTO answers ("session_id", "person", "question", "choice", "note", "answered_at") '
                "VALUES (:session_id, :person, :question, :choice, NULLIF(:note, ''), :answered_at) "
                'ON CONFLICT ("session_id", "person", "question") DO UPDATE SET "choice" = excluded."choice", '
                '"note" = NULLIF(COALESCE(:note, "answers"."note"), \'\'), "answered_at" = excluded."answered_at"',
                params,
            )

    def answers(self) -> list[Answer]:
        with self._store._connection() as conn:
            rows = conn.execute('SELECT * FROM answers ORDER BY "answered_at", "session_id", "person"').fetchall()
        return [_answer(r) for r in rows]

    def answer_history(self, session_id: str, person: str) -> list[Answer]:
        with self._store._connection() as conn:
            rows = conn.execute(
                'SELECT * FROM answer_history WHERE "session_id" = ? AND "person" = ? ORDER BY "seq"',
                (session_id, person.lower()),
            ).fetchall()
        return [_answer(r) for r in rows]

    def save_notes(self, notes: SessionNotes) -> None:
        with self._store._transaction() as conn:
            conn.execute(
                'INSERT INTO session_notes ("session_id", "next_step", "success_indicator", "written_by", '
                '"written_at") '
                'VALUES (?, ?, ?, ?, ?) ON CONFLICT ("session_id") DO UPDATE SET '
                '"next_step" = excluded."next_step", "success_indicator" = excluded."success_indicator", '
                '"written_by" = excluded."written_by", "written_at" = excluded."written_at"',
                (
                    notes.session_id,
                    notes.next_step,
                    notes.success_indicator,
                    notes.written_by,
                    to_utc_iso(notes.written_at, "written_at"),
                ),
            )

    def get_notes(self, session_id: str) -> SessionNotes | None:
        with self._store._connection() as conn:
            row = conn.execute('SELECT * FROM session_notes WHERE "session_id" = ?', (session_id,)).fetchone()
        if row is None:
            return None
        return SessionNotes(
            row["session_id"],
            row["next_step"],
            row["success_indicator"],
            row["written_by"],
            from_utc_iso(row["written_at"]),
        )
