"""Use case: a mentee asks for help on one skill; micromentor records the request and books it.

A request asks for 1 to 3 sessions (2 or 3 is onboarding: flash sessions with *different* mentors). Its
`created_at` starts the "time to first session" clock of metrics.md; every session booked for it carries
`request_id`, which is how `core.metrics.compute_report` finds the first one.

Mentors: the ones the request names, tried in the order given (the mentee's preference); else the
mentors the catalogue (`MICROMENTOR_MENTORS_FILE`, `[{"upn", "skills": [...]}]`) tags with the skill,
least loaded first so requests spread over mentors (load = the mentor's scheduled sessions in the store
between now and the mentor's horizon; ties by UPN). For each mentor: the slot search of policy.md, then
the earliest slot that keeps a buffer from the sessions already booked for this request, preferring a
local day (the mentee's) with no session of this request yet, so onboarding spreads over the first days.

Idempotency, two levels:
- `Idempotency-Key` (optional) fixes the request id: the same key and body again is the same request
  (HTTP 200), another body is a `Conflict`. A replay books only what is still missing.
- Each booking's key is derived from the request id and the mentor and start chosen, so a retry after a
  crash resumes the interrupted booking (the same Teams meeting, `transactionId` = session id) instead of
  making a second one. Sessions already booked for the request are counted first, so a replay never
  books past `sessions`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from core.agenda import validate_question
from core.errors import Conflict, InputError, Misconfigured, NotFound, PolicyViolation
from core.model import MentoringRequest, Session, SessionState, Slot
from core.slots import find_slots
from core.text import check_text
from core.timefmt import iso_z
from graph.errors import GraphRequestError
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.booking import BookingRequest, book_session, session_to_json
from services.slots import gather_attendees, session_minutes
from store.base import IdempotencyRecord, Store

__all__ = [
    "MAX_SESSIONS",
    "CatalogueCache",
    "CatalogueError",
    "CatalogueMentor",
    "MentorCatalogue",
    "NoSessionBooked",
    "RequestInput",
    "RequestOutcome",
    "Unmet",
    "load_catalogue",
    "outcome_to_json",
    "parse_catalogue",
    "request_to_json",
    "submit_request",
]

MAX_SESSIONS = 3
MAX_NAMED_MENTORS = 10
MAX_CANDIDATES = 8  # catalogue mentors tried per request: each one costs a schedule search in Graph
SLOT_TRIES = 3  # slots tried per mentor when the chosen one is taken between search and booking
MAX_SKILL_LENGTH = 120  # the skill becomes the session's topic (services.booking.MAX_TOPIC_LENGTH)
MAX_KEY_LENGTH = 200


# --- the mentor catalogue ---------------------------------------------------------------------------


CATALOGUE_SETTING = "MICROMENTOR_MENTORS_FILE"


class CatalogueError(Misconfigured):
    """The catalogue file is unreadable or malformed: an operator's mistake, not the caller's (HTTP 503)."""

    def __init__(self, message: str) -> None:
        super().__init__(CATALOGUE_SETTING, message)


def _skill_key(skill: str) -> str:
    return " ".join(skill.split()).casefold()


@dataclass(frozen=True, slots=True)
class CatalogueMentor:
    upn: str  # lower-cased
    skills: frozenset[str]  # normalised with `_skill_key`


@dataclass(frozen=True, slots=True)
class MentorCatalogue:
    mentors: tuple[CatalogueMentor, ...] = ()

    def with_skill(self, skill: str) -> tuple[str, ...]:
        wanted = _skill_key(skill)
        return tuple(m.upn for m in self.mentors if wanted in m.skills)


def parse_catalogue(data: Any, source: str = "catalogue") -> MentorCatalogue:
    """`[{"upn": "…", "skills": ["…", …]}, …]`; other keys (a display name, notes) are ignored."""
    if not isinstance(data, list):
        raise CatalogueError(f"{source}: expected a JSON list of mentors")
    mentors: list[CatalogueMentor] = []
    seen: set[str] = set()
    for i, entry in enumerate(data):
        here = f"{source}[{i}]"
        if not isinstance(entry, Mapping):
            raise CatalogueError(f"{here}: expected an object with upn and skills")
        upn = entry.get("upn")
        if not isinstance(upn, str) or not upn.strip():
            raise CatalogueError(f"{here}.upn: required, as a user principal name")
        skills = entry.get("skills")
        if not isinstance(skills, list) or not all(isinstance(s, str) and s.strip() for s in skills):
            raise CatalogueError(f"{here}.skills: required, as a list of non-empty strings")
        key = upn.strip().lower()
        if key in seen:
            raise CatalogueError(f"{here}.upn: {key} is listed twice")
        seen.add(key)
        mentors.append(CatalogueMentor(key, frozenset(_skill_key(s) for s in skills)))
    return MentorCatalogue(tuple(mentors))


def load_catalogue(path: str | Path | None) -> MentorCatalogue:
    """The catalogue file at `path` (empty without one), read now; `CatalogueCache` keeps it between reads."""
    if path is None or not str(path).strip():
        return MentorCatalogue()
    return _read_catalogue(Path(path))[1]


def _read_catalogue(target: Path) -> tuple[tuple[int, int], MentorCatalogue]:
    try:
        stat = target.stat()
        data = json.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"mentor catalogue {target}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise CatalogueError(f"mentor catalogue {target}: not JSON: {exc}") from exc
    return (stat.st_mtime_ns, stat.st_size), parse_catalogue(data, str(target))


class CatalogueCache:
    """Catalogue files, each re-read only when it changes (its modification time or size). The
    composition root owns one (`Runtime.mentor_catalogue`), so nothing outlives the runtime."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[tuple[int, int], MentorCatalogue]] = {}
        self._lock = threading.Lock()

    def load(self, path: str | Path | None) -> MentorCatalogue:
        if path is None or not str(path).strip():
            return MentorCatalogue()
        target = Path(path)
        try:
            stat = target.stat()
        except OSError as exc:
            raise CatalogueError(f"mentor catalogue {target}: {exc.strerror or exc}") from exc
        with self._lock:
            cached = self._entries.get(str(target))
        if cached is not None and cached[0] == (stat.st_mtime_ns, stat.st_size):
            return cached[1]
        stamp, catalogue = _read_catalogue(target)
        with self._lock:
            self._entries[str(target)] = (stamp, catalogue)
        return catalogue

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# --- input ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestInput:
    mentee: str
    skill: str
    question: str
    mentors: tuple[str, ...] = ()
    sessions: int | None = None  # None: 1
    minutes: int | None = None  # None: each mentor's policy default
    idempotency_key: str | None = None


