"""Session checklists in both stores: saved whole, last save kept, and a save based on an old version
refused (never a silent overwrite), also when several writers race."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from core.errors import Conflict
from core.model import Checklist
from store.base import Store

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def checklist(**changes: Any) -> Checklist:
    base = Checklist(
        session_id="s-1",
        question="How do I open a salary negotiation?",
        options=("Name a range first", "Ask for their budget"),
        next_step="Write my walk-away number",
        success_indicator="Offer within my range by Friday",
        updated_at=AT,
        updated_by="ravi@contoso.example",
    )
    return replace(base, **changes)


def test_nothing_saved_reads_as_none(store: Store) -> None:
    assert store.get_checklist("s-1") is None


def test_first_save_is_version_one_and_reads_back_whole(store: Store) -> None:
    saved = store.save_checklist(checklist(), expected_version=0)
    assert saved.version == 1
    assert store.get_checklist("s-1") == checklist(version=1)


def test_saving_twice_keeps_the_last_and_empties_what_was_cleared(store: Store) -> None:
    store.save_checklist(checklist(), 0)
    second = checklist(options=("Only one",), next_step="", updated_by="maya@contoso.example")
    assert store.save_checklist(second, 1).version == 2
    stored = store.get_checklist("s-1")
    assert stored == replace(second, version=2)
    assert stored is not None and stored.next_step == "" and stored.options == ("Only one",)


def test_a_save_based_on_an_old_version_is_refused_and_changes_nothing(store: Store) -> None:
    store.save_checklist(checklist(), 0)
    store.save_checklist(checklist(next_step="Maya's step"), 1)
    with pytest.raises(Conflict) as caught:
        store.save_checklist(checklist(next_step="Ravi's step"), 1)
    assert caught.value.field == "version" and "version 2, not 1" in caught.value.message
    stored = store.get_checklist("s-1")
    assert stored is not None and stored.next_step == "Maya's step" and stored.version == 2


def test_a_first_save_when_one_exists_is_refused(store: Store) -> None:
    store.save_checklist(checklist(), 0)
    with pytest.raises(Conflict):
        store.save_checklist(checklist(question="other"), 0)


def test_checklists_are_per_session(store: Store) -> None:
    store.save_checklist(checklist(), 0)
    store.save_checklist(checklist(session_id="s-2", question="Another"), 0)
    one, two = store.get_checklist("s-1"), store.get_checklist("s-2")
    assert one is not None and two is not None
    assert (one.question, two.question) == ("How do I open a salary negotiation?", "Another")


def test_racing_saves_on_one_version_let_exactly_one_win(
    store: Store, concurrently: Callable[[int, Callable[[int], Any]], list[Any]]
) -> None:
    store.save_checklist(checklist(), 0)
    results = concurrently(6, lambda i: store.save_checklist(checklist(next_step=f"step {i}"), 1))
    winners = [r for r in results if isinstance(r, Checklist)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 5, results
    stored = store.get_checklist("s-1")
    assert stored is not None and stored.version == 2 and stored.next_step == winners[0].next_step
