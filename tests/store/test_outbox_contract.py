"""The outbox contract (store/outbox.py), for every backend: insert-once per (session, person, kind), due
messages, claims that only one of two readers wins, quiet-hours postponement, answers replaced with the
history kept, and the mentor's notes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from store.base import Store
from store.outbox import Answer, MessageKind, MessageState, Outbox, OutboxMessage, SessionNotes, open_outbox

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.fixture
def outbox(store: Store) -> Iterator[Outbox]:
    box = open_outbox(store)
    yield box
    drop = getattr(box, "drop_tables", None)
    if drop is not None:
        drop(store)


def message(
    kind: MessageKind = MessageKind.MENTEE_CHECKIN, person: str = "Ana@contoso.example", **kw: object
) -> OutboxMessage:
    values: dict[str, object] = {
        "session_id": "s1",
        "person": person,
        "kind": kind,
        "mentor": "maya@contoso.example",
        "due": T0,
        "created_at": T0 - MIN,
        "topic": "SQL",
    }
    values.update(kw)
    return OutboxMessage(**values)  # type: ignore[arg-type]


def test_enqueue_is_once_per_session_person_and_kind(outbox: Outbox) -> None:
    assert outbox.enqueue(message()) is True
    assert outbox.enqueue(message(due=T0 + MIN)) is False  # same key: the first stays
    assert outbox.enqueue(message(MessageKind.MENTEE_USEFULNESS)) is True
    stored = outbox.get_message("s1|ana@contoso.example|mentee_checkin")
    assert stored is not None and stored.due == T0 and stored.state is MessageState.PENDING
    assert stored.person == "ana@contoso.example" and stored.topic == "SQL"
    assert [m.kind for m in outbox.list_messages([MessageKind.MENTEE_USEFULNESS])] == [MessageKind.MENTEE_USEFULNESS]


def test_due_claim_and_lease(outbox: Outbox) -> None:
    outbox.enqueue(message())
    assert outbox.due_messages(T0 - MIN) == []
    (due,) = outbox.due_messages(T0)
    first = outbox.claim(due, lease_until=T0 + 10 * MIN)
    assert first is not None and first.state is MessageState.SENDING and first.attempts == 1
    assert outbox.claim(due, lease_until=T0 + 10 * MIN) is None  # a second reader of the same version loses
    assert outbox.due_messages(T0 + 5 * MIN) == []  # leased
    (expired,) = outbox.due_messages(T0 + 10 * MIN)  # the lease ran out: it is due again, still "sending"
    assert expired.state is MessageState.SENDING
    again = outbox.claim(expired, lease_until=T0 + 20 * MIN)
    assert again is not None and again.attempts == 2
    outbox.mark_sent(again.key, T0 + 11 * MIN)
    done = outbox.get_message(again.key)
    assert done is not None and done.state is MessageState.SENT and done.sent_at == T0 + 11 * MIN
    assert outbox.due_messages(T0 + timedelta(days=30)) == []


def test_release_and_postpone(outbox: Outbox) -> None:
    outbox.enqueue(message())
    (due,) = outbox.due_messages(T0)
    claimed = outbox.claim(due, lease_until=T0 + 10 * MIN)
    assert claimed is not None
    outbox.release(claimed.key, "429 throttled", T0 + MIN)
    assert outbox.due_messages(T0) == []
    (back,) = outbox.due_messages(T0 + MIN)
    assert back.state is MessageState.PENDING and back.last_error == "429 throttled"
    later = outbox.postpone(back, T0 + timedelta(hours=20))
    assert later is not None and later.earliest == T0 + timedelta(hours=20)
    assert outbox.due_messages(T0 + timedelta(hours=19)) == []
    assert outbox.postpone(back, T0) is None  # `back` is no longer the stored version


def test_revise_backs_off_gives_up_and_drops_under_compare_and_set(outbox: Outbox) -> None:
    outbox.enqueue(message())
    outbox.enqueue(message(MessageKind.MENTEE_USEFULNESS))
    checkin = outbox.get_message("s1|ana@contoso.example|mentee_checkin")
    useful = outbox.get_message("s1|ana@contoso.example|mentee_usefulness")
    assert checkin is not None and useful is not None
    claimed = outbox.claim(checkin, lease_until=T0 + 10 * MIN)
    assert claimed is not None
    # A failed Sent Items lookup: still "sending", its lease pushed out as the back-off, the error kept.
    held = outbox.revise(claimed, state=MessageState.SENDING, last_error="503", lease_until=T0 + 30 * MIN)
    assert held is not None and held.state is MessageState.SENDING
    assert (held.last_error, held.lease_until) == ("503", T0 + 30 * MIN)
    assert outbox.revise(claimed, state=MessageState.FAILED, last_error="stale") is None  # not the stored version
    assert [m.kind for m in outbox.due_messages(T0 + 29 * MIN)] == [MessageKind.MENTEE_USEFULNESS]
    gone = outbox.revise(held, state=MessageState.FAILED, last_error="gave up")
    assert gone is not None and gone.state is MessageState.FAILED
    assert (gone.last_error, gone.lease_until) == ("gave up", None)
    # A pending message waits with a reason, then is dropped; neither is ever due again.
    waiting = outbox.revise(useful, state=MessageState.PENDING, last_error="no mailbox", send_after=T0 + 6 * 60 * MIN)
    assert waiting is not None and waiting.earliest == T0 + 6 * 60 * MIN and waiting.last_error == "no mailbox"
    dropped = outbox.revise(waiting, state=MessageState.DROPPED, last_error="the session is no_show now")
    assert dropped is not None and dropped.state is MessageState.DROPPED
    assert outbox.due_messages(T0 + timedelta(days=60)) == []
    assert {m.state for m in outbox.list_messages()} == {MessageState.FAILED, MessageState.DROPPED}


def test_answering_again_replaces_and_keeps_history(outbox: Outbox) -> None:
    first = Answer("s1", "Ana@contoso.example", MessageKind.MENTEE_CHECKIN, "not_yet", T0)
    outbox.record_answer(first)
    outbox.record_answer(Answer("s1", "ana@contoso.example", MessageKind.MENTEE_CHECKIN, "applied", T0 + MIN, "did it"))
    outbox.record_answer(Answer("s1", "ana@contoso.example", MessageKind.MENTEE_USEFULNESS, "4", T0 + 2 * MIN))
    current = {(a.question, a.choice, a.note) for a in outbox.answers()}
    assert current == {(MessageKind.MENTEE_CHECKIN, "applied", "did it"), (MessageKind.MENTEE_USEFULNESS, "4", None)}
    history = [(a.question, a.choice) for a in outbox.answer_history("s1", "ana@contoso.example")]
    assert history == [
        (MessageKind.MENTEE_CHECKIN, "not_yet"),
        (MessageKind.MENTEE_CHECKIN, "applied"),
        (MessageKind.MENTEE_USEFULNESS, "4"),
    ]


def test_an_answer_without_a_note_keeps_the_saved_note(outbox: Outbox) -> None:
    # Re-opening a one-click link carries no note: the line written before stays; the history has both answers.
    person = "ana@contoso.example"
    outbox.record_answer(Answer("s1", person, MessageKind.MENTEE_CHECKIN, "partly", T0, "tried it on one report"))
    outbox.record_answer(Answer("s1", person, MessageKind.MENTEE_CHECKIN, "applied", T0 + MIN))
    assert [(a.choice, a.note) for a in outbox.answers()] == [("applied", "tried it on one report")]
    history = [(a.choice, a.note) for a in outbox.answer_history("s1", person)]
    assert history == [("partly", "tried it on one report"), ("applied", None)]


def test_an_empty_note_clears_the_saved_note(outbox: Outbox) -> None:
    person = "ana@contoso.example"
    outbox.record_answer(Answer("s1", person, MessageKind.MENTEE_CHECKIN, "partly", T0, "tried it"))
    outbox.record_answer(Answer("s1", person, MessageKind.MENTEE_CHECKIN, "partly", T0 + MIN, ""))
    assert [(a.choice, a.note) for a in outbox.answers()] == [("partly", None)]
    outbox.record_answer(Answer("s1", person, MessageKind.MENTEE_CHECKIN, "applied", T0 + 2 * MIN))
    assert [(a.choice, a.note) for a in outbox.answers()] == [("applied", None)]
    history = [(a.choice, a.note) for a in outbox.answer_history("s1", person)]
    assert history == [("partly", "tried it"), ("partly", ""), ("applied", None)]


def test_session_notes(outbox: Outbox) -> None:
    assert outbox.get_notes("s1") is None
    outbox.save_notes(SessionNotes("s1", "Write one query", "It runs under 1 s", "maya@contoso.example", T0))
    outbox.save_notes(SessionNotes("s1", "Write two queries", "Both run under 1 s", "maya@contoso.example", T0 + MIN))
    notes = outbox.get_notes("s1")
    assert notes is not None and notes.next_step == "Write two queries" and notes.written_at == T0 + MIN
