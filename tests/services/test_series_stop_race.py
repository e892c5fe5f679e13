"""Issue 16 (review finding F4): a stop that lands while the timer is booking the planned slot.

`advance_series` writes the plan, then books without looking at the series again, and `record` appends
the new session to a series already stopped: the person was told "no further session is booked" and gets
one. Expected: the booking step re-reads the series (or the record step cancels what it booked)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from core.model import SessionState
from core.series import Series, SeriesState, stopped
from store.series import SeriesStore
from tests.conftest import with_graph
from tests.services.test_series import BOOK_AT, MAYA, RAVI, advance, finish, series_sessions, start, world  # noqa: F401


class StopAfterPlan:
    """The mentee's stop lands right after the timer wrote its plan (before Graph is asked)."""

    def __init__(self, inner: SeriesStore) -> None:
        self.inner, self.done = inner, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def update_series(self, series_id: str, change: Callable[[Series], Series]) -> Series:
        written = self.inner.update_series(series_id, change)
        if not self.done and written.plan is not None and written.plan.start is not None:
            self.done = True
            self.inner.update_series(series_id, lambda s: stopped(s, by=RAVI, now=BOOK_AT))
        return written  # what the timer read back: the stop comes just after


def test_a_series_stopped_before_its_booking_books_nothing(world: dict[str, Any]) -> None:  # noqa: F811
    started = start(world)
    finish(world, started.session.id)
    racing = StopAfterPlan(world["series"])
    advance(world, started.series.id, BOOK_AT, series_store=racing)
    after = world["series"].get_series(started.series.id)
    assert after is not None and after.state is SeriesState.STOPPED
    assert len(series_sessions(world)) == 1, [s.start for s in series_sessions(world)]


class StopAfterCheck:
    """The stop lands after the timer's last look at the series, while Graph books the session."""

    def __init__(self, inner: SeriesStore) -> None:
        self.inner, self.done = inner, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def get_series(self, series_id: str) -> Series | None:
        read = self.inner.get_series(series_id)
        if not self.done and read is not None and read.plan is not None and read.plan.start is not None:
            self.done = True  # the read just before booking: still active; the stop comes right after
            self.inner.update_series(series_id, lambda s: stopped(s, by=RAVI, now=BOOK_AT))
        return read


def test_a_stop_landing_during_the_booking_cancels_what_was_booked(world: dict[str, Any]) -> None:  # noqa: F811
    started = start(world)
    finish(world, started.session.id)
    step = advance(world, started.series.id, BOOK_AT, series_store=StopAfterCheck(world["series"]))
    after = world["series"].get_series(started.series.id)
    assert after is not None and after.state is SeriesState.STOPPED
    assert step.outcome == "closed" and after.session_ids == (started.session.id,)
    # The session booked meanwhile (Tue 15 Dec 10:00Z, the target) is cancelled, its meeting with it.
    [extra] = [s for s in world["store"].list_sessions() if s.id != started.session.id]
    assert extra.start == datetime(2026, 12, 15, 10, tzinfo=UTC) and extra.event_id
    assert (extra.state, extra.state_reason) == (SessionState.CANCELLED, "cancelled_by_request")
    events = with_graph(
        world["graph"],
        lambda g: g.calendar_events(MAYA, datetime(2026, 12, 15, tzinfo=UTC), datetime(2026, 12, 16, tzinfo=UTC)),
    )
    assert [e for e in events if not e.get("isCancelled")] == []
