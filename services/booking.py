"""Use case: turn a chosen slot into exactly one Teams meeting and one stored session.

Crash safety, in order: (1) the idempotency key is claimed, fixing the session id; (2) the slot's
grid cells are claimed atomically in the store, so two bookings of one slot cannot both pass;
(3) the session is written without an event; (4) the event is created with `transactionId` = the
session id, so a resend returns the first event; (5) the session gets the event id. A retry with the
same key after a crash anywhere resumes at the first unfinished step: no duplicate, no orphan.

A failure after (2) but before (4) is sent frees the claim and cancels the session (`booking_failed`):
no meeting can exist, and a retry with the same key books it afresh. From (4) on the meeting may
exist, so the claim stays and sync settles the booking. A process that dies between (2) and (3)
leaves a claim without a session: sync's `release_orphan_claims` frees it.
Same-key requests in flight at once: one books, the others wait for it (services.idempotency).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any, NoReturn

from core.agenda import AgendaPerson, build_agenda, invitation_subject, validate_question
from core.errors import Conflict, IdempotencyInProgress, InputError, PolicyViolation
from core.model import Attendee, CalendarItem, Participant, Session, SessionState
from core.ranking import rank_slots
from core.slots import Rejection, Rule, cap_span, caps_broken, check_slot, find_slots, rule_error
from core.text import check_text
from core.timefmt import iso_z
from graph.errors import GraphRequestError
from graph.gateway import GraphGateway
from graph.values import EventDraft, EventSnapshot
from policies import Policy, TenantPolicy
from services.idempotency import one_request_per_key
from services.people import resolve_people
from services.session_link_mail import mail_session_links
from services.slots import gather_attendees, session_minutes, validate_people
from store.base import IdempotencyRecord, SessionNotFound, Store

__all__ = ["NO_TEAMS_COMMENT", "BookingRequest", "BookingResult", "book_session", "session_to_json", "slot_cells"]

# Sent to attendees when an invitation Graph made without a Teams meeting is withdrawn.
NO_TEAMS_COMMENT = "Sorry: this invitation went out without a Teams link and is withdrawn."

log = logging.getLogger(__name__)
UNMADE = "booking_failed"  # state_reason of a booking that failed before Graph was asked for its meeting
MAX_TOPIC_LENGTH = 120
MAX_KEY_LENGTH = 200
ALTERNATIVES = 3


@dataclass(frozen=True, slots=True)
class BookingRequest:
    mentor: str
    mentees: tuple[str, ...]
    start: datetime
    question: str
    minutes: int | None = None
    topic: str | None = None
    idempotency_key: str | None = None
    request_id: str | None = None
    # A move: the session this booking replaces. Its own meeting, slot cells and count are not held
    # against the new time (it is cancelled once the new one is booked).
    replaces: Session | None = None
    series_id: str | None = None  # booked for a series (services/series.py)


@dataclass(frozen=True, slots=True)
class BookingResult:
    session: Session
    created: bool  # False when an earlier request with the same key had already booked it


def slot_cells(start: datetime, end: datetime, step_minutes: int) -> list[datetime]:
    """The grid cells a session occupies; claiming them is what makes one slot bookable once."""
    step = timedelta(minutes=step_minutes)
    cells, cell = [], start
    while cell < end:
        cells.append(cell)
        cell += step
    return cells


def _body_hash(request: BookingRequest, minutes: int) -> str:
    canonical = {
        "mentor": request.mentor.lower(),
        "mentees": sorted(m.lower() for m in request.mentees),
        "start": iso_z(request.start),
        "minutes": minutes,
        "question": request.question,
        "topic": request.topic,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


class SlotTaken(Conflict):
    """The slot is taken; `alternatives` (the next free starts) go in the 409's body."""

    def __init__(self, message: str, alternatives: list[dict[str, str]]) -> None:
        super().__init__("start", message)
        self.alternatives = alternatives

    def details(self) -> dict[str, Any]:
        return {"alternatives": self.alternatives}


