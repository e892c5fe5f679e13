"""Moves and cancels of one session racing each other, through the real adapters: msgraph-sdk against
the emulator, SQLite (a version column) and Table Storage on Azurite (an ETag).

Maya (mentor, Europe/London = UTC in winter) and Ravi (mentee, India) share Mon-Thu 08:00-12:30Z; the
clock is Monday 30 Nov 2026 00:00Z. The session is booked for Tue 1 Dec 09:00-09:15Z; the moves go to
10:00Z and 11:00Z the same day (both free for both of them). Whatever the interleaving, one old session
has at most one successor: exactly one change wins and the other is a 409 naming the session.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import Conflict, PolicyViolation
from core.model import Session, SessionState
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services import session_page
from services import sessions as sessions_service
from services.booking import BookingRequest, book_session
from services.groups import GroupDraft, join_group, publish_group
from services.session_links import SessionLinkClaims
from services.session_page import cancel_from_page, move_from_page
from store import open_store
from store.base import Store
from tests.conftest import with_graph

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEN, ELEVEN = START + timedelta(hours=1), START + timedelta(hours=2)
URL = "http://127.0.0.1:7071"
SECRET = "a-test-secret-that-is-long-enough"


async def book(g: GraphGateway, store: Store) -> Session:
    request = BookingRequest(MAYA, (RAVI,), START, "How do I say no to a second project without burning bridges?")
    return (await book_session(g, store, TenantPolicy(), request, now=NOW, public_url=URL, link_secret=SECRET)).session


def link(session: Session, person: str = RAVI) -> SessionLinkClaims:
    return SessionLinkClaims(session.id, person, START + timedelta(days=30))


def move(g: GraphGateway, store: Store, session: Session, to: datetime) -> Any:
    return move_from_page(g, store, TenantPolicy(), link(session), to, now=NOW, public_url=URL, link_secret=SECRET)


def live(store: Store) -> list[Session]:
    return store.list_sessions(mentor=MAYA, states=[SessionState.SCHEDULED])


async def live_meetings(g: GraphGateway) -> list[dict[str, Any]]:
    """Maya's meetings still on in Outlook on Tuesday (a cancelled meeting leaves her calendar)."""
    events = await g.calendar_events(MAYA, START - timedelta(hours=1), START + timedelta(hours=6))
    return [e for e in events if not e.get("isCancelled")]


def the_loss(answers: list[Any], session: Session) -> Conflict:
    [lost] = [a for a in answers if isinstance(a, BaseException)]
    assert isinstance(lost, Conflict), lost
    assert lost.field == "session" and session.id in str(lost)
    return lost


def test_two_moves_at_once_leave_one_session_at_one_of_the_new_times(
    graph_settings: GraphSettings, any_store: Store
) -> None:
    store = any_store

    async def body(g: GraphGateway) -> tuple[Session, list[Any], list[dict[str, Any]]]:
        old = await book(g, store)
        answers = await asyncio.gather(move(g, store, old, TEN), move(g, store, old, ELEVEN), return_exceptions=True)
        return old, list(answers), await live_meetings(g)

    old, answers, meetings = with_graph(graph_settings, body)
    the_loss(answers, old)
    [won] = [a for a in answers if isinstance(a, Session)]
    assert won.start in (TEN, ELEVEN)
    assert [s.id for s in live(store)] == [won.id]
    assert [m["id"] for m in meetings] == [won.event_id]
    stored_old = store.get_session(old.id)
    assert stored_old is not None and stored_old.state == SessionState.CANCELLED


