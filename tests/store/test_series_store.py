"""The series store on SQLite (file and memory) and Azure Table Storage (Azurite): round trip, insert
once, conditional updates under concurrency, listing by state; sessions keep their series id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import NotFound
from core.model import Session
from core.series import PlannedSession, Series, SeriesState, StopReason
from store.base import Store
from store.series import SeriesStore, open_series_store

WHEN = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)


@pytest.fixture
def series_store(store: Store) -> Iterator[SeriesStore]:
    opened = open_series_store(store)
    yield opened
    drop = getattr(opened, "drop", None)
    if drop is not None:
        drop()


def a_series(series_id: str = "s1", **changes: Any) -> Series:
    base = Series(
        id=series_id, mentor="ann@contoso.com", mentee="bob@contoso.com", minutes=20, anchor=WHEN,
        question="How do I plan a sprint?", created_at=WHEN - timedelta(days=1), created_by="bob@contoso.com",
        count=6, topic="planning",
    )  # fmt: skip
    return replace(base, **changes)


def test_round_trip_keeps_every_field(series_store: SeriesStore) -> None:
    full = a_series(
        book_ahead_days=7,
        state=SeriesState.STOPPED,
        stop_reason=StopReason.TWO_NO_SHOWS,
        stopped_by=None,
        stopped_at=WHEN + timedelta(days=30),
        next_occurrence=3,
        session_ids=("a", "b"),
        skipped=(2,),
        plan=PlannedSession(3, 1, WHEN + timedelta(days=42)),
        updated_at=WHEN + timedelta(days=30),
    )
    stored, inserted = series_store.add_series(full)
    assert replace(stored, version="") == full and inserted
    got = series_store.get_series("s1")
    assert got is not None and replace(got, version="") == full
    assert got.version != ""


def test_a_plan_to_search_again_has_no_start(series_store: SeriesStore) -> None:
    series_store.add_series(a_series(plan=PlannedSession(2, 3, None)))
    got = series_store.get_series("s1")
    assert got is not None and got.plan == PlannedSession(2, 3, None)


def test_add_twice_keeps_the_first(series_store: SeriesStore) -> None:
    assert series_store.add_series(a_series(topic="first"))[1]
    again, inserted = series_store.add_series(a_series(topic="second"))
    assert again.topic == "first" and not inserted
    assert series_store.get_series("nope") is None


def test_update_changes_and_moves_the_version(series_store: SeriesStore) -> None:
    first, _ = series_store.add_series(a_series())
    updated = series_store.update_series("s1", lambda s: replace(s, session_ids=(*s.session_ids, "x")))
    assert updated.session_ids == ("x",)
    stored = series_store.get_series("s1")
    assert stored is not None and stored.session_ids == ("x",) and stored.version != first.version
    with pytest.raises(NotFound):
        series_store.update_series("missing", lambda s: s)


def test_concurrent_appends_are_all_kept(
    series_store: SeriesStore, concurrently: Callable[[int, Callable[[int], object]], list[object]]
) -> None:
    series_store.add_series(a_series())
    results = concurrently(8, lambda i: series_store.update_series("s1", lambda s: replace(s, skipped=(*s.skipped, i))))
    assert not [r for r in results if isinstance(r, BaseException)]
    stored = series_store.get_series("s1")
    assert stored is not None and sorted(stored.skipped) == list(range(8))


def test_an_error_in_the_change_writes_nothing(series_store: SeriesStore) -> None:
    series_store.add_series(a_series())

    def refuse(s: Series) -> Series:
        raise ValueError("no")

    with pytest.raises(ValueError):
        series_store.update_series("s1", refuse)
    stored = series_store.get_series("s1")
    assert stored is not None and replace(stored, version="") == a_series()


def test_list_by_state_oldest_first(series_store: SeriesStore) -> None:
    series_store.add_series(a_series("new", created_at=WHEN))
    series_store.add_series(a_series("old", created_at=WHEN - timedelta(days=5)))
    series_store.add_series(a_series("done", state=SeriesState.COMPLETED))
    assert [s.id for s in series_store.list_series(SeriesState.ACTIVE)] == ["old", "new"]
    assert [s.id for s in series_store.list_series()] == ["old", "done", "new"]


def test_a_session_keeps_its_series_id(store: Store) -> None:
    session = Session(
        id="sess", mentor="ann@contoso.com", mentees=("bob@contoso.com",), start=WHEN,
        end=WHEN + timedelta(minutes=20), question="q", created_at=WHEN, series_id="s1",
    )  # fmt: skip
    store.add_session(session)
    assert store.get_session("sess") == session
    lone = replace(session, id="lone", series_id=None)
    store.add_session(lone)
    assert store.get_session("lone") == lone


def test_outbox_keeps_the_alternatives_of_a_series_message(store: Store) -> None:
    from store.outbox import MessageKind, OutboxMessage, open_outbox

    box = open_outbox(store)
    try:
        starts = (WHEN + timedelta(days=13), WHEN + timedelta(days=14, hours=2), WHEN + timedelta(days=17))
        note = OutboxMessage(
            session_id="s1|2", person="bob@contoso.com", kind=MessageKind.SERIES_NO_SLOT, mentor="ann@contoso.com",
            due=WHEN, created_at=WHEN, topic="planning", slots=starts,
        )  # fmt: skip
        assert box.enqueue(note)
        assert not box.enqueue(note)
        stored = box.get_message(note.key)
        assert stored is not None and stored.slots == starts and stored.kind is MessageKind.SERIES_NO_SLOT
        plain = OutboxMessage(
            session_id="x", person="bob@contoso.com", kind=MessageKind.MENTEE_CHECKIN, mentor="ann@contoso.com",
            due=WHEN, created_at=WHEN,
        )  # fmt: skip
        box.enqueue(plain)
        got = box.get_message(plain.key)
        assert got is not None and got.slots == ()
    finally:
        drop = getattr(box, "drop_tables", None)
        if drop is not None:
            drop(store)


def test_of_concurrent_adds_of_one_id_exactly_one_inserts(series_store: SeriesStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda n: series_store.add_series(a_series(topic=f"t{n}")), range(6)))
    winners = [stored.topic for stored, inserted in answers if inserted]
    assert len(winners) == 1
    assert {stored.topic for stored, _ in answers} == set(winners)  # everyone reads back the winner's