def _raise_for(
    rejections: Sequence[Rejection],
    alternatives: list[dict[str, str]],
    *,
    start: datetime,
    policy: Policy,
    zones: dict[str, tzinfo],
) -> NoReturn:
    """A taken slot wins (409 with alternatives); otherwise the first broken rule, by `core.slots.RULE_OUTCOMES`."""
    taken = next((r for r in rejections if r.rule is Rule.BUSY), None)
    if taken is not None:
        raise SlotTaken(f"the slot is no longer free: {taken.message}", alternatives)
    raise rule_error(rejections[0], start=start, policy=policy, zones=zones)


def _alternatives(
    mentor: Attendee, mentees: Sequence[Attendee], policy: Policy, now: datetime, minutes: int, avoid: datetime
) -> list[dict[str, str]]:
    search = find_slots(mentor=mentor, mentees=mentees, policy=policy, now=now, minutes=minutes)
    others = replace(search, slots=tuple(s for s in search.slots if s.start != avoid))
    return [
        {"start": iso_z(s.start), "end": iso_z(s.end)}
        for s in rank_slots(others, mentor=mentor, policy=policy, limit=ALTERNATIVES)
    ]


async def _race_lost(
    store: Store, mine: Session, policy: Policy, zone: tzinfo, replaces: Session | None = None
) -> str | None:
    """Claims stop two bookings of the same cells. This stops concurrent bookings that each passed the
    calendar check but together break a rule: closer than the mentor's buffer, or over a cap (counted by
    the core, as the search counts them). Every booking writes its session before looking, so of two
    racers at least one sees the other and gives way: never both booked (at worst neither, and the
    clients pick again). Returns the rule lost on."""
    buffer = timedelta(minutes=policy.buffer_minutes)
    low, high = cap_span(mine.start, mentor_tz=zone)
    since, until = min(low, mine.start - buffer * 2), max(high, mine.end + buffer)
    others = [
        s
        for s in await asyncio.to_thread(store.list_sessions, mentor=mine.mentor, start_from=since, start_to=until)
        if s.id != mine.id and s.state != SessionState.CANCELLED and (replaces is None or s.id != replaces.id)
    ]
    if any(s.start < mine.end + buffer and s.end + buffer > mine.start for s in others):
        return "busy"
    broken = caps_broken((s.start for s in others), start=mine.start, mentor_tz=zone, policy=policy)
    return broken[0][0] if broken else None


async def _give_way(store: Store, mine: Session, now: datetime) -> None:
    await asyncio.to_thread(store.release_slot, mine.mentor, mine.id)
    await asyncio.to_thread(
        store.update_session,
        mine.id,
        lambda s: replace(s, state=SessionState.CANCELLED, state_reason="lost_race", updated_at=now),
    )


