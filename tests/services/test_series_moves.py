"""A series session moved from its page stays in its series (issue 16, review finding F1), through the
real adapters (tests/services/test_series.py: Maya and Ravi, the first session Tue 1 Dec 10:00Z).

Moved to Wed 2 Dec 10:00Z (through `move_from_page` without a series store: it uses the one beside the
store), the series holds the new session in the old one's place; the timer on Fri 4 Dec (BOOK_AT, when
the next occurrence is due once the previous one is over) waits, because the moved session is not held
yet, and books the next occurrence once it is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.model import SessionState
from policies import TenantPolicy
from services.session_links import SessionLinkClaims
from services.session_page import move_from_page
from tests.conftest import with_graph
from tests.services.test_series import BOOK_AT, NOW, RAVI, URL, advance, start, world  # noqa: F401

MOVED_TO = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_a_moved_series_session_takes_the_old_ones_place(world: dict[str, Any]) -> None:  # noqa: F811
    started = start(world)
    claims = SessionLinkClaims(started.session.id, RAVI, NOW + timedelta(days=40))

    def move() -> Any:
        return with_graph(
            world["graph"],
            lambda g: move_from_page(
                g, world["store"], TenantPolicy(), claims, MOVED_TO, now=NOW, public_url=URL, link_secret="s" * 32
            ),
        )

    moved = move()
    assert (moved.start, moved.series_id) == (MOVED_TO, started.series.id)
    series = world["series"].get_series(started.series.id)
    assert series is not None and series.session_ids == (moved.id,)
    old = world["store"].get_session(started.session.id)
    assert old is not None and old.state is SessionState.CANCELLED

    assert advance(world, started.series.id, BOOK_AT).outcome == "not_due"
    world["store"].update_session(moved.id, lambda s: replace(s, state=SessionState.COMPLETED))
    booked = advance(world, started.series.id, BOOK_AT)
    assert booked.outcome == "booked" and booked.series.session_ids[0] == moved.id and booked.series.booked == 2