def _validated(data: RequestInput, policy: TenantPolicy) -> RequestInput:
    mentee = check_text("mentee", data.mentee.strip().lower())
    if not mentee:
        raise InputError("mentee", "required")
    skill = " ".join(data.skill.split())
    if not skill:
        raise InputError("skill", "required")
    if len(skill) > MAX_SKILL_LENGTH:
        raise InputError("skill", f"longer than {MAX_SKILL_LENGTH} characters")
    check_text("skill", skill)
    sessions = 1 if data.sessions is None else data.sessions
    if isinstance(sessions, bool) or not 1 <= sessions <= MAX_SESSIONS:
        raise InputError("sessions", f"must be between 1 and {MAX_SESSIONS}, got {sessions}")
    if len(data.mentors) > MAX_NAMED_MENTORS:
        raise InputError("mentors", f"at most {MAX_NAMED_MENTORS} mentors")
    mentors: list[str] = []
    for i, raw in enumerate(data.mentors):
        upn = check_text(f"mentors[{i}]", raw.strip().lower())
        if not upn:
            raise InputError(f"mentors[{i}]", "must not be empty")
        if upn == mentee:
            raise InputError(f"mentors[{i}]", f"{upn} is the mentee and cannot also be a mentor")
        if upn in mentors:
            raise InputError(f"mentors[{i}]", f"{upn} is listed twice")
        mentors.append(upn)
    if mentors and len(mentors) < sessions:
        raise InputError(
            "sessions", f"{sessions} sessions need {sessions} different mentors, but {len(mentors)} are named"
        )
    if data.minutes is not None:
        session_minutes(policy.base, data.minutes)  # InputError("minutes") for a length the tenant never allows
    key = data.idempotency_key
    if key is not None and (not key.strip() or len(key) > MAX_KEY_LENGTH):
        raise InputError("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    if key is not None:
        check_text("Idempotency-Key", key)
    return replace(
        data,
        mentee=mentee,
        skill=skill,
        question=validate_question(data.question),
        mentors=tuple(mentors),
        sessions=sessions,
    )


def _check_length(policy: TenantPolicy, catalogue: MentorCatalogue, data: RequestInput) -> None:
    """A length some mentor's policy refuses is the caller's input error (400 on `minutes`, as
    POST /api/sessions answers), found before the request is stored: a named mentor must allow it; of
    catalogue mentors, at least one with the skill must (the others are skipped as unmet)."""
    if data.minutes is None:
        return
    if data.mentors:
        for mentor in data.mentors:
            allowed = policy.effective(mentor).allowed_session_minutes
            if data.minutes not in allowed:
                listed = ", ".join(str(m) for m in allowed)
                raise InputError("minutes", f"{data.minutes} is not a session length {mentor} allows ({listed})")
        return
    tagged = [m for m in catalogue.with_skill(data.skill) if m != data.mentee]
    if tagged and not any(data.minutes in policy.effective(m).allowed_session_minutes for m in tagged):
        raise InputError("minutes", f"no mentor of {data.skill!r} allows {data.minutes}-minute sessions")


def _body_hash(data: RequestInput) -> str:
    canonical = {
        "mentee": data.mentee,
        "skill": data.skill,
        "question": data.question,
        "mentors": list(data.mentors),
        "sessions": data.sessions,
        "minutes": data.minutes,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


# --- outcome ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unmet:
    """A mentor who could not be booked (or, with `mentor` None, a part of the request left unserved)."""

    mentor: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    request: MentoringRequest
    sessions: tuple[Session, ...]  # every live session of the request, by start
    unmet: tuple[Unmet, ...] = ()
    created: bool = True  # False when an earlier call with the same Idempotency-Key made the request


class NoSessionBooked(PolicyViolation):
    """Not one mentor could be booked (HTTP 422); `outcome` says who was tried and why it failed."""

    def __init__(self, outcome: RequestOutcome) -> None:
        reasons = "; ".join(f"{u.mentor}: {u.reason}" if u.mentor else u.reason for u in outcome.unmet)
        super().__init__("mentors", f"no session could be booked: {reasons}" if reasons else "no session booked")
        self.outcome = outcome

    def details(self) -> dict[str, Any]:
        return {"request": request_to_json(self.outcome.request), "unmet": outcome_to_json(self.outcome)["unmet"]}


def request_to_json(request: MentoringRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "mentee": request.mentee,
        "skill": request.skill,
        "question": request.question,
        "mentors": list(request.mentors),
        "sessions": request.sessions_wanted,
        "createdAt": iso_z(request.created_at),
    }


def outcome_to_json(outcome: RequestOutcome) -> dict[str, Any]:
    return {
        "request": request_to_json(outcome.request),
        "sessions": [session_to_json(s) for s in outcome.sessions],
        "unmet": [{"mentor": u.mentor, "reason": u.reason} for u in outcome.unmet],
    }


# --- booking ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    """What is booked for the request so far: the mentee's busy times and local days, and the mentors."""

    mentee_tz: tzinfo
    sessions: list[Session] = field(default_factory=list)
    unmet: list[Unmet] = field(default_factory=list)

    @property
    def mentors(self) -> set[str]:
        return {s.mentor for s in self.sessions}

    @property
    def days(self) -> set[date]:
        return {s.start.astimezone(self.mentee_tz).date() for s in self.sessions}

    def ordered(self, slots: Sequence[Slot], gap: timedelta) -> list[Slot]:
        """Slots clear of this request's sessions (by `gap`), those on a fresh local day first, each
        group ascending."""
        clear = [s for s in slots if not any(s.start < b.end + gap and b.start - gap < s.end for b in self.sessions)]
        days = self.days
        fresh = [s for s in clear if s.start.astimezone(self.mentee_tz).date() not in days]
        return fresh + [s for s in clear if s.start.astimezone(self.mentee_tz).date() in days]


def _booking_key(request_id: str, mentor: str, start: datetime) -> str:
    digest = hashlib.sha256(f"{mentor}|{iso_z(start)}".encode()).hexdigest()[:24]
    return f"request-booking:{request_id}:{digest}"


async def _record_request(store: Store, data: RequestInput, now: datetime) -> tuple[MentoringRequest, bool]:
    request_id = uuid.uuid4().hex
    if data.idempotency_key is not None:
        body_hash = _body_hash(data)
        held = await asyncio.to_thread(
            store.claim_idempotency,
            IdempotencyRecord(f"request:{data.idempotency_key}", body_hash, request_id, now),
        )
        if held.body_hash != body_hash:
            raise Conflict("Idempotency-Key", "this key was already used for a different request")
        request_id = held.session_id  # the record's id slot holds the request id here
        existing = await asyncio.to_thread(store.get_request, request_id)
        if existing is not None:
            return existing, False
    request = MentoringRequest(
        id=request_id,
        mentee=data.mentee,
        skill=data.skill,
        question=data.question,
        created_at=now,
        mentors=data.mentors,
        sessions_wanted=data.sessions or 1,
    )
    return await asyncio.to_thread(store.add_request, request), True


async def _sessions_of(store: Store, request: MentoringRequest) -> list[Session]:
    every = await asyncio.to_thread(store.list_sessions, start_from=request.created_at)
    return [s for s in every if s.request_id == request.id and s.state is not SessionState.CANCELLED]


async def _candidates(
    store: Store, policy: TenantPolicy, catalogue: MentorCatalogue, data: RequestInput, now: datetime
) -> tuple[list[str], list[Unmet]]:
    if data.mentors:
        return list(data.mentors), []
    tagged = [m for m in catalogue.with_skill(data.skill) if m != data.mentee]
    if not tagged:
        return [], [Unmet(None, f"no mentor in the catalogue lists the skill {data.skill!r}")]
    horizons = {m: now + timedelta(days=policy.effective(m).horizon_days) for m in tagged}
    upcoming = await asyncio.to_thread(
        store.list_sessions, start_from=now, start_to=max(horizons.values()), states=[SessionState.SCHEDULED]
    )
    load = {m: sum(1 for s in upcoming if s.mentor == m and s.start < horizons[m]) for m in tagged}
    return sorted(tagged, key=lambda m: (load[m], m))[:MAX_CANDIDATES], []


async def _book_one(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    request: MentoringRequest,
    data: RequestInput,
    mentor: str,
    plan: _Plan,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None = None,
) -> Session | Unmet:
    effective = policy.effective(mentor)
    try:
        minutes = session_minutes(effective, data.minutes)
        mentor_attendee, mentees = await gather_attendees(graph, effective, mentor, [data.mentee], now)
    except (InputError, NotFound) as exc:
        return Unmet(mentor, exc.message)
    search = find_slots(mentor=mentor_attendee, mentees=mentees, policy=effective, now=now, minutes=minutes)
    if not search.slots:
        return Unmet(mentor, "; ".join(search.reasons) or "no free slot within the horizon")
    ordered = plan.ordered(search.slots, timedelta(minutes=effective.buffer_minutes))
    if not ordered:
        return Unmet(mentor, "every free slot overlaps a session already booked for this request")
    reason = ""
    for slot in ordered[:SLOT_TRIES]:
        booking = BookingRequest(
            mentor=mentor,
            mentees=(data.mentee,),
            start=slot.start,
            question=request.question,
            minutes=minutes,
            topic=request.skill,
            idempotency_key=_booking_key(request.id, mentor, slot.start),
            request_id=request.id,
        )
        try:
            result = await book_session(
                graph, store, policy, booking, now=now, public_url=public_url, link_secret=link_secret
            )
        except (Conflict, PolicyViolation) as exc:  # taken meanwhile, or a cap filled meanwhile: next slot
            reason = exc.message
            continue
        except GraphRequestError as exc:
            return Unmet(mentor, f"Graph refused the meeting: {exc}")
        return result.session
    return Unmet(mentor, reason or "no slot could be booked")


async def _resume(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    session: Session,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None = None,
) -> Session:
    """Finish a booking a crash interrupted (stored, no event yet) with its own idempotency key."""
    if session.event_id or session.request_id is None:
        return session
    booking = BookingRequest(
        mentor=session.mentor,
        mentees=session.mentees,
        start=session.start,
        question=session.question,
        minutes=session.minutes,
        topic=session.topic,
        idempotency_key=_booking_key(session.request_id, session.mentor, session.start),
        request_id=session.request_id,
    )
    result = await book_session(graph, store, policy, booking, now=now, public_url=public_url, link_secret=link_secret)
    return result.session


async def submit_request(
    graph: GraphGateway,
    store: Store,
    policy: TenantPolicy,
    catalogue: MentorCatalogue,
    data: RequestInput,
    *,
    now: datetime,
    public_url: str,
    link_secret: str | None = None,
) -> RequestOutcome:
    """Record the request, then book its sessions; `NoSessionBooked` (422) when not one could be."""
    data = _validated(data, policy)
    _check_length(policy, catalogue, data)
    people = [data.mentee, *data.mentors]
    mailboxes = await graph.get_mailboxes(people)
    if data.mentee not in mailboxes:
        raise NotFound("mentee", f"unknown user {data.mentee}")
    for i, mentor in enumerate(data.mentors):
        if mentor not in mailboxes:
            raise NotFound(f"mentors[{i}]", f"unknown user {mentor}")

    request, created = await _record_request(store, data, now)
    plan = _Plan(mentee_tz=mailboxes[data.mentee].tz)
    for session in await _sessions_of(store, request):
        resumed = await _resume(graph, store, policy, session, now=now, public_url=public_url, link_secret=link_secret)
        plan.sessions.append(resumed)
    wanted = request.sessions_wanted

    if len(plan.sessions) < wanted:
        candidates, plan.unmet = await _candidates(store, policy, catalogue, data, now)
        for mentor in candidates:
            if len(plan.sessions) >= wanted:
                break
            if mentor in plan.mentors:
                continue
            booked = await _book_one(
                graph, store, policy, request, data, mentor, plan,
                now=now, public_url=public_url, link_secret=link_secret,
            )
            if isinstance(booked, Session):
                plan.sessions.append(booked)
            else:
                plan.unmet.append(booked)
        if plan.sessions and len(plan.sessions) < wanted:
            plan.unmet.append(
                Unmet(None, f"booked {len(plan.sessions)} of {wanted} sessions: no other mentor had a free slot")
            )

    outcome = RequestOutcome(
        request=request,
        sessions=tuple(sorted(plan.sessions, key=lambda s: (s.start, s.id))),
        unmet=tuple(plan.unmet),
        created=created,
    )
    if not outcome.sessions:
        raise NoSessionBooked(outcome)
    return outcome
