"""Use cases on booked sessions: read one, cancel one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial

from core.errors import InputError, NotFound
from core.model import Session, SessionState
from core.session_claims import claim_cancel, moved_to
from graph.errors import GraphNotFound
from graph.gateway import GraphGateway
from store.base import Store

__all__ = ["cancel_session", "end_session", "get_session", "session_of_link"]

MAX_COMMENT = 500


async def get_session(store: Store, session_id: str) -> Session:
    session = await asyncio.to_thread(store.get_session, session_id) if session_id else None
    if session is None:
        raise NotFound("id", f"no session {session_id!r}")
    return session


async def session_of_link(store: Store, session_id: str, person: str) -> Session:
    """A session link's session, while the person the link was made for is still in it (session and
    series pages check this before every change)."""
    try:
        session = await get_session(store, session_id)
    except NotFound:
        raise NotFound("session", "this session is not known (it may have been removed)") from None
    if person not in (session.mentor, *session.mentees):
        raise NotFound("session", "the person this link was made for is not in this session")
    return session


async def cancel_session(
    graph: GraphGateway, store: Store, session_id: str, comment: str | None, *, now: datetime, field: str = "id"
) -> Session:
    """Cancel the Teams meeting (attendees get Graph's cancellation with the comment) and the session.

    The session is claimed first (`core.session_claims`): a cancel racing a move of the same session
    loses or wins as a whole, never half (409 on `field`, naming the session, for the loser). A retried
    cancel resumes its own claim; cancelling a cancelled session answers it as it is."""
    text = (comment or "").strip() or "The micro mentoring session was cancelled."
    if len(text) > MAX_COMMENT:
        raise InputError("comment", f"longer than {MAX_COMMENT} characters")
    session = await get_session(store, session_id)
    if session.state == SessionState.CANCELLED and moved_to(session) is None:
        return session
    session = await asyncio.to_thread(store.update_session, session.id, partial(claim_cancel, now=now, field=field))
    if session.state == SessionState.CANCELLED:
        return session
    return await end_session(
        graph,
        store,
        session,
        text,
        lambda s: replace(s, state=SessionState.CANCELLED, state_reason="cancelled_by_request", updated_at=now),
    )


async def end_session(
    graph: GraphGateway, store: Store, session: Session, comment: str, cancelled: Callable[[Session], Session]
) -> Session:
    """Cancel the meeting, free the slot, then store `cancelled(session)`: for a session its caller has
    claimed. Each step can run again after a crash (a meeting already gone is what we wanted)."""
    if session.event_id:
        with contextlib.suppress(GraphNotFound):
            await graph.cancel_event(session.mentor, session.event_id, comment)
    await asyncio.to_thread(store.release_slot, session.mentor, session.id)

    def cancel(s: Session) -> Session:
        return s if s.state == SessionState.CANCELLED else cancelled(s)

    return await asyncio.to_thread(store.update_session, session.id, cancel)
