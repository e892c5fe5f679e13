"""Use cases on booked sessions: read one, cancel one."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import datetime

from core.errors import Conflict, InputError, NotFound
from core.model import Session, SessionState
from graph.errors import GraphNotFound
from graph.gateway import GraphGateway
from store.base import Store

__all__ = ["cancel_session", "get_session"]

MAX_COMMENT = 500


async def get_session(store: Store, session_id: str) -> Session:
    session = await asyncio.to_thread(store.get_session, session_id) if session_id else None
    if session is None:
        raise NotFound("id", f"no session {session_id!r}")
    return session


async def cancel_session(
    graph: GraphGateway, store: Store, session_id: str, comment: str | None, *, now: datetime
) -> Session:
    """Cancel the Teams meeting (attendees get Graph's cancellation with the comment) and the session."""
    text = (comment or "").strip() or "The micro mentoring session was cancelled."
    if len(text) > MAX_COMMENT:
        raise InputError("comment", f"longer than {MAX_COMMENT} characters")
    session = await get_session(store, session_id)
    if session.state == SessionState.CANCELLED:
        return session
    if session.state != SessionState.SCHEDULED or session.end <= now:
        raise Conflict("id", f"session {session_id} is {session.state.value} and can no longer be cancelled")
    if session.event_id:
        # Already deleted in Outlook: cancelling it is what we wanted anyway.
        with contextlib.suppress(GraphNotFound):
            await graph.cancel_event(session.mentor, session.event_id, text)
    await asyncio.to_thread(store.release_slot, session.mentor, session.id)
    return await asyncio.to_thread(
        store.update_session,
        session.id,
        lambda s: replace(s, state=SessionState.CANCELLED, state_reason="cancelled_by_request", updated_at=now),
    )
