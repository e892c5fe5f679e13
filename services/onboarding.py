"""Use case: onboard a cohort of joiners from a list (CSV `upn,start_date,skills` or the admin API's JSON,
read by `services.joiners`):
book each joiner 2 to 3 flash sessions with different mentors inside their first two weeks, the load
spread over the mentor catalogue's mentors under their caps; report whoever could not be placed, and why.

Reads: one mailbox $batch for joiners and mentors (the directory's answer tells an unknown user from one
without a mailbox), then per mentor one getSchedule for the mentor and up to 19 joiners and one
calendarView (`services.slots.gather_attendees`, the slot search's own reads; every request held by the
gateway's concurrency lanes). The choice is `core.onboarding.plan_onboarding`'s; every session is an
ordinary booking (`services.booking.book_session`: every rule, cap and slot claim applies again).

Crash safety, per joiner, as a series does it (services/series.py):
1. the chosen sessions are written as the joiner's plan (checkpoint `onboard:{upn}`, a compare-and-set)
   before anything is booked;
2. session n is booked with the idempotency key `onboard:{upn}:{n}`, so a run after a crash anywhere
   books the planned slot under the same key: the same session, never a second one;
3. a planned session the booking refuses (taken meanwhile, a cap) is marked dropped in the plan; a later
   run tops the joiner up with new numbers (a key is never reused for another slot).
A joiner whose plan holds at least 2 live sessions is only resumed by a rerun, never planned again; one
that was not placed is planned again (a rerun finds what was freed meanwhile). A resumed session that was
moved since counts at its new time (its successor); one cancelled since is dropped, so a joiner left with
fewer than 2 is topped up. A planned session whose time is past is read under its key (`Store.find_idempotency`;
booking would refuse the past start before looking the key up) and kept, whatever its time. The plan keeps
the start date it was made for: another start date in the list reports the joiner not placed, naming the
sessions that stand, until they are cancelled.

A person Graph fails on (403 outside the app's access policy or RBAC scope, 404, throttled past the retries)
is that joiner not placed, or that mentor skipped (listed in the answer with the reason); the others go on.

Sessions carry `request_id` `onboard:{upn}` (no stored request: the "time to first session" metric is
about people who asked), which is how the report finds the cohort.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from core.errors import Conflict, InputError, MicromentorError, NotFound, PolicyViolation
from core.model import Attendee, Session, SessionState
from core.onboarding import (
    MINIMUM_SESSIONS,
    NO_SLOT,
    TARGET_SESSIONS,
    JoinerSlots,
    MentorLoad,
    NewJoiner,
    Placement,
    first_two_weeks,
    plan_onboarding,
    skill_key,
)
from core.session_claims import successor_of
from core.slots import find_slots, is_session
from core.timefmt import iso_z, parse_aware
from graph.errors import GraphAuthError, GraphError, GraphNotFound, GraphRequestError, GraphUnavailable
from graph.gateway import GraphGateway
from graph.values import Mailbox
from policies import TenantPolicy
from policies.model import Policy
from services.booking import BookingRequest, book_session
from services.joiners import JoinerRow
from services.requests import MentorCatalogue
from services.slots import MAX_MENTEES, gather_attendees
from store.base import Checkpoint, Store

__all__ = [
    "ONBOARDING_QUESTION",
    "ONBOARDING_TOPIC",
    "JoinerOutcome",
    "OnboardingResult",
    "PlannedSession",
    "SkippedMentor",
    "onboard_cohort",
    "onboarding_to_json",
]

log = logging.getLogger(__name__)

PREFIX = "onboard:"  # the plan's checkpoint, the sessions' request id and the booking keys start with it
ONBOARDING_QUESTION = "I have just joined: what should I learn first to be useful here?"
ONBOARDING_TOPIC = "Onboarding"
_PLAN_WRITES = 5  # compare-and-set tries when another run writes the same plan at the same time


# --- outcome ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """One session of a joiner's plan: booked (`session` set), planned (a dry run), or dropped."""

    n: int
    mentor: str
    start: datetime
    end: datetime
    session: Session | None = None


@dataclass(frozen=True, slots=True)
class JoinerOutcome:
    upn: str
    start_date: date
    sessions: tuple[PlannedSession, ...] = ()
    reason: str | None = None  # why they have fewer than 2 sessions (None: placed)

    @property
    def placed(self) -> bool:
        return len(self.sessions) >= MINIMUM_SESSIONS


