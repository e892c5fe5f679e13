"""Use case: pull calendar changes and Teams attendance back into the sessions.

Re-running is harmless: each session's state is derived from the full attendance reports and the
event as Graph has it now, never incremented; the delta link is saved only after its round applied.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from core.attendance import (
    ATTENDANCE_UNAVAILABLE,
    AWAITING_REPORT,
    REPORT_GRACE,
    awaits_identity,
    decide_state,
    participants_of,
)
from core.model import Session, SessionState
from core.session_claims import is_claimed
from graph.errors import GraphAuthError, GraphRequestError
from graph.gateway import GraphGateway
from graph.meetings import MeetingAttendance, MeetingRef
from graph.values import EventSnapshot
from policies import TenantPolicy
from services.booking import NO_TEAMS_COMMENT
from services.groups import close_empty_groups, reconcile_groups
from services.people import resolve_people
from store.base import Store

__all__ = ["ACTIVE_STATES", "SyncResult", "access_checkpoint", "find_sync_work", "sync_organizer"]

log = logging.getLogger(__name__)
ACTIVE_STATES = (SessionState.SCHEDULED, SessionState.PENDING_ATTENDANCE)
DELTA_PAST = timedelta(days=7)
DELTA_FUTURE = timedelta(days=70)  # beyond the longest horizon policy.md allows (62 days)
DELTA_RENEW_MARGIN = timedelta(days=63)
MEETING_LOOKAHEAD = timedelta(hours=24)  # upcoming sessions whose meeting id is looked up ahead of time
UNFINISHED_AFTER = timedelta(minutes=15)  # a booking still without its event this long after it began
# Ended sessions of one organizer whose attendance is read at once. Their items share chained $batches
# of 20 in the organizer's lane of 4 (graph/batching.py): 80 items in flight, as many waiting to fill the
# next batches while a throttled item waits out its Retry-After; each session is saved as soon as read.
ATTENDANCE_WINDOW = 160


@dataclass(slots=True)
class SyncResult:
    organizer: str
    moved: int = 0
    cancelled: int = 0
    repaired: int = 0
    decided: dict[str, int] = field(default_factory=dict)
    unavailable: int = 0  # sessions whose attendance Graph refused to show this run
    attendance_denied: str | None = None  # why, naming the organizer's missing policy or role

    def merge(self, other: SyncResult) -> None:
        self.moved += other.moved
        self.cancelled += other.cancelled
        self.repaired += other.repaired
        self.unavailable += other.unavailable
        self.attendance_denied = other.attendance_denied or self.attendance_denied
        for state, count in other.decided.items():
            self.decided[state] = self.decided.get(state, 0) + count


def find_sync_work(store: Store) -> list[str]:
    """Organizers with sessions that may still change (unfinished bookings included): one unit of work
    (one queue message) each."""
    sessions = store.list_sessions(states=ACTIVE_STATES)
    return sorted({s.mentor.lower() for s in sessions})


def _checkpoint_name(organizer: str) -> str:
    return f"delta:{organizer.lower()}"


def _calendar_change(session: Session, event: EventSnapshot | None, now: datetime) -> Session | None:
    """What an event as Graph has it now means for its session; None when nothing changes."""
    if event is None:
        return replace(session, state=SessionState.CANCELLED, state_reason="deleted_in_outlook", updated_at=now)
    if event.is_cancelled:
        return replace(session, state=SessionState.CANCELLED, state_reason="cancelled_in_outlook", updated_at=now)
    # Invitations go to people's SMTP addresses, which may differ from the address the session spells.
    mentees = participants_of(session)[1:]
    answers = [
        next((event.responses[a] for a in (m.address.lower(), *m.aliases) if a in event.responses), "none")
        for m in mentees
    ]
    if answers and all(a == "declined" for a in answers):
        return replace(session, state=SessionState.CANCELLED, state_reason="all_mentees_declined", updated_at=now)
    updated = session
    if event.join_url and event.join_url != session.join_url:
        # A later version of the event carries the Teams link (added in Outlook, or a new meeting).
        updated = replace(updated, join_url=event.join_url, online_meeting_id=None, updated_at=now)
    if (event.start, event.end) != (session.start, session.end):
        moved = replace(updated, start=event.start, end=event.end, updated_at=now)
        if event.end > now and session.state == SessionState.PENDING_ATTENDANCE:
            moved = replace(moved, state=SessionState.SCHEDULED, state_reason="moved")
        return moved
    return updated if updated is not session else None


async def _apply_calendar_changes(
    graph: GraphGateway, store: Store, organizer: str, sessions: list[Session], now: datetime
) -> SyncResult:
    result = SyncResult(organizer)
    by_event = {s.event_id: s for s in sessions if s.event_id}
    # Read with its version: two workers on one organizer (a duplicate queue message, a message back
    # after its visibility timeout) must not overwrite each other's delta link, so the write below is a
    # compare-and-set against this read (an ETag on Table Storage).
    saved = await asyncio.to_thread(store.read_checkpoint, _checkpoint_name(organizer))
    state = json.loads(saved.value) if saved and saved.value else None
    if state and datetime.fromisoformat(state["to"]) < now + DELTA_RENEW_MARGIN:
        state = None  # the window no longer covers the horizon: start a fresh round
    if state and not str(state["link"]).startswith(graph.settings.graph_url.rstrip("/") + "/"):
        state = None  # a link from another Graph endpoint (another emulator run, another cloud)
    window_from = datetime.fromisoformat(state["from"]) if state else now - DELTA_PAST
    window_to = datetime.fromisoformat(state["to"]) if state else now + DELTA_FUTURE
    try:
        page = await graph.calendar_delta(organizer, window_from, window_to, state["link"] if state else None)
    except GraphRequestError as exc:
        # Graph let the sync state go (410 SyncStateNotFound, on the deltaLink or on a nextLink in the
        # middle of a round; concepts/delta-query-overview.md) or no longer takes an old link: start over.
        if exc.status != 410 and (state is None or exc.status not in (400, 404)):
            raise
        state, window_from, window_to = None, now - DELTA_PAST, now + DELTA_FUTURE
        page = await graph.calendar_delta(organizer, window_from, window_to, None)

    changes: list[tuple[Session, Session]] = []
    for event in page.changed:
        session = by_event.get(event.id)
        if session is not None and (changed := _calendar_change(session, event, now)) is not None:
            changes.append((session, changed))
    for removed_id in page.removed:
        session = by_event.get(removed_id)
        if session is not None and (changed := _calendar_change(session, None, now)) is not None:
            changes.append((session, changed))
    if state is None:
        # A first round lists only the events that exist now: a meeting deleted before it is simply
        # absent. Ask for each session's event that did not show up.
        seen = {e.id for e in page.changed} | set(page.removed)
        for session in sessions:
            if session.event_id and session.event_id not in seen and window_from <= session.start < window_to:
                current = await graph.get_event(organizer, session.event_id)
                if (changed := _calendar_change(session, current, now)) is not None:
                    changes.append((session, changed))

    for before, after in changes:
        await _save(store, after)
        if after.state == SessionState.CANCELLED:
            result.cancelled += 1
        else:
            result.moved += 1
        if after.state == SessionState.CANCELLED or after.start != before.start:
            await asyncio.to_thread(store.release_slot, before.mentor, before.id)
    checkpoint = {"link": page.delta_link, "from": window_from.isoformat(), "to": window_to.isoformat()}
    written = await asyncio.to_thread(
        store.replace_checkpoint, _checkpoint_name(organizer), json.dumps(checkpoint), saved
    )
    if not written:
        # Another worker finished a round on this organizer since our read: its link stands. The session
        # changes above went through `update_session` (optimistic concurrency) and set the same values the
        # other worker set; the next round goes on from the winner's link.
        log.info("delta checkpoint of %s moved during this sync: keeping the other worker's", organizer)
    return result


async def _save(store: Store, target: Session, *, unless_decided_since: Session | None = None) -> bool:
    """Write `target`'s sync fields; True when written. With `unless_decided_since`, nothing is written
    (False) if the session's decision moved since that read: another worker (a duplicate message, one
    back after a visibility timeout) decided it first, and its decision is the one counted."""
    fields = (
        "state",
        "state_reason",
        "start",
        "end",
        "missing",
        "updated_at",
        "people",
        "join_url",
        "online_meeting_id",
    )

    written = False

    def apply(current: Session) -> Session:
        nonlocal written  # update_session may call this again after a lost race: the last call counts
        written = False
        if current.state == SessionState.CANCELLED:
            return current  # cancelled is final
        if unless_decided_since is not None and _decision(current) != _decision(unless_decided_since):
            return current
        written = True
        synced = replace(current, **{name: getattr(target, name) for name in fields})
        if synced.state == SessionState.SCHEDULED and is_claimed(current):
            # A move or cancel claimed the session after sync read it: the claim stays (core.session_claims).
            synced = replace(synced, state_reason=current.state_reason)
        return synced

    await asyncio.to_thread(store.update_session, target.id, apply)
    return written


def _decision(session: Session) -> tuple[SessionState, tuple[str, ...], str | None]:
    return session.state, session.missing, session.state_reason


async def _apply_attendance(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    organizer: str,
    sessions: Iterable[Session],
    now: datetime,
    window: int,
) -> SyncResult:
    """Decide ended sessions, at most `window` read at once, each saved as soon as it is read. Meetings
    about to happen get their online meeting id now, so that once they end two requests read their
    attendance."""
    result = SyncResult(organizer)
    open_sessions = [s for s in sessions if s.state in ACTIVE_STATES and s.join_url]
    ended = [s for s in open_sessions if s.end <= now]
    upcoming = [
        s for s in open_sessions if s.end > now and not s.online_meeting_id and s.start < now + MEETING_LOOKAHEAD
    ]
    if not ended and not upcoming:
        return result
    decided: set[str] = set()
    try:
        organizer_id = (await graph.get_user(organizer)).id  # refused without User.Read.All: named below
        if upcoming:
            await _remember_meetings(graph, store, organizer_id, upcoming)
        async with graph.meeting_reader(organizer_id) as reader:

            async def decide(session: Session) -> None:
                if session.join_url:
                    found = await reader.attendance(MeetingRef(session.join_url, session.online_meeting_id))
                    await _decide_one(graph, store, policy, session, found, now, result)
                decided.add(session.id)

            # Each session is decided and saved as soon as its reports are read, so a worker that dies
            # midway keeps what it finished and the next run picks up the rest.
            await _in_parallel([partial(decide, session) for session in ended], window)
    except GraphAuthError as denied:
        # Graph refuses this organizer's meetings (Teams application access policy, app role): no
        # session can be decided, and none may be called a no-show for it. Say who and what.
        result.attendance_denied = str(denied)
        log.warning("attendance of %s unavailable: %s", organizer, denied)
        for session in ended:
            if session.id in decided or session.state_reason == ATTENDANCE_UNAVAILABLE:
                continue
            # Unless a read still running when the refusal came decided it meanwhile.
            if await _save(
                store,
                replace(
                    session,
                    state=SessionState.PENDING_ATTENDANCE,
                    state_reason=ATTENDANCE_UNAVAILABLE,
                    missing=(),
                    updated_at=now,
                ),
                unless_decided_since=session,
            ):
                result.unavailable += 1
        problem = {"organizer": organizer, "since": now.isoformat(), "problem": str(denied)}
        await asyncio.to_thread(store.set_checkpoint, access_checkpoint(organizer), json.dumps(problem))
    else:
        if await asyncio.to_thread(store.get_checkpoint, access_checkpoint(organizer)):
            await asyncio.to_thread(store.set_checkpoint, access_checkpoint(organizer), "")
    return result


async def _in_parallel(jobs: Sequence[Callable[[], Awaitable[None]]], limit: int) -> None:
    """Run the jobs, at most `limit` at once; the first failure cancels the rest and is raised."""
    pending = list(reversed(jobs))
    running: set[asyncio.Task[None]] = set()
    try:
        while pending or running:
            while pending and len(running) < limit:
                running.add(asyncio.ensure_future(pending.pop()()))
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


def access_checkpoint(organizer: str) -> str:
    """Where the last refusal of an organizer's attendance is kept (empty once it can be read again)."""
    return f"access:{organizer.lower()}"


