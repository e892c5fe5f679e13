"""Use cases: biweekly series (cadence). Start one, advance each one (book its next session, skip an
occurrence without a slot, stop or complete it), stop one, read one.

Every session of a series is an ordinary booking through `services.booking.book_session`, so every rule
of the policy, the caps, the slot claims and the Teams meeting apply; it is not an Outlook recurrence.
The pure decisions (targets, the ±2 working-day window, the nearest slot, the stop rules) are in
`core.series`.

Crash safety of `advance_series` (run by a timer, `series_round`):
1. the chosen slot is written into the series as its plan (a conditional update) before it is booked;
2. the booking's idempotency key is `series:{id}:{occurrence}:{attempt}`, so running again after a crash
   anywhere books the planned slot under the same key: the same session, never a second one;
3. the series then records the session and moves to the next occurrence (a conditional update that
   appends the session once).
A stop racing the timer: the series is read again just before booking (stopped: nothing is booked), and
a stop that lands during the booking leaves the series as it is at step 3; the session just booked is
then cancelled through `services.sessions.cancel_session` (the meeting goes). A crash between that
booking and its cancel leaves the session booked (a stopped series is not advanced again).
A planned slot the booking refuses (taken meanwhile, a cap) turns the plan into "search again" with the
next attempt number, so the new search books under a new key. An occurrence without a slot enqueues the
"no slot" message for both people first (keyed by series, occurrence and person: enqueuing again adds
nothing), then moves the series on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.agenda import validate_question
from core.errors import Conflict, InputError, MicromentorError, PolicyViolation
from core.model import Session
from core.series import (
    DEFAULT_INTERVAL_DAYS,
    PlannedSession,
    Series,
    SeriesState,
    booking_due,
    ended,
    is_over,
    nearest_alternatives,
    nearest_slot,
    shared_working_days,
    stop_reason,
    stopped,
    target_start,
    validate_terms,
    working_day_window,
)
from core.slots import find_slots
from core.timefmt import iso_z
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.booking import BookingRequest, SlotTaken, book_session, check_idempotency_key, session_to_json
from services.sessions import cancel_session
from services.slots import gather_attendees, validate_people
from store.base import Store
from store.outbox import MessageKind, Outbox, OutboxMessage, open_outbox
from store.series import SeriesNotFound, SeriesStore, open_series_store

__all__ = [
    "DEFAULT_MINUTES",
    "SeriesDraft",
    "SeriesStarted",
    "Step",
    "advance_series",
    "get_series",
    "series_round",
    "series_to_json",
    "start_series",
    "stop_series",
]

log = logging.getLogger(__name__)
DEFAULT_MINUTES = 20  # the programme's pattern: 20 minutes every two weeks


@dataclass(frozen=True, slots=True)
class SeriesDraft:
    mentor: str
    mentee: str
    start: datetime  # the first session's start
    question: str
    created_by: str
    minutes: int = DEFAULT_MINUTES
    interval_days: int = DEFAULT_INTERVAL_DAYS
    count: int | None = None
    topic: str | None = None
    book_ahead_days: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SeriesStarted:
    series: Series
    session: Session
    created: bool  # False: an earlier request with the same key had started it


@dataclass(frozen=True, slots=True)
class Step:
    """What one `advance_series` did: booked, skipped (no slot), not_due, waiting (all booked, the last
    not over yet), retry (the planned slot was refused; the next run searches again), stopped,
    completed or closed (already stopped or completed)."""

    outcome: str
    series: Series
    session: Session | None = None


def _series_id(key: str | None) -> str:
    if key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"series|{key}".encode()).hexdigest()[:32]


def _same_terms(
    series: Series, draft: SeriesDraft, minutes: int, interval: int, count: int | None, ahead: int | None
) -> bool:
    """Every term of the request, normalised as the series stores it (question and topic trimmed)."""
    topic = draft.topic.strip() if draft.topic else None
    asked = (draft.mentor, draft.mentee, draft.start, minutes, interval, count, ahead)
    stored = (series.mentor, series.mentee, series.anchor, series.minutes, series.interval_days, series.count)
    return (*stored, series.book_ahead_days) == asked and (series.question, series.topic) == (
        validate_question(draft.question),
        topic or None,
    )


async def start_series(
    graph: GraphGateway,
    store: Store,
    series_store: SeriesStore,
    tenant_policy: TenantPolicy,
    draft: SeriesDraft,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None = None,
) -> SeriesStarted:
    """Book the first session (the normal booking: every rule and cap) and record the series. With an
    idempotency key, the series id comes from the key: a retry answers the same series and session."""
    check_idempotency_key(draft.idempotency_key)
    mentor, mentees = validate_people(draft.mentor, (draft.mentee,))
    draft = replace(draft, mentor=mentor, mentee=mentees[0])
    minutes, interval, count, ahead = validate_terms(
        minutes=draft.minutes,
        interval_days=draft.interval_days,
        count=draft.count,
        book_ahead_days=draft.book_ahead_days,
    )
    series_id = _series_id(draft.idempotency_key)
    existing = await asyncio.to_thread(series_store.get_series, series_id)
    if existing is not None:
        if not _same_terms(existing, draft, minutes, interval, count, ahead):
            raise Conflict("Idempotency-Key", "this key was already used to start a different series")
        first = await asyncio.to_thread(store.get_session, existing.session_ids[0])
        if first is not None:
            return SeriesStarted(existing, first, created=False)
    booked = await book_session(
        graph,
        store,
        tenant_policy,
        BookingRequest(
            mentor=draft.mentor,
            mentees=(draft.mentee,),
            start=draft.start,
            question=draft.question,
            minutes=minutes,
            topic=draft.topic,
            idempotency_key=f"series:{series_id}:0:0",
            series_id=series_id,
        ),
        now=now,
        public_url=public_url,
        link_secret=link_secret,
    )
    session = booked.session
    series = Series.first_held(
        series_id,
        session,
        created_by=draft.created_by.strip().lower(),
        interval_days=interval,
        count=count,
        book_ahead_days=ahead,
        now=now,
    )
    stored, _ = await asyncio.to_thread(series_store.add_series, series)
    return SeriesStarted(stored, session, created=existing is None and booked.created)


async def get_series(series_store: SeriesStore, series_id: str) -> Series:
    found = await asyncio.to_thread(series_store.get_series, series_id) if series_id else None
    if found is None:
        raise SeriesNotFound(series_id)
    return found


async def stop_series(series_store: SeriesStore, series_id: str, *, by: str, now: datetime) -> Series:
    """Either person stops the series (409 when it is already stopped or completed). A session already
    booked stays booked: cancel it like any other session."""
    await get_series(series_store, series_id)
    person = by.strip().lower()
    return await asyncio.to_thread(series_store.update_series, series_id, lambda s: stopped(s, by=person, now=now))


def _mentor_answers(series: Series, answers: Mapping[tuple[str, str], str]) -> dict[str, str]:
    return {sid: answers[(sid, series.mentor)] for sid in series.session_ids if (sid, series.mentor) in answers}


async def _sessions(store: Store, series: Series) -> list[Session]:
    found = [await asyncio.to_thread(store.get_session, sid) for sid in series.session_ids]
    return [s for s in found if s is not None]


async def advance_series(
    graph: GraphGateway,
    store: Store,
    series_store: SeriesStore,
    outbox: Outbox,
    tenant_policy: TenantPolicy,
    series_id: str,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None = None,
    mentor_answers: Mapping[tuple[str, str], str] | None = None,
) -> Step:
    """One step of one series; see the module docstring. `mentor_answers`: (session id, mentor) -> the
    current answer to the outcome follow-up (default: read from the outbox)."""
    series = await get_series(series_store, series_id)
    if not series.is_open:
        return Step("closed", series)
    if mentor_answers is None:
        mentor_answers = await _follow_up_answers(outbox)
    sessions = await _sessions(store, series)
    reason = stop_reason(sessions, _mentor_answers(series, mentor_answers))
    if reason is not None:
        closed = await asyncio.to_thread(
            series_store.update_series, series.id, lambda s: ended(s, reason, by=None, now=now) if s.is_open else s
        )
        return Step("stopped", closed)
    if series.count is not None and series.booked >= series.count:
        if all(is_over(s.state) for s in sessions):
            done = await asyncio.to_thread(
                series_store.update_series,
                series.id,
                lambda s: replace(s, state=SeriesState.COMPLETED, plan=None, updated_at=now) if s.is_open else s,
            )
            return Step("completed", done)
        return Step("waiting", series)

    plan = series.plan if series.plan is not None and series.plan.occurrence == series.next_occurrence else None
    if plan is None or plan.start is None:
        planned = await _plan(graph, series_store, outbox, tenant_policy, series, sessions, plan, now=now)
        if isinstance(planned, Step):
            return planned
        series, plan = planned
    return await _book(graph, store, series_store, tenant_policy, series, plan, now, public_url, link_secret)


async def _plan(
    graph: GraphGateway,
    series_store: SeriesStore,
    outbox: Outbox,
    tenant_policy: TenantPolicy,
    series: Series,
    sessions: list[Session],
    plan: PlannedSession | None,
    *,
    now: datetime,
) -> Step | tuple[Series, PlannedSession]:
    """Search the occurrence's window: a plan written into the series, or a skip (message enqueued)."""
    policy = tenant_policy.effective(series.mentor)
    mentor, mentees = await gather_attendees(graph, policy, series.mentor, (series.mentee,), now)
    days = shared_working_days(mentor.working_hours, mentees[0].working_hours)
    occurrence = series.next_occurrence
    target = target_start(series.anchor, occurrence, series.interval_days, mentor.tz)
    passed: list[int] = []
    while working_day_window(target, mentor.tz, days)[1] <= now:  # a window gone by (an outage): missed
        passed.append(occurrence)
        occurrence += 1
        target = target_start(series.anchor, occurrence, series.interval_days, mentor.tz)
    previous = sessions[-1].state if sessions else None
    window = working_day_window(target, mentor.tz, days)
    if not booking_due(
        previous=previous,
        target=target,
        window_end=window[1],
        now=now,
        horizon_days=policy.horizon_days,
        book_ahead_days=series.book_ahead_days,
    ):
        if passed:
            series = await _move_on(series_store, series, tuple(passed), occurrence, now)
        return Step("not_due", series)
    search = find_slots(mentor=mentor, mentees=mentees, policy=policy, now=now, minutes=series.minutes)
    chosen = nearest_slot(search.slots, target, window)
    if chosen is None:
        offered = tuple(s.start for s in nearest_alternatives(search.slots, target))
        for person in (series.mentor, series.mentee):
            await asyncio.to_thread(
                outbox.enqueue,
                OutboxMessage(
                    session_id=f"{series.id}|{occurrence}",
                    person=person,
                    kind=MessageKind.SERIES_NO_SLOT,
                    mentor=series.mentor,
                    due=now,
                    created_at=now,
                    topic=series.topic,
                    slots=offered,
                ),
            )
        log.info("series %s: no slot for occurrence %d (target %s)", series.id, occurrence, iso_z(target))
        moved = await _move_on(series_store, series, (*passed, occurrence), occurrence + 1, now)
        return Step("skipped", moved)
    attempt = plan.attempt if plan is not None else 0
    wanted = PlannedSession(occurrence, attempt, chosen.start)
    seen = series

    def write_plan(s: Series) -> Series:
        if not s.is_open or s.next_occurrence != seen.next_occurrence or s.plan != seen.plan:
            return s  # another run moved the series meanwhile: its plan stands
        return replace(s, next_occurrence=occurrence, skipped=(*s.skipped, *passed), plan=wanted, updated_at=now)

    written = await asyncio.to_thread(series_store.update_series, series.id, write_plan)
    if written.plan is None or written.plan.start is None or not written.is_open:
        return Step("retry", written)
    return written, written.plan