@dataclass(frozen=True, slots=True)
class SkippedMentor:
    """A catalogue mentor this run could not offer: unknown, no mailbox, the app may not read their
    calendar, or Graph failed on them (a rerun tries them again)."""

    upn: str
    reason: str


@dataclass(frozen=True, slots=True)
class OnboardingResult:
    joiners: tuple[JoinerOutcome, ...]
    dry_run: bool = False
    skipped_mentors: tuple[SkippedMentor, ...] = ()

    @property
    def unplaced(self) -> tuple[JoinerOutcome, ...]:
        return tuple(j for j in self.joiners if not j.placed)


def onboarding_to_json(result: OnboardingResult) -> dict[str, Any]:
    placed = [j for j in result.joiners if j.placed]
    return {
        "dryRun": result.dry_run,
        "placed": len(placed),
        "unplaced": len(result.joiners) - len(placed),
        "sessions": sum(len(j.sessions) for j in result.joiners),
        "joiners": [
            {
                "upn": j.upn,
                "startDate": j.start_date.isoformat(),
                "placed": j.placed,
                "reason": j.reason,
                "sessions": [
                    {
                        "n": s.n,
                        "mentor": s.mentor,
                        "start": iso_z(s.start),
                        "end": iso_z(s.end),
                        "sessionId": s.session.id if s.session else None,
                        "joinUrl": s.session.join_url if s.session else None,
                    }
                    for s in j.sessions
                ],
            }
            for j in result.joiners
        ],
        "skippedMentors": [{"upn": m.upn, "reason": m.reason} for m in result.skipped_mentors],
    }


# --- the stored plan --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    n: int
    mentor: str
    start: datetime
    minutes: int
    dropped: str | None = None  # why the booking refused it


@dataclass(frozen=True, slots=True)
class _Plan:
    entries: tuple[_Entry, ...] = ()
    checkpoint: Checkpoint | None = None  # what was read: the compare-and-set's expectation
    start_date: date | None = None  # the joiner's start date the entries were planned for (None: an older plan)

    @property
    def live(self) -> tuple[_Entry, ...]:
        return tuple(e for e in self.entries if e.dropped is None)

    @property
    def next_n(self) -> int:
        return max((e.n for e in self.entries), default=0) + 1

    def dump(self) -> str:
        entries = [
            {"n": e.n, "mentor": e.mentor, "start": iso_z(e.start), "minutes": e.minutes, "dropped": e.dropped}
            for e in self.entries
        ]
        start = self.start_date.isoformat() if self.start_date else None
        return json.dumps({"startDate": start, "entries": entries})


def _plan_name(upn: str) -> str:
    return f"{PREFIX}{upn}"


async def _read_plan(store: Store, upn: str) -> _Plan:
    found = await asyncio.to_thread(store.read_checkpoint, _plan_name(upn))
    if found is None:
        return _Plan()
    stored = json.loads(found.value)
    if isinstance(stored, list):  # a plan written before the start date was kept with it
        stored = {"startDate": None, "entries": stored}
    entries = tuple(
        _Entry(int(e["n"]), str(e["mentor"]), parse_aware("start", e["start"]), int(e["minutes"]), e.get("dropped"))
        for e in stored["entries"]
    )
    start = date.fromisoformat(stored["startDate"]) if stored.get("startDate") else None
    return _Plan(entries, found, start)


async def _write_plan(store: Store, upn: str, change: Callable[[_Plan], _Plan]) -> _Plan:
    """Read, change and compare-and-set the plan; another run's write in between is read and changed again."""
    for _ in range(_PLAN_WRITES):
        current = await _read_plan(store, upn)
        wanted = change(current)
        if (wanted.entries, wanted.start_date) == (current.entries, current.start_date):
            return current
        if await asyncio.to_thread(store.replace_checkpoint, _plan_name(upn), wanted.dump(), current.checkpoint):
            return await _read_plan(store, upn)
    raise Conflict("joiners", f"the plan of {upn} keeps changing under another run; run again")


# --- the run ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Joiner:
    row: JoinerRow
    plan: _Plan = field(default_factory=_Plan)
    booked: dict[int, Session] = field(default_factory=dict)
    reason: str | None = None
    notes: list[str] = field(default_factory=list)


def _refused(exc: MicromentorError) -> bool:
    """The planned slot cannot be booked any more: taken, a rule or cap now broken, or its start past."""
    return isinstance(exc, PolicyViolation | Conflict) or (isinstance(exc, InputError) and exc.field == "start")