@pytest.mark.parametrize("cancel_first", [True, False])
def test_a_cancel_racing_a_move_leaves_either_nothing_or_the_moved_session(
    graph_settings: GraphSettings, any_store: Store, cancel_first: bool
) -> None:
    store = any_store

    async def body(g: GraphGateway) -> tuple[Session, list[Any], list[dict[str, Any]]]:
        old = await book(g, store)
        changes = [cancel_from_page(g, store, link(old), now=NOW), move(g, store, old, TEN)]
        answers = await asyncio.gather(*(changes if cancel_first else changes[::-1]), return_exceptions=True)
        return old, answers, await live_meetings(g)

    old, answers, meetings = with_graph(graph_settings, body)
    the_loss(answers, old)
    [won] = [a for a in answers if isinstance(a, Session)]
    if won.id == old.id:  # the cancel won: nothing is left, on either side
        assert won.state == SessionState.CANCELLED and live(store) == [] and meetings == []
    else:  # the move won: the moved session is the only one
        assert won.start == TEN
        assert [s.id for s in live(store)] == [won.id] and [m["id"] for m in meetings] == [won.event_id]


def test_a_move_that_dies_after_booking_and_is_retried_leaves_one_session_and_one_meeting(
    graph_settings: GraphSettings, any_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = any_store
    real_end = sessions_service.end_session
    crashes = iter([True])

    async def crash_once(*args: Any, **kwargs: Any) -> Session:
        if next(crashes, False):
            raise RuntimeError("the host died after booking the new time")
        return await real_end(*args, **kwargs)

    monkeypatch.setattr(session_page, "end_session", crash_once)

    async def body(g: GraphGateway) -> tuple[Session, Session, list[Any], list[dict[str, Any]]]:
        old = await book(g, store)
        with pytest.raises(RuntimeError):
            await move(g, store, old, TEN)
        # Meanwhile another move, or a cancel, of the half-moved session is refused, naming it.
        during = await asyncio.gather(
            move(g, store, old, ELEVEN), cancel_from_page(g, store, link(old), now=NOW), return_exceptions=True
        )
        moved = await move(g, store, old, TEN)  # the retry
        return old, moved, list(during), await live_meetings(g)

    old, moved, during, meetings = with_graph(graph_settings, body)
    for refused in during:
        assert isinstance(refused, Conflict) and refused.field == "session" and old.id in str(refused)
        assert "being moved to 2026-12-01T10:00:00Z" in str(refused)
    assert moved.start == TEN
    assert [s.id for s in live(store)] == [moved.id]
    assert [m["id"] for m in meetings] == [moved.event_id]  # one meeting at 10:00, the 09:00 one cancelled


def test_a_move_that_books_nothing_frees_the_session_for_another_choice(
    graph_settings: GraphSettings, any_store: Store
) -> None:
    store = any_store
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)  # Maya does not work on Saturdays

    async def body(g: GraphGateway) -> tuple[Session, Session]:
        old = await book(g, store)
        with pytest.raises(PolicyViolation):
            await move(g, store, old, saturday)
        return old, await move(g, store, old, ELEVEN)

    old, moved = with_graph(graph_settings, body)
    assert moved.start == ELEVEN and [s.id for s in live(store)] == [moved.id]
    stored_old = store.get_session(old.id)
    assert stored_old is not None and stored_old.state_reason == f"moved 2 2026-12-01T11:00:00Z {moved.id}"


def test_a_group_session_is_not_moved_from_the_page_and_keeps_its_seats(graph_settings: GraphSettings) -> None:
    """A group's seats were taken for its time: a move would book a 1:1 session for whoever joined and
    drop the seats. Refused (409 naming the session), and the page says so instead of offering times."""
    store = open_store("sqlite:///:memory:")

    async def body(g: GraphGateway) -> tuple[Session, Conflict, session_page.SessionView]:
        draft = GroupDraft(mentor=MAYA, topic="Writing a good design doc", start=TEN, seats=5)
        group = await publish_group(g, store, TenantPolicy(), draft, now=NOW, public_url=URL)
        group = await join_group(g, store, group.id, RAVI, now=NOW)
        with pytest.raises(Conflict) as refused:
            await move(g, store, group, ELEVEN)
        view = await session_page.session_view(g, store, TenantPolicy(), link(group), now=NOW)
        return group, refused.value, view

    group, refused, view = with_graph(graph_settings, body)
    assert refused.field == "session" and group.id in str(refused) and "group session" in str(refused)
    after = store.get_session(group.id)
    assert after is not None and after.state == SessionState.SCHEDULED
    assert (after.seats, after.mentees, after.start) == (5, (RAVI,), TEN)
    assert live(store) == [after]
    assert view.changeable and view.free == () and (view.free_note or "").startswith("A group session cannot be moved")