async def _move_on(
    series_store: SeriesStore, series: Series, skipped: tuple[int, ...], to: int, now: datetime
) -> Series:
    def move(s: Series) -> Series:
        if not s.is_open or s.next_occurrence != series.next_occurrence:
            return s
        return replace(s, next_occurrence=to, skipped=(*s.skipped, *skipped), plan=None, updated_at=now)

    return await asyncio.to_thread(series_store.update_series, series.id, move)


def _refused(exc: MicromentorError) -> bool:
    """The planned slot cannot be booked any more: taken, a rule or cap now broken, or its start past."""
    return isinstance(exc, SlotTaken | PolicyViolation) or (
        isinstance(exc, InputError | Conflict) and exc.field == "start"
    )


async def _book(
    graph: GraphGateway,
    store: Store,
    series_store: SeriesStore,
    tenant_policy: TenantPolicy,
    series: Series,
    plan: PlannedSession,
    now: datetime,
    public_url: str,
    link_secret: str | None,
) -> Step:
    assert plan.start is not None  # _plan writes a start; a None start is searched again first
    request = BookingRequest(
        mentor=series.mentor,
        mentees=(series.mentee,),
        start=plan.start,
        question=series.question,
        minutes=series.minutes,
        topic=series.topic,
        idempotency_key=f"series:{series.id}:{plan.occurrence}:{plan.attempt}",
        series_id=series.id,
    )
    current = await get_series(series_store, series.id)  # a stop may have landed since the plan was written
    if not current.is_open:
        return Step("closed", current)
    try:
        booked = await book_session(
            graph, store, tenant_policy, request, now=now, public_url=public_url, link_secret=link_secret
        )
    except MicromentorError as exc:
        if not _refused(exc):
            raise  # Graph down, throttled, ...: the plan stays, the next run books it under the same key
        log.info("series %s: planned slot %s refused (%s); searching again", series.id, iso_z(plan.start), exc)
        again = PlannedSession(plan.occurrence, plan.attempt + 1, None)
        retried = await asyncio.to_thread(
            series_store.update_series,
            series.id,
            lambda s: replace(s, plan=again, updated_at=now) if s.plan == plan else s,
        )
        return Step("retry", retried)
    session = booked.session

    def record(s: Series) -> Series:
        if session.id in s.session_ids or not s.is_open:
            return s  # recorded already, or stopped meanwhile: the session is cancelled below
        return replace(
            s, session_ids=(*s.session_ids, session.id), next_occurrence=plan.occurrence + 1, plan=None, updated_at=now
        )

    recorded = await asyncio.to_thread(series_store.update_series, series.id, record)
    if session.id not in recorded.session_ids:
        # Stopped between the check above and the booking: nobody was told of this session; cancel it the
        # normal way (the meeting goes, both people get Outlook's cancellation).
        comment = "The micro mentoring series was stopped while its next session was being booked."
        await cancel_session(graph, store, session.id, comment, now=now)
        log.info("series %s: stopped while booking; session %s cancelled", series.id, session.id)
        return Step("closed", recorded)
    return Step("booked", recorded, session)