async def _book_entry(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    joiner: _Joiner,
    entry: _Entry,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None,
) -> Session | str:
    key = _key(joiner.row.upn, entry)
    if entry.start <= now:
        # Booking refuses a start in the past before it looks its key up: a session an earlier run booked
        # and that took place (or is under way) is read here, whatever its time, never dropped.
        stored = await _stored_session(store, key)
        if stored is not None:
            return stored
    request = BookingRequest(
        mentor=entry.mentor,
        mentees=(joiner.row.upn,),
        start=entry.start,
        question=ONBOARDING_QUESTION,
        minutes=entry.minutes,
        topic=ONBOARDING_TOPIC,
        idempotency_key=key,
        request_id=_plan_name(joiner.row.upn),
    )
    try:
        result = await book_session(
            graph, store, policy, request, now=now, public_url=public_url, link_secret=link_secret
        )
    except (GraphRequestError, GraphAuthError, GraphNotFound) as exc:
        # Not transient (before the MicromentorError they are): this joiner or mentor is out of the app's
        # reach; the others go on.
        return f"{entry.mentor} at {iso_z(entry.start)}: Graph refused the meeting: {exc.message}"
    except MicromentorError as exc:
        if not _refused(exc):
            raise  # Graph down, throttled...: the plan stays; the next run books it under the same key
        return f"{entry.mentor} at {iso_z(entry.start)}: {exc.message}"
    return result.session


def _key(upn: str, entry: _Entry) -> str:
    return f"{PREFIX}{upn}:{entry.n}"


async def _stored_session(store: Store, key: str) -> Session | None:
    """The session booked under `key` (its meeting made), as it was booked; None if none was."""
    held = await asyncio.to_thread(store.find_idempotency, key)
    stored = await asyncio.to_thread(store.get_session, held.session_id) if held else None
    return stored if stored is not None and stored.event_id else None


async def _start_moved(store: Store, joiner: _Joiner, *, dry_run: bool) -> None:
    """The list gives another start date than the one the joiner's plan was made for. Sessions of the
    earlier plan that stand are never silently kept as 'placed' nor cancelled behind the admin's back: the
    joiner is reported not placed, naming them (the admin cancels them to re-plan). When none stands
    (all cancelled, or never booked), the old entries are dropped and the joiner is planned afresh."""
    old, new = joiner.plan.start_date, joiner.row.start_date
    standing: list[Session] = []
    for entry in joiner.plan.live:
        found = await _stored_session(store, _key(joiner.row.upn, entry))
        session = await _followed(store, found) if found else None
        if session is not None and session.state is not SessionState.CANCELLED:
            standing.append(session)
    if standing:
        listed = ", ".join(f"{s.mentor} at {iso_z(s.start)}" for s in sorted(standing, key=lambda s: s.start))
        joiner.reason = (
            f"the start date changed from {old} to {new}: the sessions booked for {old} stand ({listed}); "
            "cancel them to re-plan"
        )
        return
    why = f"the start date changed from {old} to {new}"

    def restart(plan: _Plan) -> _Plan:
        entries = tuple(e if e.dropped else replace(e, dropped=why) for e in plan.entries)
        return replace(plan, entries=entries, start_date=new)

    joiner.plan = restart(joiner.plan) if dry_run else await _write_plan(store, joiner.row.upn, restart)


async def _followed(store: Store, session: Session) -> Session:
    """The session as it stands: one moved since (session page, Outlook) is its successor, at its new time."""
    for _ in range(10):  # a chain of moves, bounded
        successor = successor_of(session)
        found = await asyncio.to_thread(store.get_session, successor) if successor else None
        if found is None:
            return session
        session = found
    return session


async def _book_plan(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    joiner: _Joiner,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None,
) -> None:
    """Book every live session of the joiner's plan (a booked one answers itself again: same key)."""
    for entry in joiner.plan.live:
        booked = await _book_entry(
            graph, store, policy, joiner, entry, now=now, public_url=public_url, link_secret=link_secret
        )
        if isinstance(booked, Session):
            booked = await _followed(store, booked)
        if isinstance(booked, Session) and booked.state is not SessionState.CANCELLED:
            joiner.booked[entry.n] = booked
            continue
        if isinstance(booked, Session):  # booked by an earlier run, cancelled since: it no longer counts
            why = f"{entry.mentor} at {iso_z(entry.start)}: cancelled ({booked.state_reason or 'no reason given'})"
        else:
            why = booked
        joiner.notes.append(why)

        def drop(plan: _Plan, n: int = entry.n, why: str = why) -> _Plan:
            return replace(plan, entries=tuple(replace(e, dropped=why) if e.n == n else e for e in plan.entries))

        joiner.plan = await _write_plan(store, joiner.row.upn, drop)


