"""`store.outbox.Outbox` on Azure Table Storage, beside a `TableStore` (same account and table prefix).

Tables:
``outbox`` — one partition ("o"), RowKey = the escaped message key; the entity's ETag is the version
  `claim` and `postpone` compare (`IfNotModified`), so two senders never both own a message.
``answers`` — PartitionKey = escaped "session|person"; RowKey ``current|<question>`` holds the current
  answer and ``h|<question>|<answered_at>|<uuid>`` each answer ever given. A new answer writes both in one
  entity-group transaction (same partition), so the history and the current answer never disagree.
``notes`` — PartitionKey = escaped session id, RowKey "": the mentor's next step and success indicator.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from store._codec import from_utc_iso, to_utc_iso
from store.outbox import Answer, MessageKind, MessageState, OutboxMessage, SessionNotes, slots_of, slots_text
from store.tables import TableStore, escape_key

__all__ = ["OUTBOX_TABLES", "TableOutbox"]

OUTBOX_TABLES = ("outbox", "answers", "notes")
_PARTITION = "o"
_CURRENT = "current|"


def _opt(entity: Mapping[str, Any], name: str) -> datetime | None:
    value = entity.get(name)
    return None if value in (None, "") else from_utc_iso(str(value))


def _entity(message: OutboxMessage) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": _PARTITION,
        "RowKey": escape_key(message.key),
        "session_id": message.session_id,
        "person": message.person.lower(),
        "kind": message.kind.value,
        "mentor": message.mentor,
        "due": to_utc_iso(message.due, "due"),
        "send_after": to_utc_iso(message.earliest, "send_after"),
        "created_at": to_utc_iso(message.created_at, "created_at"),
        "state": message.state.value,
        "attempts": message.attempts,
    }
    extras = (("topic", message.topic), ("last_error", message.last_error), ("slots", slots_text(message.slots)))
    for name, value in extras:
        if value is not None:
            entity[name] = value
    for name, moment in (("lease_until", message.lease_until), ("sent_at", message.sent_at)):
        if moment is not None:
            entity[name] = to_utc_iso(moment, name)
    return entity


def _message(entity: Mapping[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        session_id=str(entity["session_id"]),
        person=str(entity["person"]),
        kind=MessageKind(str(entity["kind"])),
        mentor=str(entity["mentor"]),
        topic=entity.get("topic"),
        due=from_utc_iso(str(entity["due"])),
        send_after=from_utc_iso(str(entity["send_after"])),
        created_at=from_utc_iso(str(entity["created_at"])),
        state=MessageState(str(entity["state"])),
        attempts=int(entity.get("attempts") or 0),
        lease_until=_opt(entity, "lease_until"),
        sent_at=_opt(entity, "sent_at"),
        last_error=entity.get("last_error"),
        version=str(entity.metadata["etag"]) if hasattr(entity, "metadata") else "",
        slots=slots_of(entity.get("slots")),
    )


def _answer(entity: Mapping[str, Any]) -> Answer:
    return Answer(
        session_id=str(entity["session_id"]),
        person=str(entity["person"]),
        question=MessageKind(str(entity["question"])),
        choice=str(entity["choice"]),
        answered_at=from_utc_iso(str(entity["answered_at"])),
        note=entity.get("note"),
    )


class TableOutbox:
    def __init__(self, store: TableStore) -> None:
        service = store._service
        prefix = store.table_prefix
        self._outbox: TableClient = service.create_table_if_not_exists(prefix + "outbox")
        self._answers: TableClient = service.create_table_if_not_exists(prefix + "answers")
        self._notes: TableClient = service.create_table_if_not_exists(prefix + "notes")

    def enqueue(self, message: OutboxMessage) -> bool:
        try:
            self._outbox.create_entity(_entity(message))
        except ResourceExistsError:
            return False
        return True

    def get_message(self, key: str) -> OutboxMessage | None:
        try:
            return _message(self._outbox.get_entity(_PARTITION, escape_key(key)))
        except ResourceNotFoundError:
            return None

    def due_messages(self, now: datetime, limit: int = 200) -> list[OutboxMessage]:
        query = (
            # The SDK substitutes @name only as a whole space-separated word, hence "@now )".
            "PartitionKey eq 'o' and ((state eq 'pending' and send_after le @now ) "
            "or (state eq 'sending' and lease_until le @now ))"
        )
        found = [_message(e) for e in self._outbox.query_entities(query, parameters={"now": to_utc_iso(now, "now")})]
        return sorted(found, key=lambda m: (m.earliest, m.key))[:limit]

    def _replace(self, message: OutboxMessage, changed: OutboxMessage) -> OutboxMessage | None:
        try:
            self._outbox.update_entity(
                _entity(changed),
                mode=UpdateMode.REPLACE,
                etag=message.version,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceNotFoundError, ResourceExistsError):
            return None
        except HttpResponseError as exc:
            if exc.status_code in (404, 409, 412):
                return None
            raise
        return self.get_message(message.key)

    def claim(self, message: OutboxMessage, *, lease_until: datetime) -> OutboxMessage | None:

        changed = replace(message, state=MessageState.SENDING, lease_until=lease_until, attempts=message.attempts + 1)
        return self._replace(message, changed)

    def postpone(self, message: OutboxMessage, send_after: datetime) -> OutboxMessage | None:

        return self._replace(
            message, replace(message, state=MessageState.PENDING, send_after=send_after, lease_until=None)
        )

    def revise(self, message: OutboxMessage, *, state: MessageState, last_error: str | None,
               send_after: datetime | None = None,
               lease_until: datetime | None = None) -> OutboxMessage | None:  # fmt: skip
        changed = replace(
            message,
            state=state,
            last_error=None if last_error is None else last_error[:500],
            lease_until=lease_until,
            send_after=send_after if send_after is not None else message.earliest,
        )
        return self._replace(message, changed)

    def mark_sent(self, key: str, sent_at: datetime) -> None:

        current = self.get_message(key)
        if current is not None:
            done = replace(current, state=MessageState.SENT, sent_at=sent_at, lease_until=None)
            self._outbox.update_entity(_entity(done), mode=UpdateMode.REPLACE)

    def release(self, key: str, error: str, send_after: datetime) -> None:
        current = self.get_message(key)
        if current is not None and current.state is MessageState.SENDING:
            changed = replace(
                current, state=MessageState.PENDING, lease_until=None, last_error=error[:500], send_after=send_after
            )
            self._replace(current, changed)

    def list_messages(self, kinds: Iterable[MessageKind] | None = None) -> list[OutboxMessage]:
        wanted = None if kinds is None else {k.value for k in kinds}
        found = [_message(e) for e in self._outbox.query_entities("PartitionKey eq 'o'")]
        return sorted((m for m in found if wanted is None or m.kind.value in wanted), key=lambda m: (m.due, m.key))

    def record_answer(self, answer: Answer) -> None:
        partition = escape_key(f"{answer.session_id}|{answer.person.lower()}")
        when = to_utc_iso(answer.answered_at, "answered_at")
        values: dict[str, Any] = {
            "session_id": answer.session_id,
            "person": answer.person.lower(),
            "question": answer.question.value,
            "choice": answer.choice,
            "answered_at": when,
        }
        if answer.note is not None:
            values["note"] = answer.note
        history = {
            "PartitionKey": partition,
            "RowKey": f"h|{answer.question.value}|{when}|{uuid.uuid4().hex}",
            **values,
        }
        current = {"PartitionKey": partition, "RowKey": _CURRENT + answer.question.value, **values}
        # MERGE: an answer without a note (a one-click answer) leaves the saved note as it is; "" clears it
        # (stored as "", read as None).
        self._answers.submit_transaction([("create", history), ("upsert", current, {"mode": UpdateMode.MERGE})])

    def answers(self) -> list[Answer]:
        query = "RowKey ge 'current|' and RowKey lt 'current}'"
        return sorted(
            (replace(a, note=a.note or None) for a in map(_answer, self._answers.query_entities(query))),
            key=lambda a: (a.answered_at, a.session_id, a.person),
        )

    def answer_history(self, session_id: str, person: str) -> list[Answer]:
        partition = escape_key(f"{session_id}|{person.lower()}")
        query = "PartitionKey eq @p and RowKey ge 'h|' and RowKey lt 'h}'"
        found = [_answer(e) for e in self._answers.query_entities(query, parameters={"p": partition})]
        return sorted(found, key=lambda a: a.answered_at)

    def save_notes(self, notes: SessionNotes) -> None:
        self._notes.upsert_entity(
            {
                "PartitionKey": escape_key(notes.session_id),
                "RowKey": "",
                "session_id": notes.session_id,
                "next_step": notes.next_step,
                "success_indicator": notes.success_indicator,
                "written_by": notes.written_by,
                "written_at": to_utc_iso(notes.written_at, "written_at"),
            },
            mode=UpdateMode.REPLACE,
        )

    def get_notes(self, session_id: str) -> SessionNotes | None:
        try:
            e = self._notes.get_entity(escape_key(session_id), "")
        except ResourceNotFoundError:
            return None
        return SessionNotes(
            str(e["session_id"]),
            str(e["next_step"]),
            str(e["success_indicator"]),
            str(e["written_by"]),
            from_utc_iso(str(e["written_at"])),
        )

    def drop_tables(self, store: TableStore) -> None:
        for name in OUTBOX_TABLES:
            store._service.delete_table(store.table_prefix + name)