async def _remember_meetings(graph: GraphGateway, store: Store, organizer_id: str, sessions: Sequence[Session]) -> None:
    found = await graph.find_meetings(organizer_id, [s.join_url for s in sessions if s.join_url])
    for session in sessions:
        meeting_id = found.get(session.join_url or "")
        if meeting_id:
            remember = partial(_with_meeting_id, meeting_id=meeting_id)
            await asyncio.to_thread(store.update_session, session.id, remember)


def _with_meeting_id(session: Session, *, meeting_id: str) -> Session:
    return replace(session, online_meeting_id=meeting_id)


async def _decide_one(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    stored: Session,
    attendance: MeetingAttendance | None,
    now: datetime,
    result: SyncResult,
) -> None:
    if attendance is None:
        # Its attendance could not all be read this time: decide it on a later run; meanwhile it is
        # ended without a report read, and past the grace period Graph is named as the reason.
        await _unread(store, stored, now)
        return
    session = stored
    if not all(p.object_id for p in participants_of(session)):
        # Booked before people were resolved, or the directory did not answer then.
        session = replace(session, people=await resolve_people(graph, (session.mentor, *session.mentees)))
    if awaits_identity(session, attendance.reports or (), now):
        await _unread(store, stored, now)
        return
    decision = decide_state(
        session=session,
        reports=attendance.reports or None,
        now=now,
        ratio=policy.effective(session.mentor).completion_min_ratio,
    )
    decided = replace(
        session,
        state=decision.state,
        missing=decision.missing,
        state_reason=decision.reason,
        online_meeting_id=attendance.meeting_id,
        updated_at=now,
    )
    if _decision(decided) != _decision(stored):
        # Counted only by the worker whose write made the decision: attendance is counted once
        # however many workers read the same ended session.
        if await _save(store, decided, unless_decided_since=stored):
            result.decided[decided.state.value] = result.decided.get(decided.state.value, 0) + 1
    elif (decided.online_meeting_id, decided.people) != (stored.online_meeting_id, stored.people):
        await _save(store, decided)


