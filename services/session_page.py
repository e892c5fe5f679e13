"""The session page's use cases: what the page of one attendee's signed link (services.session_links)
shows, and the changes it makes.

The page's changes reuse the existing use cases: the checklist save is the store's version check (a
save based on an old version is refused, never applied over someone else's answers), cancel is
`services.sessions.cancel_session`, and a move books the new slot with `services.booking.book_session`
(idempotency key from the session and the new start, so a retried move books once) before the old
session is cancelled; the checklist travels with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from core.checklist import ChecklistFields, validate_checklist
from core.errors import Conflict, InputError, NotFound
from core.model import Checklist, Session, SessionState, Slot
from core.timefmt import iso_z
from graph.errors import GraphNotFound
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.booking import BookingRequest, book_session
from services.session_links import SessionLinkClaims
from services.sessions import cancel_session, get_session
from services.slots import SlotQuery, search_slots
from store.base import Store

__all__ = [
    "MOVE_CHOICES",
    "PagePerson",
    "SessionView",
    "cancel_from_page",
    "checklist_for",
    "move_from_page",
    "save_checklist",
    "save_checklist_of",
    "session_view",
]

MOVE_CHOICES = 6  # free slots the page offers for a move


@dataclass(frozen=True, slots=True)
class PagePerson:
    upn: str
    display_name: str
    tz: tzinfo
    role: str  # "mentor" or "mentee"


@dataclass(frozen=True, slots=True)
class SessionView:
    session: Session
    viewer: str
    people: tuple[PagePerson, ...]
    checklist: Checklist
    changeable: bool  # scheduled and not over: cancel and move are offered
    free: tuple[Slot, ...]  # other times for a move (empty when not changeable)
    free_note: str | None  # why there are none, when there are none


async def _session_for(store: Store, claims: SessionLinkClaims) -> Session:
    try:
        session = await get_session(store, claims.session_id)
    except NotFound:
        raise NotFound("session", "this session is not known (it may have been removed)") from None
    if claims.person not in (session.mentor, *session.mentees):
        raise NotFound("session", "the person this link was made for is not in this session")
    return session


async def checklist_for(store: Store, session: Session) -> Checklist:
    """The saved checklist, or a fresh one (version 0) holding the question asked at booking."""
    saved = await asyncio.to_thread(store.get_checklist, session.id)
    return saved if saved is not None else Checklist(session_id=session.id, question=session.question)


async def _people(graph: GraphGateway, session: Session) -> tuple[PagePerson, ...]:
    upns = [session.mentor, *session.mentees]
    mailboxes = await graph.get_mailboxes(upns)

    async def name(upn: str) -> str:
        try:
            return (await graph.get_user(upn)).display_name or upn
        except GraphNotFound:
            return upn

    names = await asyncio.gather(*(name(u) for u in upns))
    return tuple(
        PagePerson(upn, shown, mailboxes[upn].tz if upn in mailboxes else UTC, "mentor" if i == 0 else "mentee")
        for i, (upn, shown) in enumerate(zip(upns, names, strict=True))
    )


def _changeable(session: Session, now: datetime) -> bool:
    return session.state == SessionState.SCHEDULED and session.end > now


async def session_view(
    graph: GraphGateway, store: Store, tenant_policy: TenantPolicy, claims: SessionLinkClaims, *, now: datetime
) -> SessionView:
    session = await _session_for(store, claims)
    people, checklist = await asyncio.gather(_people(graph, session), checklist_for(store, session))
    changeable = _changeable(session, now)
    free: tuple[Slot, ...] = ()
    note: str | None = None
    if changeable:
        try:
            answer = await search_slots(
                graph,
                tenant_policy,
                SlotQuery(session.mentor, session.mentees, now, minutes=session.minutes, limit=MOVE_CHOICES),
            )
            free = tuple(sorted(answer.slots, key=lambda s: s.start))
            note = None if free else "; ".join(answer.search.reasons) or "no other time suits everyone"
        except (InputError, NotFound) as exc:  # e.g. the policy no longer allows this length
            note = str(exc)
    return SessionView(session, claims.person, people, checklist, changeable, free, note)


async def save_checklist(
    store: Store,
    claims: SessionLinkClaims,
    *,
    question: object,
    options: object,
    next_step: object,
    success_indicator: object,
    based_on: int,
    now: datetime,
) -> Checklist:
    """Validate and save every field as `claims.person`, if nobody saved since version `based_on`;
    `Conflict` (field `version`) otherwise, so the page can show both texts."""
    session = await _session_for(store, claims)
    return await save_checklist_of(
        store,
        session,
        claims.person,
        validate_checklist(
            question=question, options=options, next_step=next_step, success_indicator=success_indicator
        ),
        based_on=based_on,
        now=now,
    )


async def save_checklist_of(
    store: Store, session: Session, person: str, fields: ChecklistFields, *, based_on: int, now: datetime
) -> Checklist:
    if isinstance(based_on, bool) or not isinstance(based_on, int) or based_on < 0:
        raise InputError("version", "must be the whole-number version the form was loaded with")
    checklist = Checklist(
        session_id=session.id,
        question=fields.question,
        options=fields.options,
        next_step=fields.next_step,
        success_indicator=fields.success_indicator,
        updated_at=now,
        updated_by=person,
    )
    return await asyncio.to_thread(store.save_checklist, checklist, based_on)


async def cancel_from_page(graph: GraphGateway, store: Store, claims: SessionLinkClaims, *, now: datetime) -> Session:
    session = await _session_for(store, claims)
    comment = f"The micro mentoring session was cancelled by {claims.person}."
    return await cancel_session(graph, store, session.id, comment, now=now)


async def move_from_page(
    graph: GraphGateway,
    store: Store,
    tenant_policy: TenantPolicy,
    claims: SessionLinkClaims,
    new_start: datetime,
    *,
    now: datetime,
    public_url: str,
    link_secret: str,
) -> Session:
    """Book the same people, question and length at `new_start` (every policy rule applies, as for any
    booking), carry the checklist over, then cancel the old session. Booking first: a crash between
    the two leaves the old one booked as well, and the retried move (same idempotency key) finds the new
    session booked and finishes the cancel, so nobody is left without a session."""
    session = await _session_for(store, claims)
    if not _changeable(session, now):
        raise Conflict("session", f"this session is {session.state.value} and can no longer be moved")
    if new_start == session.start:
        raise InputError("start", "that is the session's current time")
    result = await book_session(
        graph,
        store,
        tenant_policy,
        BookingRequest(
            mentor=session.mentor,
            mentees=session.mentees,
            start=new_start,
            question=session.question,
            minutes=session.minutes,
            topic=session.topic,
            idempotency_key=f"move:{session.id}:{iso_z(new_start)}",
            request_id=session.request_id,
        ),
        now=now,
        public_url=public_url,
        link_secret=link_secret,
    )
    moved = result.session
    old = await asyncio.to_thread(store.get_checklist, session.id)
    if old is not None and await asyncio.to_thread(store.get_checklist, moved.id) is None:
        # Conflict: someone already wrote on the new session's checklist (a retried move): theirs stands.
        with contextlib.suppress(Conflict):
            await asyncio.to_thread(store.save_checklist, replace(old, session_id=moved.id), 0)
    comment = f"The micro mentoring session was moved to {iso_z(new_start)} by {claims.person}."
    await cancel_session(graph, store, session.id, comment, now=now)
    return moved