def check_idempotency_key(key: str | None) -> str | None:
    """An `Idempotency-Key` header as every booking route takes it: 1 to `MAX_KEY_LENGTH` characters,
    not blank, no control characters (400 naming the header); None when there is none."""
    if key is not None and (not key.strip() or len(key) > MAX_KEY_LENGTH):
        raise InputError("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    if key is not None:
        check_text("Idempotency-Key", key)
    return key


def _validated(request: BookingRequest) -> BookingRequest:
    mentor, mentees = validate_people(request.mentor, request.mentees)
    topic = request.topic.strip() if request.topic else None
    if topic is not None and len(topic) > MAX_TOPIC_LENGTH:
        raise InputError("topic", f"longer than {MAX_TOPIC_LENGTH} characters")
    if topic is not None:
        check_text("topic", topic)  # one line in the invitation's subject, like the question
    check_idempotency_key(request.idempotency_key)
    return replace(
        request, mentor=mentor, mentees=mentees, topic=topic or None, question=validate_question(request.question)
    )


async def book_session(
    graph: GraphGateway,
    store: Store,
    tenant_policy: TenantPolicy,
    request: BookingRequest,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None = None,
    mail_sender: str | None = None,
) -> BookingResult:
    """Book `request`. With `link_secret` each attendee gets their own signed link to the session
    page (services.session_page) in a personal e-mail from `mail_sender` (the mentor's mailbox when
    None; services.session_link_mail), and the invitation says so; without it, no link."""
    request = _validated(request)
    book = partial(
        _book, graph, store, tenant_policy, request, now=now, public_url=public_url, secret=link_secret,
        sender=mail_sender,
    )
    if request.idempotency_key is None:
        return await book()
    async with one_request_per_key(request.idempotency_key):
        return await book()


async def _book(
    graph: GraphGateway,
    store: Store,
    tenant_policy: TenantPolicy,
    request: BookingRequest,
    *,
    now: datetime,
    public_url: str,
    secret: str | None,
    sender: str | None,
) -> BookingResult:
    policy = tenant_policy.effective(request.mentor)
    minutes = session_minutes(policy, request.minutes)
    if request.start <= now:
        raise InputError("start", f"{iso_z(request.start)} is in the past")
    end = request.start + timedelta(minutes=minutes)

    key = request.idempotency_key or f"auto:{uuid.uuid4().hex}"
    body_hash = _body_hash(request, minutes)
    candidate = uuid.uuid4().hex
    # The calendars are read while the store claims the key: reads only, so a retry that finds its
    # booking already made just drops them, and the store's round costs no time of its own.
    reading = asyncio.ensure_future(gather_attendees(graph, policy, request.mentor, request.mentees, now))
    try:
        held = await asyncio.to_thread(store.claim_idempotency, IdempotencyRecord(key, body_hash, candidate, now))
        if held.body_hash != body_hash:
            raise Conflict("Idempotency-Key", "this key was already used for a different booking")
        session_id = held.session_id
        first = held.session_id == candidate  # only the request that made the key answers 201

        existing = await asyncio.to_thread(store.get_session, session_id)
        if existing is not None and existing.event_id:
            await _drop(reading)
            if existing.state == SessionState.SCHEDULED:  # a retry mails whoever the first try did not reach
                await _mail_links(graph, existing, public_url, secret, sender)
            return BookingResult(existing, created=False)
    except BaseException:
        await _drop(reading)
        raise

    mentor, mentees = await reading
    # A booking that failed before Graph was asked left nothing behind: a retry books it afresh.
    claimed_here = existing is None or _unmade(existing)
    if existing is None or _unmade(existing):
        try:
            people = await resolve_people(graph, (request.mentor, *request.mentees))
            existing = await _check_and_claim(
                store, request, policy, mentor, mentees, session_id, people, minutes=minutes, end=end, now=now
            )
        except SlotTaken:
            # Another request with this key (a retry on another host, or the first request when this
            # is the retry) may be booking it: its meeting makes the slot look taken.
            answer = await _answer_retry(store, session_id, created=first)
            if answer is None:
                raise
            return answer
    elif existing.state == SessionState.CANCELLED:
        # (A resumed booking skips the slot check: its own event may already be on the calendar.)
        # Booked and later cancelled is answered above; this one never got its meeting.
        raise Conflict("start", f"this booking was not made ({existing.state_reason}); book another slot")

    try:
        draft = _event_draft(existing, mentor, mentees, session_id, secret)
    except Exception:
        if claimed_here:
            # Nothing was sent to Graph yet, so no meeting can exist: the slot goes back.
            await _release_unmade(store, existing.mentor, session_id, now)
        raise
    event = await _create_event(graph, store, existing, draft)
    if not event.join_url:
        await _refuse_without_teams(graph, store, existing, event.id, now)

    def attach(s: Session) -> Session:
        return replace(s, event_id=event.id, join_url=event.join_url, updated_at=now)

    # From here on a meeting exists: a failure keeps the claim, and sync attaches the meeting later.
    booked = await asyncio.to_thread(store.update_session, session_id, attach)
    await _mail_links(graph, booked, public_url, secret, sender)
    return BookingResult(booked, created=first)


async def _drop(task: asyncio.Future[Any]) -> None:
    """Cancel a read no longer wanted and wait for it, whatever it raised."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _check_and_claim(
    store: Store,
    request: BookingRequest,
    policy: Policy,
    mentor: Attendee,
    mentees: tuple[Attendee, ...],
    session_id: str,
    people: tuple[Participant, ...],
    *,
    minutes: int,
    end: datetime,
    now: datetime,
) -> Session:
    """Check the slot against every rule, claim its cells and write the session (no event yet). Any
    failure after the claim frees it again: no step so far has reached Graph."""
    if request.replaces is not None:
        mentor, mentees = _without_own_meeting(request.replaces, mentor, mentees)
        # The replaced session's cells go to the move (held under the move's claim on that session).
        await asyncio.to_thread(store.release_slot, request.mentor, request.replaces.id)
    rejections = check_slot(
        start=request.start, minutes=minutes, mentor=mentor, mentees=mentees, policy=policy, now=now
    )
    if rejections:
        _raise_for(
            rejections,
            _alternatives(mentor, mentees, policy, now, minutes, request.start),
            start=request.start,
            policy=policy,
            zones={a.upn: a.tz for a in (mentor, *mentees)},
        )
    try:
        cells = slot_cells(request.start, end, policy.slot_step_minutes)
        await asyncio.to_thread(store.claim_slot, request.mentor, cells, session_id, now)
    except Conflict as exc:
        raise SlotTaken(
            "the slot was just booked by someone else",
            _alternatives(mentor, mentees, policy, now, minutes, request.start),
        ) from exc
    try:
        draft_session = Session(
            id=session_id,
            mentor=request.mentor,
            mentees=request.mentees,
            start=request.start,
            end=end,
            question=request.question,
            topic=request.topic,
            created_at=now,
            request_id=request.request_id,
            transaction_id=session_id,
            people=people,
            series_id=request.series_id,
        )
        written = await asyncio.to_thread(store.add_session, draft_session)
        if _unmade(written):
            written = await asyncio.to_thread(store.update_session, session_id, partial(_reopen, now=now))
        lost = await _race_lost(store, written, policy, mentor.tz, request.replaces)
    except Exception:
        await _release_unmade(store, request.mentor, session_id, now)
        raise
    if lost is not None:
        await _give_way(store, written, now)
        if lost == "busy":
            raise SlotTaken(
                "another booking of this mentor is being made right next to this slot",
                _alternatives(mentor, mentees, policy, now, minutes, request.start),
            )
        raise PolicyViolation(lost, f"{request.mentor} reached this cap while the booking was being made")
    return written


def _without_own_meeting(
    old: Session, mentor: Attendee, mentees: tuple[Attendee, ...]
) -> tuple[Attendee, tuple[Attendee, ...]]:
    """The attendees' calendars without the meeting of the session being moved: the mentor's copy by
    its event id (calendarView has ids); a mentee's by its exact start and end, because getSchedule's
    scheduleItems carry no id (resources/scheduleitem.md). Without this a one-step move (09:00 → 09:15)
    is refused by the buffer around the very meeting it replaces."""

    def own(item: CalendarItem, by_id: bool) -> bool:
        if by_id and item.event_id is not None:
            return item.event_id == old.event_id
        return item.start == old.start and item.end == old.end

    def strip(attendee: Attendee, by_id: bool) -> Attendee:
        return replace(attendee, items=tuple(i for i in attendee.items if not own(i, by_id)))

    return strip(mentor, True), tuple(strip(m, False) for m in mentees)


def _unmade(session: Session) -> bool:
    return session.state == SessionState.CANCELLED and session.state_reason == UNMADE


def _reopen(session: Session, *, now: datetime) -> Session:
    if not _unmade(session):
        return session
    return replace(session, state=SessionState.SCHEDULED, state_reason=None, updated_at=now)


async def _release_unmade(store: Store, mentor: str, session_id: str, now: datetime) -> None:
    """A booking that failed before any request to create its meeting: free its slot and cancel its
    session if one was written. Best effort: what fails here, sync's clean-up frees later."""

    def cancel(s: Session) -> Session:
        if s.state == SessionState.CANCELLED:
            return s
        return replace(s, state=SessionState.CANCELLED, state_reason=UNMADE, updated_at=now)

    try:
        await asyncio.to_thread(store.release_slot, mentor, session_id)
        await asyncio.to_thread(store.update_session, session_id, cancel)
    except SessionNotFound:
        pass
    except Exception:
        log.exception("booking %s: could not free its slot; sync will", session_id)


async def _answer_retry(store: Store, session_id: str, *, created: bool) -> BookingResult | None:
    """A booking that found the slot taken: taken by a request with the same key when this key's
    session exists (then its result, or "in progress"); None when the slot is really someone else's."""
    session = await asyncio.to_thread(store.get_session, session_id)
    if session is not None and session.event_id:
        return BookingResult(session, created=created)
    if session is not None and session.state != SessionState.CANCELLED:
        raise IdempotencyInProgress("a request with this key is still being booked; retry shortly")
    return None


async def _mail_links(
    graph: GraphGateway, session: Session, public_url: str, secret: str | None, sender: str | None
) -> None:
    """Each attendee's own session-page link, mailed to them alone (services.session_link_mail)."""
    if secret is None:
        return
    upns = [session.mentor, *session.mentees]
    mailboxes = await graph.get_mailboxes(upns)
    # No display name: the link mail takes the directory's (services.session_link_mail).
    people = [AgendaPerson(u, "", mailboxes[u].tz if u in mailboxes else UTC) for u in upns]
    subject = invitation_subject(session.question, session.topic)
    await mail_session_links(graph, session, subject, people, secret=secret, public_url=public_url, sender=sender)


def _event_draft(
    session: Session,
    mentor: Attendee,
    mentees: Sequence[Attendee],
    session_id: str,
    secret: str | None = None,
) -> EventDraft:
    agenda = build_agenda(
        question=session.question,
        topic=session.topic,
        start=session.start,
        end=session.end,
        mentor=AgendaPerson(mentor.upn, mentor.upn, mentor.tz),
        mentees=[AgendaPerson(m.upn, m.upn, m.tz) for m in mentees],
        session_url=None,
        links_by_mail=secret is not None,
    )
    return EventDraft(
        subject=agenda.subject,
        body_html=agenda.body_html,
        start=session.start,
        end=session.end,
        zone=mentor.tz,
        attendees=tuple((m.upn, m.upn) for m in mentees),
        transaction_id=session.transaction_id or session_id,
        categories=agenda.categories,
        reminder_minutes=agenda.reminder_minutes,
        allow_new_time_proposals=agenda.allow_new_time_proposals,
    )


async def _create_event(graph: GraphGateway, store: Store, session: Session, draft: EventDraft) -> EventSnapshot:
    try:
        return await graph.create_event(session.mentor, draft)  # finds its own resent event by transactionId
    except GraphRequestError as exc:
        reason = f"graph_rejected: {exc}"
        # Graph refused the meeting for good: free the slot and say why; a transient failure instead
        # keeps the claim so that a retry with the same key finishes the booking.
        await _cancel_unbooked(store, session, reason)
        raise


async def _cancel_unbooked(store: Store, session: Session, reason: str) -> None:
    await asyncio.to_thread(store.release_slot, session.mentor, session.id)
    await asyncio.to_thread(
        store.update_session,
        session.id,
        lambda s: replace(s, state=SessionState.CANCELLED, state_reason=reason),
    )


async def _refuse_without_teams(
    graph: GraphGateway, store: Store, session: Session, event_id: str, now: datetime
) -> NoReturn:
    """Graph can answer 201 with no Teams meeting (docs-contrib #4625, #4627: for example a mailbox
    without a Teams licence). A micro mentoring session without its Teams link is not one: take the
    invitation back, free the slot and say so, rather than book a meeting nobody can join."""
    await graph.cancel_event(session.mentor, event_id, NO_TEAMS_COMMENT)
    await _cancel_unbooked(store, session, "no_teams_meeting")
    raise GraphRequestError(
        f"Graph created the event for {session.mentor} without a Teams meeting (does the mailbox have a "
        "Teams licence?); the invitation was withdrawn and the slot freed",
        code="NoTeamsMeeting",
    )


def session_to_json(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "eventId": session.event_id,
        "joinUrl": session.join_url,
        "start": iso_z(session.start),
        "end": iso_z(session.end),
        "minutes": session.minutes,
        "mentor": session.mentor,
        "mentees": list(session.mentees),
        "attendees": [session.mentor, *session.mentees],
        "question": session.question,
        "topic": session.topic,
        "state": session.state.value,
        "stateReason": session.state_reason,
        "missing": list(session.missing),
        "requestId": session.request_id,
        "seriesId": session.series_id,
        "createdAt": iso_z(session.created_at),
    }