def _graph_refusal(exc: GraphError) -> str:
    """A Graph failure on one person's mailbox or calendar, in a reason."""
    answer = " ".join(str(p) for p in (exc.status, exc.code) if p) or "no answer"
    if isinstance(exc, GraphAuthError):
        return (
            f"access refused: the app may not read this mailbox (Graph {answer}; an application access policy "
            "or an RBAC for Applications scope leaves it out)"
        )
    if isinstance(exc, GraphNotFound):
        return f"not found: Graph answered {answer} for this mailbox"
    if isinstance(exc, GraphUnavailable):
        return f"Graph failed on this mailbox for now ({answer}); run again later"
    return f"Graph refused the request for this mailbox ({answer})"


async def _read_mailboxes(graph: GraphGateway, people: Sequence[str]) -> tuple[dict[str, Mailbox], dict[str, str]]:
    """Everyone's mailbox (zone, working hours) in $batches, and why the app may not read some of them. One
    mailbox refused (403: an application access policy or RBAC scope leaves it out) fails a whole $batch,
    so then each is asked alone; when every one is refused (a missing role), the run fails with Graph's
    error."""
    try:
        return await graph.get_mailboxes(people), {}
    except GraphAuthError as exc:
        log.warning("onboarding: a mailbox was refused (%s); asking each alone", exc.message)
    found: dict[str, Mailbox] = {}
    refused: dict[str, str] = {}
    errors: list[GraphAuthError] = []

    async def one(upn: str) -> None:
        try:
            found.update(await graph.get_mailboxes([upn], each=True))
        except GraphAuthError as exc:
            refused[upn] = _graph_refusal(exc)
            errors.append(exc)

    await asyncio.gather(*(one(u) for u in dict.fromkeys(people)))
    if errors and not found:
        raise errors[0]
    return found, refused


async def _unknown(graph: GraphGateway, upns: Sequence[str]) -> dict[str, str]:
    """Why each of `upns` (left out of the mailbox answer) cannot be booked: unknown, or no mailbox."""
    if not upns:
        return {}
    entries = await graph.get_directory_entries(upns)
    return {
        u: (
            "no mailbox: Exchange Online does not host a calendar for this user"
            if u in entries
            else "unknown user: not in the directory"
        )
        for u in upns
    }


async def _mentor_view(
    graph: GraphGateway,
    policy: TenantPolicy,
    mentor: str,
    skills: frozenset[str],
    load: int,
    joiners: Sequence[str],
    *,
    now: datetime,
) -> tuple[MentorLoad, list[JoinerSlots]] | str | None:
    """The mentor's caps view and valid slots with each joiner: one getSchedule per 19 joiners; a joiner
    whose schedule Graph refuses is asked alone, and has no slot with this mentor if it fails again.
    A mentor Graph fails on (403: outside the app's access policy or RBAC scope; 404; throttled or down
    past the retries) is skipped for this run: the answer is the reason, and the pass goes on."""
    try:
        return await _mentor_slots(graph, policy, mentor, skills, load, joiners, now=now)
    except NotFound as exc:
        if exc.field != "mentor":
            raise
        log.warning("onboarding: mentor %s skipped: %s", mentor, exc.message)
        return f"not found: {exc.message}"
    except GraphError as exc:
        log.warning("onboarding: mentor %s skipped: %s", mentor, exc.message)
        return _graph_refusal(exc)