async def _unread(store: Store, session: Session, now: datetime) -> None:
    reason = AWAITING_REPORT if now < session.end + REPORT_GRACE else ATTENDANCE_UNAVAILABLE
    if session.state == SessionState.SCHEDULED or (
        session.state == SessionState.PENDING_ATTENDANCE and session.state_reason != reason
    ):
        await _save(store, replace(session, state=SessionState.PENDING_ATTENDANCE, state_reason=reason, updated_at=now))


def _cancelled(session: Session, *, reason: str, now: datetime) -> Session:
    return replace(session, state=SessionState.CANCELLED, state_reason=reason, updated_at=now)


def _attach_event(session: Session, *, event_id: str, join_url: str | None, now: datetime) -> Session:
    return replace(session, event_id=event_id, join_url=join_url, updated_at=now)


async def _settle_unfinished_bookings(graph: GraphGateway, store: Store, organizer: str, now: datetime) -> SyncResult:
    """Bookings whose client went away between writing the session and attaching its event (Graph down,
    a dropped connection, a crash, and no retry with the same key). If Graph made the meeting, the
    session gets it; if not, the session is cancelled and its slot freed. No orphan, no half-written
    session is left behind."""
    result = SyncResult(organizer)
    sessions = await asyncio.to_thread(store.list_sessions, mentor=organizer, states=[SessionState.SCHEDULED])
    for session in sessions:
        if session.event_id or session.created_at > now - UNFINISHED_AFTER or not session.transaction_id:
            continue
        # Anywhere from a day before to the longest horizon ahead: the mentor may have moved it already.
        event = await graph.find_event_by_transaction(
            organizer, min(session.start, now) - timedelta(days=1), max(session.end, now) + DELTA_FUTURE,
            session.transaction_id,
        )  # fmt: skip
        if event is not None and not event.join_url:
            # Graph made it without a Teams meeting (a mailbox without Teams): as booking does, withdraw
            # the invitation rather than keep a meeting nobody can join.
            await graph.cancel_event(organizer, event.id, NO_TEAMS_COMMENT)
            event = None
            reason = "no_teams_meeting"
        else:
            reason = "booking_not_finished"
        if event is not None:
            attach = partial(_attach_event, event_id=event.id, join_url=event.join_url, now=now)
            await asyncio.to_thread(store.update_session, session.id, attach)
            result.repaired += 1
            continue
        await asyncio.to_thread(store.release_slot, session.mentor, session.id)
        await asyncio.to_thread(
            store.update_session,
            session.id,
            partial(_cancelled, reason=reason, now=now),
        )
        result.cancelled += 1
    return result