async def _follow_up_answers(outbox: Outbox) -> dict[tuple[str, str], str]:
    answers = await asyncio.to_thread(outbox.answers)
    return {(a.session_id, a.person.lower()): a.choice for a in answers if a.question is MessageKind.MENTOR_FOLLOWUP}


async def series_round(
    graph: GraphGateway,
    store: Store,
    tenant_policy: TenantPolicy,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None = None,
    series_store: SeriesStore | None = None,
    outbox: Outbox | None = None,
) -> dict[str, int]:
    """One timer tick: advance every active series; counts per outcome. A series whose step fails on one
    of our errors (Graph unavailable, an unknown user) is logged and tried again on the next tick. The
    series store and outbox are the runtime's (micromentor.bootstrap); None: those kept beside `store`."""
    series_store = series_store or open_series_store(store)
    outbox = outbox or open_outbox(store)
    answers = await _follow_up_answers(outbox)
    counts: dict[str, int] = {}
    for series in await asyncio.to_thread(series_store.list_series, SeriesState.ACTIVE):
        try:
            step = await advance_series(
                graph, store, series_store, outbox, tenant_policy, series.id,
                now=now, public_url=public_url, link_secret=link_secret, mentor_answers=answers,
            )  # fmt: skip
            outcome = step.outcome
        except MicromentorError as exc:
            log.warning("series %s: %s; tried again next run", series.id, exc)
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def series_to_json(series: Series, sessions: list[Session] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": series.id,
        "mentor": series.mentor,
        "mentee": series.mentee,
        "minutes": series.minutes,
        "intervalDays": series.interval_days,
        "count": series.count,
        "bookAheadDays": series.book_ahead_days,
        "topic": series.topic,
        "question": series.question,
        "state": series.state.value,
        "stopReason": None if series.stop_reason is None else series.stop_reason.value,
        "stoppedBy": series.stopped_by,
        "stoppedAt": None if series.stopped_at is None else iso_z(series.stopped_at),
        "firstStart": iso_z(series.anchor),
        "nextOccurrence": series.next_occurrence,
        "skippedOccurrences": list(series.skipped),
        "sessionIds": list(series.session_ids),
        "createdAt": iso_z(series.created_at),
        "createdBy": series.created_by,
    }
    if sessions is not None:
        body["sessions"] = [session_to_json(s) for s in sessions]
    return body