async def _mentor_slots(
    graph: GraphGateway,
    policy: TenantPolicy,
    mentor: str,
    skills: frozenset[str],
    load: int,
    joiners: Sequence[str],
    *,
    now: datetime,
) -> tuple[MentorLoad, list[JoinerSlots]] | None:
    effective = policy.effective(mentor)
    minutes = effective.session_minutes
    others = [j for j in joiners if j != mentor]
    mentor_attendee: Attendee | None = None
    found: list[JoinerSlots] = []
    groups = [others[i : i + MAX_MENTEES] for i in range(0, len(others), MAX_MENTEES)] or [[]]
    for group in groups:
        try:
            attendees = [await gather_attendees(graph, effective, mentor, group, now)] if group else []
        except NotFound as exc:
            if exc.field == "mentor":
                raise
            attendees = []
            for one in group:
                try:
                    attendees.append(await gather_attendees(graph, effective, mentor, [one], now))
                except NotFound as again:
                    if again.field == "mentor":
                        raise
                    log.warning("onboarding: no schedule of %s with %s", one, mentor)
        for mentor_attendee, mentees in attendees:
            # CPU work (every joiner's slot search with this mentor) off the event loop: a host serving
            # other requests meanwhile (the HTTP API) keeps answering them.
            found.extend(
                await asyncio.to_thread(_pair_slots, mentor, mentor_attendee, mentees, effective, now, minutes)
            )
    if mentor_attendee is None:
        return None
    counted = tuple(i.start for i in mentor_attendee.items if is_session(i))
    return MentorLoad(mentor, mentor_attendee.tz, effective, skills, counted, load), found


def _pair_slots(
    upn: str, mentor: Attendee, mentees: Sequence[Attendee], policy: Policy, now: datetime, minutes: int
) -> list[JoinerSlots]:
    return [
        JoinerSlots(
            mentee.upn,
            upn,
            find_slots(mentor=mentor, mentees=[mentee], policy=policy, now=now, minutes=minutes).slots,
        )
        for mentee in mentees
    ]


async def _scheduled_load(store: Store, mentors: Sequence[str], now: datetime, until: datetime) -> Counter[str]:
    upcoming = await asyncio.to_thread(
        store.list_sessions, start_from=now, start_to=until, states=[SessionState.SCHEDULED]
    )
    wanted = set(mentors)
    return Counter(s.mentor for s in upcoming if s.mentor in wanted)


def _horizon_note(joiner: _Joiner, zone: Any, policy: TenantPolicy, now: datetime) -> str | None:
    low, _ = first_two_weeks(joiner.row.start_date, zone)
    horizon = policy.base.horizon_days
    if low >= now + timedelta(days=horizon):
        return (
            f"{NO_SLOT}: they start after the booking horizon ({horizon} days); run again within "
            f"{horizon} days of {joiner.row.start_date.isoformat()}"
        )
    return None