def test_a_sync_write_from_before_a_claim_keeps_the_claim(any_store: Store) -> None:
    """Sync read the session, a move claimed it, then sync writes what it saw in Outlook (here a new join
    link): the claim stays, so no second change can slip in while the move is under way."""
    from core.session_claims import claim_move, move_claim_of
    from services.sync import _save

    store = any_store
    session = store.add_session(
        Session("s1", MAYA, (RAVI,), START, START + timedelta(minutes=15), "Q?", NOW, event_id="e1", join_url="old")
    )
    store.update_session(session.id, lambda s: claim_move(s, TEN, now=NOW))
    assert asyncio.run(_save(store, replace(session, join_url="https://teams.example/new")))
    after = store.get_session(session.id)
    assert after is not None and after.join_url == "https://teams.example/new"
    claim = move_claim_of(after)
    assert claim is not None and claim.target == TEN


@pytest.mark.parametrize("minutes", [15, -15])
def test_a_one_step_move_is_not_refused_by_the_sessions_own_meeting(
    graph_settings: GraphSettings, any_store: Store, minutes: int
) -> None:
    """09:00-09:15 moved to 09:15 (or 08:45): only its own meeting is near the new time, and the
    move replaces that meeting, so neither the buffer nor the calendar nor its slot cells refuse it."""
    store = any_store
    to = START + timedelta(minutes=minutes)

    async def body(g: GraphGateway) -> tuple[Session, Session, list[dict[str, Any]]]:
        old = await book(g, store)
        return old, await move(g, store, old, to), await live_meetings(g)

    old, moved, meetings = with_graph(graph_settings, body)
    assert moved.start == to and moved.id != old.id
    assert [s.id for s in live(store)] == [moved.id]
    assert [m["id"] for m in meetings] == [moved.event_id]


def test_a_checklist_saved_on_the_old_page_after_a_move_is_refused_not_lost(graph_settings: GraphSettings) -> None:
    """A tab left open on the old session's page: its save would land on the cancelled session, which no
    page or check-in reads any more. Refused (409 naming the session and where it went), nothing written."""
    store = open_store("sqlite:///:memory:")

    async def body(g: GraphGateway) -> tuple[Session, Conflict]:
        old = await book(g, store)
        await move(g, store, old, TEN)
        with pytest.raises(Conflict) as refused:
            await session_page.save_checklist(
                store, link(old), question="Edited in a stale tab", options=["a", "b"], next_step="",
                success_indicator="", based_on=0, now=NOW,
            )  # fmt: skip
        return old, refused.value

    old, refused = with_graph(graph_settings, body)
    assert refused.field == "session" and "moved to 2026-12-01T10:00:00Z" in str(refused)
    assert store.get_checklist(old.id) is None


def test_only_the_mentor_cancels_a_group_session_a_mentee_leaves_it(graph_settings: GraphSettings) -> None:
    store = open_store("sqlite:///:memory:")

    async def body(g: GraphGateway) -> tuple[Session, Conflict, Session]:
        draft = GroupDraft(mentor=MAYA, topic="Writing a good design doc", start=TEN, seats=5)
        group = await publish_group(g, store, TenantPolicy(), draft, now=NOW, public_url=URL)
        group = await join_group(g, store, group.id, RAVI, now=NOW)
        with pytest.raises(Conflict) as refused:
            await cancel_from_page(g, store, link(group, RAVI), now=NOW)
        return group, refused.value, await cancel_from_page(g, store, link(group, MAYA), now=NOW)

    group, refused, cancelled = with_graph(graph_settings, body)
    assert refused.field == "session" and "only the mentor" in str(refused)
    assert cancelled.state == SessionState.CANCELLED and cancelled.id == group.id
