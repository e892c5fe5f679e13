"""The session page's use cases: what the page of one attendee's signed link (services.session_links)
shows, and the changes it makes.

The page's changes reuse the existing use cases: the checklist save is the store's version check (a
save based on an old version is refused, never applied over someone else's answers), cancel is
`services.sessions.cancel_session`, and a move books the new slot with `services.booking.book_session`
(idempotency key from the old session and its move claim, so a retried move books once) before the old
session is cancelled; the checklist travels with it. Both claim the session first
(`core.session_claims`), so of racing changes to one session exactly one wins.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from functools import partial

from core.checklist import ChecklistFields, validate_checklist
from core.errors import Conflict, IdempotencyInProgress, InputError, NotFound, PolicyViolation
from core.model import Checklist, Session, SessionState, Slot
from core.series import Series
from core.session_claims import claim_move, finish_move, move_claim_of, moved_to, release_move, successor_of
from core.timefmt import iso_z
from graph.errors import GraphNotFound, GraphRequestError, GraphUnavailable
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.booking import BookingRequest, book_session, slot_cells
from services.series_page import SeriesPanel
from services.session_links import SessionLinkClaims
from services.sessions import cancel_session, end_session, session_of_link
from services.slots import SlotQuery, search_slots
from store.base import Store
from store.series import SeriesNotFound, SeriesStore, open_series_store

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
GROUP_NOT_MOVED = (
    "its seats were taken for this time, so it is not moved from the page; cancel it (everyone who "
    "joined is told) and publish a new group session at the new time"
)


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
    # A session moved from the page: where it went (the new start, and the new session's id when the
    # viewer is in it, for the handler to link that person's own page of it).
    moved_to: datetime | None = None
    successor: Session | None = None
    successor_link: str | None = None  # relative link to the viewer's page of the new session
    series: SeriesPanel | None = None  # the session's series (services.series_page), filled by the handler


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
    session = await session_of_link(store, claims.session_id, claims.person)
    people, checklist = await asyncio.gather(_people(graph, session), checklist_for(store, session))
    changeable = _changeable(session, now)
    free: tuple[Slot, ...] = ()
    note: str | None = None
    if changeable and session.is_group:
        note = f"A group session cannot be moved: {GROUP_NOT_MOVED}."
    elif changeable:
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
    went, successor_id, successor = moved_to(session), successor_of(session), None
    if successor_id is not None:
        new = await asyncio.to_thread(store.get_session, successor_id)
        successor = new if new is not None and claims.person in (new.mentor, *new.mentees) else None
    return SessionView(session, claims.person, people, checklist, changeable, free, note, went, successor)


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
    session = await session_of_link(store, claims.session_id, claims.person)
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
    went = moved_to(session)
    if went is not None:  # the checklist moved with it: a save here would be lost to the new session
        raise Conflict("session", f"this session was moved to {iso_z(went)}; write on the new session's page")
    current = await checklist_for(store, session)
    if based_on > current.version:  # no form was ever loaded at a version not yet saved: not a conflict
        raise InputError("version", f"{based_on} is ahead of the saved version {current.version}; reload the page")
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
    session = await session_of_link(store, claims.session_id, claims.person)
    if session.is_group and claims.person != session.mentor:
        raise Conflict("session", "only the mentor cancels a group session; to give your seat back, leave it instead")
    comment = f"The micro mentoring session was cancelled by {claims.person}."
    return await cancel_session(graph, store, session.id, comment, now=now, field="session")


def _booked_nothing(exc: BaseException) -> bool:
    """True when `book_session` failed before any meeting could exist (a rule, a taken slot, a bad
    input, or Graph refusing the meeting for good, after which booking cancels its own session). A
    transient failure (Graph unavailable, a booking still in flight) keeps the claim: retry the move."""
    if isinstance(exc, IdempotencyInProgress | GraphUnavailable):
        return False
    return isinstance(exc, InputError | PolicyViolation | NotFound | Conflict | GraphRequestError)


async def _reclaim_cells(store: Store, session: Session, tenant_policy: TenantPolicy, now: datetime) -> None:
    """Give the old session back the slot cells the failed move's booking released."""
    step = tenant_policy.effective(session.mentor).slot_step_minutes
    with contextlib.suppress(Conflict):  # taken meanwhile: its meeting still blocks the calendar check
        await asyncio.to_thread(
            store.claim_slot, session.mentor, slot_cells(session.start, session.end, step), session.id, now
        )


