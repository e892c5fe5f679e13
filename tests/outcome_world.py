"""Shared setup of the outcome-message tests (tests/services/test_outcomes.py, tests/functions/
test_outcome_timer.py): one completed session, Maya (mentor, London) with Ana (mentee, Pacific), ending
Tue 1 Dec 2026 10:00Z, in a SQLite store of its own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.model import Session, SessionState
from store.sqlite import SqliteStore

__all__ = ["ANA", "END", "MAYA", "TOPIC", "CompletedSession", "completed_session"]

MAYA, ANA = "maya@contoso.example", "ana@contoso.example"
END = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TOPIC = "SQL tuning"


@dataclass(frozen=True)
class CompletedSession:
    path: Path  # the SQLite file
    store: SqliteStore  # open on it (closed after the test)

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


@pytest.fixture
def completed_session(tmp_path: Path) -> Iterator[CompletedSession]:
    """A store holding session s1, completed: what the outcome messages are planned from."""
    path = tmp_path / "outcomes.db"
    store = SqliteStore(path)
    store.add_session(
        Session(
            id="s1",
            mentor=MAYA,
            mentees=(ANA,),
            start=END - timedelta(minutes=15),
            end=END,
            question="How do I read a query plan?",
            created_at=END - timedelta(days=2),
            state=SessionState.COMPLETED,
            topic=TOPIC,
        )
    )
    try:
        yield CompletedSession(path, store)
    finally:
        store.close()