async def onboard_cohort(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    catalogue: MentorCatalogue,
    joiners: Sequence[JoinerRow],
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> OnboardingResult:
    """Plan and book the cohort (see the module docstring); `dry_run` plans and books nothing, writes nothing.
    `progress` hears one line per step of a long run (the CLI prints them on stderr)."""
    say = progress or (lambda line: None)
    people = [j.upn for j in joiners]
    mentor_upns = [m.upn for m in catalogue.mentors]
    mailboxes, refused = await _read_mailboxes(graph, [*people, *mentor_upns])
    everyone = list(dict.fromkeys([*people, *mentor_upns]))
    why_not = {**refused, **await _unknown(graph, [u for u in everyone if u not in mailboxes and u not in refused])}
    state = {j.upn: _Joiner(j, reason=why_not.get(j.upn)) for j in joiners}
    skipped = {m: why_not[m] for m in mentor_upns if m in why_not}
    say(
        f"{len(joiners)} joiners, {len(mentor_upns)} mentors; joiners unknown, without a mailbox or refused: "
        f"{sum(1 for j in people if j in why_not)}; mentors skipped: {len(skipped)}"
    )

    # 1. Resume what earlier runs planned: the same keys book the same sessions.
    for joiner in state.values():
        if joiner.reason is not None:
            continue
        joiner.plan = await _read_plan(store, joiner.row.upn)
        if joiner.plan.live and joiner.plan.start_date not in (None, joiner.row.start_date):
            await _start_moved(store, joiner, dry_run=dry_run)
            if joiner.reason is not None:
                say(f"{joiner.row.upn}: not placed: {joiner.reason}")
            continue
        if joiner.plan.live and not dry_run:
            await _book_plan(graph, store, policy, joiner, now=now, public_url=public_url, link_secret=link_secret)
            say(f"{joiner.row.upn}: {len(joiner.booked)} session(s) of an earlier run")

    # 2. Plan whoever has fewer than the minimum.
    todo = [j for j in state.values() if j.reason is None and len(j.plan.live) < MINIMUM_SESSIONS]
    if todo:
        mentors = [m for m in catalogue.mentors if m.upn in mailboxes]
        zones = {j.row.upn: mailboxes[j.row.upn].tz for j in todo}
        until = max(first_two_weeks(j.row.start_date, zones[j.row.upn])[1] for j in todo)
        loads = await _scheduled_load(store, [m.upn for m in mentors], now, until)
        say(f"reading the calendars of {len(mentors)} mentors with {len(todo)} joiners")
        views = await asyncio.gather(
            *(
                _mentor_view(graph, policy, m.upn, m.skills, loads[m.upn], [j.row.upn for j in todo], now=now)
                for m in mentors
            )
        )
        for m, view in zip(mentors, views, strict=True):
            if isinstance(view, str):
                skipped[m.upn] = view
                say(f"mentor {m.upn} skipped: {view}")
        ready = [v for v in views if v is not None and not isinstance(v, str)]
        new_joiners = [
            NewJoiner(
                upn=j.row.upn,
                start_date=j.row.start_date,
                zone=zones[j.row.upn],
                skills=frozenset(skill_key(s) for s in j.row.skills),
                booked=tuple(_placement(j, e) for e in j.plan.live),
            )
            for j in todo
        ]
        plan = await asyncio.to_thread(  # CPU work off the event loop, as the slot searches
            partial(
                plan_onboarding, new_joiners, [v[0] for v in ready], [p for v in ready for p in v[1]], now=now,
                minimum=MINIMUM_SESSIONS, target=TARGET_SESSIONS,
            )
        )  # fmt: skip
        for unplaced in plan.unplaced:
            joiner = state[unplaced.joiner]
            joiner.reason = unplaced.reason
            if unplaced.reason == NO_SLOT:
                joiner.reason = _horizon_note(joiner, zones[joiner.row.upn], policy, now) or NO_SLOT
        for j in todo:
            placements = plan.of(j.row.upn)
            if not placements:
                continue
            if dry_run:
                first = j.plan.next_n
                j.plan = replace(
                    j.plan,
                    entries=(
                        *j.plan.entries,
                        *(
                            _Entry(first + k, p.mentor, p.start, int((p.end - p.start).total_seconds() // 60))
                            for k, p in enumerate(placements)
                        ),
                    ),
                )
                continue
            seen, start = j.plan, j.row.start_date

            def extend(
                current: _Plan, seen: _Plan = seen, placements: tuple[Placement, ...] = placements, since: date = start
            ) -> _Plan:
                if current.entries != seen.entries:
                    return current  # another run planned this joiner meanwhile: its plan stands
                first = current.next_n
                added = tuple(
                    _Entry(first + k, p.mentor, p.start, int((p.end - p.start).total_seconds() // 60))
                    for k, p in enumerate(placements)
                )
                return replace(current, entries=(*current.entries, *added), start_date=since)

            j.plan = await _write_plan(store, j.row.upn, extend)
            await _book_plan(graph, store, policy, j, now=now, public_url=public_url, link_secret=link_secret)
            say(f"{j.row.upn}: {len(j.booked)} session(s) booked")

    return OnboardingResult(
        tuple(_outcome(state[j.upn], dry_run) for j in joiners),
        dry_run,
        tuple(SkippedMentor(m, skipped[m]) for m in mentor_upns if m in skipped),
    )


def _placement(joiner: _Joiner, entry: _Entry) -> Placement:
    """Where a live entry of the plan stands: its booked session's time (moved or not), else the plan's."""
    session = joiner.booked.get(entry.n)
    if session is not None:
        return Placement(joiner.row.upn, session.mentor, session.start, session.end)
    return Placement(joiner.row.upn, entry.mentor, entry.start, entry.start + timedelta(minutes=entry.minutes))


def _outcome(joiner: _Joiner, dry_run: bool) -> JoinerOutcome:
    placed = [(e.n, _placement(joiner, e)) for e in joiner.plan.live if dry_run or e.n in joiner.booked]
    sessions = tuple(
        PlannedSession(n, p.mentor, p.start, p.end, joiner.booked.get(n))
        for n, p in sorted(placed, key=lambda item: item[1].start)
    )
    reason = joiner.reason
    if reason is None and len(sessions) < MINIMUM_SESSIONS:
        reason = f"booked {len(sessions)} of {MINIMUM_SESSIONS}: " + ("; ".join(joiner.notes) or "no session fit")
    return JoinerOutcome(
        joiner.row.upn, joiner.row.start_date, sessions, reason if len(sessions) < MINIMUM_SESSIONS else None
    )