async def _swap_in_series(series_store: SeriesStore, series_id: str, old_id: str, new_id: str, now: datetime) -> None:
    """The series keeps the moved session in the old one's place (one conditional update)."""

    def swap(s: Series) -> Series:
        if old_id not in s.session_ids or new_id in s.session_ids:
            return s  # done already (a retried move), or the old session is not this series' own
        ids = tuple(new_id if sid == old_id else sid for sid in s.session_ids)
        return replace(s, session_ids=ids, updated_at=now)

    with contextlib.suppress(SeriesNotFound):  # a session tagged by a repeat whose series was never written
        await asyncio.to_thread(series_store.update_series, series_id, swap)


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
    mail_sender: str | None = None,
    series_store: SeriesStore | None = None,
) -> Session:
    """Book the same people, question and length at `new_start` (every policy rule applies, as for any
    booking), carry the checklist over, then cancel the old session.

    Races: the old session is claimed first (`core.session_claims`, one conditional store update), so
    of two moves, or a move and a cancel, of one session exactly one goes ahead and the other gets 409
    naming the session. Crash safety: the booking's idempotency key is the old session's id and the
    claim's number, so a retried move (same new time) resumes the same booking, whose Graph event
    carries a fixed transactionId: one new session, one meeting. Booking comes before cancelling, so a
    crash between the two leaves the old session claimed and booked; the retry finds the new session
    and finishes the cancel. A booking that made nothing frees the claim for another choice.

    A series session stays in its series: the new session is booked with the series id, and the series
    swaps the old id for the new one in one conditional update (`series_store`, by default the one kept
    beside `store`), before the old session
    is cancelled; a retry finds the swap done and leaves it. The timer then waits for the moved session.

    A group session is not moved here: its seats were taken for that time (docs/addin.md, "Group
    sessions are not moved from the page")."""
    session = await session_of_link(store, claims.session_id, claims.person)
    if session.is_group:
        raise Conflict("session", f"session {session.id} is a group session: {GROUP_NOT_MOVED}")
    if new_start == session.start:
        raise InputError("start", "that is the session's current time")
    claimed = await asyncio.to_thread(
        store.update_session, session.id, partial(claim_move, target=new_start, now=now, field="session")
    )
    claim = move_claim_of(claimed)
    if claim is None:  # claim_move returns a claimed session or raises; sync may have rewritten the row since
        raise Conflict("session", f"session {session.id} changed while it was being moved; reload the page")
    try:
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
                idempotency_key=claim.idempotency_key(session.id),
                request_id=session.request_id,
                replaces=claimed,
                series_id=session.series_id,
            ),
            now=now,
            public_url=public_url,
            link_secret=link_secret,
            mail_sender=mail_sender,
        )
    except Exception as exc:
        if _booked_nothing(exc):
            await asyncio.to_thread(store.update_session, session.id, partial(release_move, claim=claim, now=now))
            await _reclaim_cells(store, claimed, tenant_policy, now)
        raise
    moved = result.session
    if session.series_id is not None:
        series = series_store if series_store is not None else open_series_store(store)
        await _swap_in_series(series, session.series_id, session.id, moved.id, now)
    old = await asyncio.to_thread(store.get_checklist, session.id)
    if old is not None and await asyncio.to_thread(store.get_checklist, moved.id) is None:
        # Conflict: someone already wrote on the new session's checklist (a retried move): theirs stands.
        with contextlib.suppress(Conflict):
            await asyncio.to_thread(store.save_checklist, replace(old, session_id=moved.id), 0)
    comment = f"The micro mentoring session was moved to {iso_z(new_start)} by {claims.person}."
    await end_session(graph, store, claimed, comment, partial(finish_move, claim=claim, now=now, successor=moved.id))
    return moved
