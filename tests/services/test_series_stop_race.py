"""Issue 16 (review finding F4): a stop that lands while the timer is booking the planned slot.

`advance_series` writes the plan, then books without looking at the series again, and `record` appends
the new session to a series already stopped: the person was told "no further session is booked" and gets
one. Expected: the booking step re-reads the series (or the record step cancels what it booked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.series import Series, SeriesState, stopped
from store.series import SeriesStore
from tests.services.test_series import BOOK_AT, RAVI, advance, finish, series_sessions, start, world  # noqa: F401


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