async def sync_organizer(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    organizer: str,
    *,
    now: datetime,
    progress: Callable[[str], None] | None = None,
    window: int = ATTENDANCE_WINDOW,
) -> SyncResult:
    """One organizer's unfinished bookings, calendar changes, then attendance of their ended sessions."""
    result = await _settle_unfinished_bookings(graph, store, organizer, now)
    # Group sessions: seats claimed by a join that died before its PATCH reach the meeting now.
    await reconcile_groups(graph, store, now=now, mentor=organizer)
    await close_empty_groups(graph, store, now=now, mentor=organizer)
    active = await asyncio.to_thread(store.list_sessions, mentor=organizer, states=ACTIVE_STATES)
    result.merge(await _apply_calendar_changes(graph, store, organizer, active, now))
    del active  # one organizer's sessions held once, not twice, while attendance runs (bench/sync.py RSS)
    fresh = await asyncio.to_thread(store.list_sessions, mentor=organizer, states=ACTIVE_STATES)
    result.merge(await _apply_attendance(graph, store, policy, organizer, fresh, now, window))
    if progress is not None:
        progress(f"{organizer}: {result.moved} moved, {result.cancelled} cancelled, decided {result.decided}")
        if result.attendance_denied:
            progress(
                f"{organizer}: attendance unavailable for {result.unavailable} session(s): {result.attendance_denied}"
            )
    return result
