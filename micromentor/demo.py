"""`micromentor demo`: the one-command tour (docs/cli.md).

It seeds the in-process Graph emulator with a generated organisation (`micromentor.demo_org`) and plays a
few weeks of micro mentoring forward on a simulated clock, one event at a time in time order:

- Mentees ask for help on a skill, in their own working hours. micromentor picks mentors who teach it and
  share working time with the mentee. Some asks go through the request service (`services.requests`:
  recorded, then booked at the earliest slot; a new joiner's onboarding asks for three mentors); the
  others record the request, rank slots (`services.slots`) and book the one the mentee picks
  (`services.booking`, with an idempotency key). Every session carries its request, so time to first
  session is measured from the ask.
- Before a meeting, some sessions are cancelled through micromentor (`services.sessions`); some are moved
  by the mentor or declined by the mentee in Outlook (raw Graph calls, as another client makes them), and
  some mentees whose session fell through ask again.
- Each meeting that takes place is played out on the emulator's admin surface: most complete, ~15% mentee
  no-shows, a few mentor no-shows, late joins, early leaves, dropped connections; a few attendance reports
  come late (after the next sync), now and then none at all. The first bookings and meetings follow a
  short script, so that even a one-week tour shows every case; after that chance decides (seeded).
- The programme patterns (`micromentor.demo_patterns`, scripted): two mentors' office hours, three series
  run by the series timer after each daily sync, and two group sessions of one mentor, one of them full.
- `services.sync` runs once a simulated day for every organizer with open sessions, as the timer would:
  a weekly run would fall outside metrics.md's 48-hour grace and turn every late report into a no-show.

Then the metrics report is built (`services.report`) and written as HTML. Everything goes through the
real adapters (msgraph-sdk to the emulator over HTTPS, SQLite): the only shortcut is the clock. Progress
goes to stderr, a line group per week; the summary table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import random
import sqlite3
import ssl
import sys
import time as clock
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from core.errors import Conflict, InputError, PolicyViolation
from core.jsontext import loads_limited
from core.metrics import Report
from core.model import MentoringRequest, Session, Slot
from core.timefmt import iso_z, parse_aware
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from micromentor.bootstrap import Runtime
from micromentor.demo_defaults import write_demo_pointer
from micromentor.demo_onboarding import cohort_line, onboard_demo_cohort
from micromentor.demo_org import WEEKDAYS, DemoOrg, DemoPerson, build_demo_org, overlap_minutes
from micromentor.demo_outcomes import describe_outcomes, play_outcomes
from micromentor.demo_patterns import DemoPatterns
from micromentor.files import read_policy_file
from micromentor.progress import Progress
from micromentor.settings import load_settings
from micromentor.tenant import emulator_settings, start_local_tenant
from policies import TenantPolicy
from reporting.formatting import duration, percent
from services.booking import BookingRequest, book_session
from services.doctor import check_mentors
from services.learning import log_learning_records
from services.report import build_report, render
from services.requests import NoSessionBooked, RequestInput, parse_catalogue, submit_request
from services.sessions import cancel_session
from services.slots import SlotQuery, search_slots
from services.sync import SyncResult, find_sync_work, sync_organizer
from store import Store, open_store
from store.tenant_mark import claim_store_tenant

__all__ = [
    "DEFAULT_NOW",
    "DEFAULT_OUT",
    "DEFAULT_STORE",
    "DEFAULT_WEEKS",
    "REPORT_FILE",
    "SEED_FILE",
    "add_demo_arguments",
    "run_demo",
]

DEFAULT_NOW = "2026-10-19T00:00:00Z"  # a Monday; the weeks cross the EU (25 Oct) and US (1 Nov) DST changes
DEFAULT_WEEKS = 3
MAX_WEEKS = 8
DEFAULT_STORE = ".micromentor/demo.db"
DEFAULT_OUT = ".micromentor"
REPORT_FILE = "demo-report.html"
SEED_FILE = "demo-tenant.json"
# Written into every demo store, so that a rerun deletes only a file the demo itself made.
MARKER_NAME, MARKER_VALUE = "demo", "micromentor demo"

HORIZON = timedelta(days=14)
DAY = timedelta(days=1)
SYNC_EVERY = DAY
MENTOR_TRIES = 3  # mentors asked per request before it is left waiting
SLOT_CHOICES = 5  # ranked slots shown to the mentee
SLOT_WEIGHTS = (50, 25, 13, 8, 4)  # how often the mentee takes the 1st, 2nd… ranked slot
P_SOONEST = 0.4  # mentees in a hurry take the earliest slot rather than the best-ranked one
LATE_REPORT_DELAY = timedelta(minutes=30)  # a late report lands this long after the next sync

# Fates of a booking (cumulative probabilities) and behaviours of a meeting that takes place.
P_CANCEL, P_DECLINE, P_MOVE = 0.08, 0.11, 0.16
P_MENTEE_NO_SHOW, P_MENTOR_NO_SHOW, P_NOBODY = 0.15, 0.19, 0.205
P_LATE_REPORT = 0.08
P_COMPANION = 0.1  # a mentee brings a teammate from the same office
P_ASK_AGAIN = 0.6
ASKS_PER_WEEK = (50, 42, 8)  # weights of a mentee asking 0, 1 or 2 times in a week

QUESTIONS: dict[str, tuple[str, ...]] = {
    "giving feedback": (
        "How do I tell a senior colleague their demo missed the point without it landing badly?",
        "What is a good way to give feedback on a pull request that needs a full rewrite?",
    ),
    "running a retro": (
        "How do I run a retro when half the team is eight hours away?",
        "Our retros produce the same three action items every time; how do I break the loop?",
    ),
    "SQL window functions": (
        "How do I compute a 7-day rolling average per customer without a self-join?",
        "When should I use ROW_NUMBER rather than RANK for de-duplicating events?",
    ),
    "negotiating scope": (
        "How do I push back on a customer asking for three extra features in the same sprint?",
        "What do I trade first when the deadline is fixed and the scope keeps growing?",
    ),
    "writing a design doc": (
        "How long should the alternatives section of a design doc be?",
        "How do I get reviewers to comment on the design doc before the meeting, not during it?",
    ),
    "presenting to executives": (
        "How do I fit a quarter's results into three slides for the leadership review?",
        "What do I do when an executive derails my presentation in the first minute?",
    ),
    "customer discovery calls": (
        "How do I keep a discovery call from turning into a product demo?",
        "Which questions surface the real budget owner early in a discovery call?",
    ),
    "pricing experiments": (
        "How do I test a price increase without upsetting existing customers?",
        "How many weeks should a pricing A/B test run before we trust it?",
    ),
    "incident reviews": (
        "How do I keep a post-incident review blameless when one change clearly caused it?",
        "What makes an incident action item actually get done?",
    ),
    "Python typing": (
        "How do I type a decorator that keeps the wrapped function's signature?",
        "When is a Protocol better than an abstract base class?",
    ),
    "storytelling with data": (
        "How do I turn a dashboard with twenty charts into one clear message?",
        "Which chart shows a funnel drop-off best to a non-technical audience?",
    ),
    "hiring interviews": (
        "How do I assess collaboration in a 45-minute technical interview?",
        "How do I write a take-home exercise that respects the candidate's time?",
    ),
}
ONBOARDING = "onboarding"
ONBOARDING_QUESTION = "I joined this week: what should I learn first to be useful to my team?"
ANY_QUESTIONS = (
    "How do I say no to a request from another team without damaging the relationship?",
    "How do I plan my first 30 days in a new role?",
)


# --- arguments -------------------------------------------------------------------------------------


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tenant",
        metavar="SEED.json",
        help="run the tour on this emulator seed instead of the built-in organisation "
        "(mentors: users whose jobTitle says 'mentor')",
    )
    parser.add_argument(
        "--store", metavar="PATH", default=DEFAULT_STORE, help=f"SQLite file, emptied first (default {DEFAULT_STORE})"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=DEFAULT_OUT,
        help=f"where {REPORT_FILE} and {SEED_FILE} go (default ./.micromentor)",
    )
    parser.add_argument(
        "--now", metavar="ISO", default=DEFAULT_NOW, help=f"the clock at the start of week 1 (default {DEFAULT_NOW})"
    )
    parser.add_argument(
        "--weeks", type=int, default=DEFAULT_WEEKS, metavar="N", help=f"weeks to simulate, 1-{MAX_WEEKS} (default 3)"
    )
    parser.add_argument("--seed", type=int, default=7, metavar="N", help="random seed of the organisation and events")
    parser.add_argument("--policy", metavar="POLICY.json", help="focus-time policy (docs/policy.md; default: its own)")


def _store_path(text: str) -> Path:
    if text.startswith("tables:"):
        raise InputError("--store", "the demo writes a SQLite file; pass a path")
    return Path(text[len("sqlite:///") :] if text.startswith("sqlite:///") else text)


def _is_demo_store(path: Path) -> bool:
    """Read-only look for the demo's marker: never write to (or migrate) a file the demo may not own."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute('SELECT "value" FROM checkpoints WHERE "name" = ?', (MARKER_NAME,)).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return row is not None and row[0] == MARKER_VALUE


def _empty_store(path: Path, say: Callable[[str], None]) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise InputError("--store", f"{path} is a directory")
    if path.stat().st_size and not _is_demo_store(path):
        raise InputError("--store", f"{path} holds data the demo did not write; pass another --store")
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    say(f"removed the previous demo store {path}")


# --- the simulation -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ask:
    request_id: str
    mentee: DemoPerson
    companions: tuple[DemoPerson, ...]
    skill: str
    question: str
    at: datetime
    attempt: int = 1  # 2, 3… when the mentee asks again after a cancelled or declined session
    sessions: int = 1  # 3 for a new joiner's onboarding: flash sessions with different mentors


@dataclass(slots=True)
class _Booking:
    ask: _Ask
    session_id: str
    mentor: DemoPerson
    start: datetime
    end: datetime
    event_id: str
    join_url: str
    generation: int = 0  # bumped when the meeting moves, so the play-out at the old end is skipped

    @property
    def mentees(self) -> tuple[DemoPerson, ...]:
        return (self.ask.mentee, *self.ask.companions)


@dataclass(slots=True)
class _Week:
    number: int
    start: datetime
    end: datetime
    asks: int = 0
    automatic: int = 0
    reasks: int = 0
    booked: int = 0
    waiting: int = 0
    cancelled: int = 0
    declined: int = 0
    moved: int = 0
    played: int = 0
    late: int = 0
    unreported: int = 0
    syncs: int = 0
    changes: Counter[str] = field(default_factory=Counter)


@dataclass(order=True, slots=True)
class _Action:
    at: datetime
    order: int  # at the same moment: meetings end (0) before the sync (1)
    seq: int
    kind: str = field(compare=False)
    payload: Any = field(compare=False, default=None)


class _Simulation:
    def __init__(
        self,
        *,
        org: DemoOrg,
        graph: GraphGateway,
        settings: GraphSettings,
        admin: httpx.AsyncClient,
        store: Store,
        policy: TenantPolicy,
        public_url: str,
        rng: random.Random,
        say: Callable[[str], None],
    ) -> None:
        self.org, self.graph, self.settings, self.admin = org, graph, settings, admin
        self.store, self.policy, self.public_url, self.rng, self.say = store, policy, public_url, rng, say
        self.raw = httpx.AsyncClient(
            verify=ssl.create_default_context(cafile=settings.ca_bundle) if settings.ca_bundle else True,
            trust_env=False,
            timeout=30,
        )
        self.queue: list[_Action] = []
        self.seq = 0
        self.sync_times: list[datetime] = []
        self.first_week_end = datetime.max.replace(tzinfo=UTC)
        self.week: _Week | None = None
        self.booked_by_mentor: Counter[str] = Counter()
        self.last_mentor: dict[tuple[str, str], DemoPerson] = {}
        self.first_booking: tuple[BookingRequest, datetime] | None = None
        self.catalogue = parse_catalogue(
            [{"upn": m.upn, "skills": list(m.skills)} for m in org.mentors if m.skills], "demo organisation"
        )
        # Shown at least once whatever the seed (see `_fate` and `_behaviour`).
        self.scripted_fates = ["cancel", "decline", "move"]
        self.scripted_meetings = ["mentee_no_show", "late_report", "mentor_no_show"]
        self.held = 0
        self.patterns: DemoPatterns | None = None  # office hours, series, group sessions (demo_patterns)

    async def aclose(self) -> None:
        await self.raw.aclose()

    def push(self, at: datetime, kind: str, payload: Any = None, *, order: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.queue, _Action(at, order, self.seq, kind, payload))

    # --- the weeks ------------------------------------------------------------------------------
    async def run(self, start: datetime, weeks: int) -> list[_Week]:
        """Every week's asks are known up front; everything else follows from them, in time order. Sync
        runs once a simulated day (the timer's job), so that a late attendance report still lands inside
        metrics.md's 48-hour grace; each week ends with one."""
        self.first_week_end = start + timedelta(weeks=1)
        self.sync_times = [start + SYNC_EVERY * n for n in range(1, weeks * 7 * DAY // SYNC_EVERY + 1)]
        for at in self.sync_times:
            self.push(at, "sync", order=1)
        if self.patterns is not None:
            self.patterns.schedule(lambda at, job, order: self.push(at, "pattern", job, order=order), start,
                                   self.sync_times)  # fmt: skip
        for number in range(weeks):
            for ask in self._asks(start + timedelta(weeks=number), number):
                self.push(ask.at, "ask", ask)
        done: list[_Week] = []
        # A bar over the simulated days on a terminal; the week summaries print above it.
        progress = Progress(len(self.sync_times), "demo", unit="day", stream=sys.stderr, step_lines=False)
        say = self.say
        if progress.active:
            self.say = lambda text: progress.note(f"demo: {text}")
        try:
            for number in range(weeks):
                week = _Week(number + 1, start + timedelta(weeks=number), start + timedelta(weeks=number + 1))
                self.week = week
                while self.queue and self.queue[0].at <= week.end:
                    action = heapq.heappop(self.queue)
                    await self._dispatch(action)
                    if action.kind == "sync":
                        progress.step(f"week {week.number}")
                done.append(week)
                for line in self._week_lines(week):
                    self.say(line)
        finally:
            progress.close()
            self.say = say
        return done

    async def _dispatch(self, action: _Action) -> None:
        if action.kind == "ask":
            await self._ask(action.payload)
        elif action.kind == "cancel":
            await self._cancel(action.payload, action.at)
        elif action.kind == "decline":
            await self._decline(action.payload, action.at)
        elif action.kind == "move":
            await self._move(action.payload, action.at)
        elif action.kind == "play":
            booking, generation = action.payload
            if generation == booking.generation:
                await self._play(booking)
        elif action.kind == "late_report":
            await self._post_report(*action.payload)
        elif action.kind == "sync":
            await self._sync(action.at)
        elif action.kind == "pattern":
            await action.payload(action.at)

    # --- asks -------------------------------------------------------------------------------------
    def _asks(self, week_start: datetime, number: int) -> list[_Ask]:
        """This week's requests: most mentees ask once, some twice, some not at all, in their working day."""
        asks = []
        for mentee in self.org.mentees:
            for index in range(self.rng.choices((0, 1, 2), weights=ASKS_PER_WEEK)[0]):
                at = self._ask_time(mentee, week_start)
                if at is None:
                    continue
                skill = self.rng.choice(mentee.skills) if mentee.skills else ""
                question = self.rng.choice(QUESTIONS.get(skill, ANY_QUESTIONS))
                teammates = [p for p in self.org.mentees if p.office == mentee.office and p.upn != mentee.upn]
                companions = (self.rng.choice(teammates),) if teammates and self.rng.random() < P_COMPANION else ()
                request_id = f"req-w{number + 1}-{mentee.upn.split('@')[0]}-{index + 1}"
                asks.append(_Ask(request_id, mentee, companions, skill, question, at))
        if number == 0:
            # A new joiner's onboarding on their first morning: flash sessions with three mentors.
            newcomer = self.org.mentees[-1]
            at = self._ask_time(newcomer, week_start, first_day=True)
            if at is not None:
                request_id = f"req-w1-{newcomer.upn.split('@')[0]}-onboarding"
                asks.append(_Ask(request_id, newcomer, (), ONBOARDING, ONBOARDING_QUESTION, at, sessions=3))
        return asks

    def _ask_time(self, person: DemoPerson, week_start: datetime, *, first_day: bool = False) -> datetime | None:
        """A moment in the person's working hours on one of their first four working days this week."""
        local_first = week_start.astimezone(person.hours_tz).date()
        days = [local_first + timedelta(days=n) for n in range(7)]
        working = [d for d in days if WEEKDAYS[d.weekday()] in person.days][: 1 if first_day else 4]
        if not working:
            return None
        day = self.rng.choice(working)
        minutes = person.start.hour * 60 + person.start.minute + 15 * self.rng.randrange(4 if first_day else 28)
        local = datetime.combine(day, datetime.min.time(), tzinfo=person.hours_tz) + timedelta(minutes=minutes)
        at = local.astimezone(UTC)
        return at if week_start <= at < week_start + timedelta(weeks=1) else None

    def _candidates(self, ask: _Ask) -> list[DemoPerson]:
        """Mentors who teach the skill, with at least an hour of shared time in the next two weeks; the one
        this mentee saw before for the skill first, then the least busy, then the best overlap."""
        attendees = (ask.mentee, *ask.companions)
        anyone = ask.skill == ONBOARDING
        pool = [m for m in self.org.mentors if (anyone or not m.skills or ask.skill in m.skills) and m not in attendees]
        scored = []
        for mentor in pool:
            shared = min(overlap_minutes(mentor, p, ask.at, ask.at + HORIZON) for p in attendees)
            if shared >= 60:
                scored.append((self.booked_by_mentor[mentor.upn] // 2, -shared, mentor.upn, mentor))
        ordered = [m for *_, m in sorted(scored)]
        before = self.last_mentor.get((ask.mentee.upn, ask.skill))
        if before is not None and before in ordered and self.rng.random() < 0.7:
            ordered.remove(before)
            ordered.insert(0, before)
        return ordered[: max(MENTOR_TRIES, ask.sessions + 2)]

    async def _ask(self, ask: _Ask) -> None:
        assert self.week is not None
        candidates = self._candidates(ask)
        soonest = self.rng.random() < P_SOONEST
        if ask.attempt == 1 and not ask.companions and (soonest or ask.sessions > 1):
            await self._submit(ask, candidates)
            return
        if ask.attempt == 1:
            self.week.asks += 1
            request = MentoringRequest(
                id=ask.request_id,
                mentee=ask.mentee.upn,
                skill=ask.skill or "anything",
                question=ask.question,
                created_at=ask.at,
                mentors=tuple(m.upn for m in candidates),
            )
            await asyncio.to_thread(self.store.add_request, request)
        else:
            self.week.reasks += 1
        mentee_upns = tuple(p.upn for p in (ask.mentee, *ask.companions))
        for mentor in candidates:
            limit = None if soonest else SLOT_CHOICES
            query = SlotQuery(mentor=mentor.upn, mentees=mentee_upns, now=ask.at, limit=limit)
            answer = await search_slots(self.graph, self.policy, query)
            for slot in self._mentee_picks(answer.slots, soonest=soonest):
                booking = await self._book(ask, mentor, slot)
                if booking is not None:
                    return
        self.week.waiting += 1

    async def _submit(self, ask: _Ask, candidates: Sequence[DemoPerson]) -> None:
        """The request API's path: micromentor records the request and books the earliest slot itself,
        with the mentors named in order (or, with none, the catalogue's mentors for the skill)."""
        assert self.week is not None
        self.week.asks += 1
        self.week.automatic += 1
        data = RequestInput(
            mentee=ask.mentee.upn,
            skill=ask.skill or "anything",
            question=ask.question,
            mentors=tuple(m.upn for m in candidates),
            sessions=ask.sessions,
            idempotency_key=ask.request_id,
        )
        try:
            outcome = await submit_request(
                self.graph, self.store, self.policy, self.catalogue, data, now=ask.at, public_url=self.public_url
            )
        except NoSessionBooked as exc:
            ask.request_id = exc.outcome.request.id
            self.week.waiting += 1
            return
        ask.request_id = outcome.request.id  # the service's id: a re-ask books under the same request
        for session in outcome.sessions:
            self._track(ask, self.org.by_upn[session.mentor], session)

    def _mentee_picks(self, slots: Sequence[Slot], *, soonest: bool) -> list[Slot]:
        """The slots in the order this mentee tries them. In a hurry: the earliest valid ones (the search
        without a limit lists every slot by start). Otherwise micromentor's ranking, which keeps the
        mentor's focus blocks whole: mostly its first suggestion, not always."""
        if soonest:
            return list(slots[:SLOT_CHOICES])
        remaining = list(slots)
        picks = []
        while remaining:
            chosen = self.rng.choices(remaining, weights=SLOT_WEIGHTS[: len(remaining)])[0]
            picks.append(chosen)
            remaining.remove(chosen)
        return picks

    async def _book(self, ask: _Ask, mentor: DemoPerson, slot: Slot) -> _Booking | None:
        assert self.week is not None
        request = BookingRequest(
            mentor=mentor.upn,
            mentees=tuple(p.upn for p in (ask.mentee, *ask.companions)),
            start=slot.start,
            question=ask.question,
            topic=ask.skill or None,
            # One key per booking the mentee sends: another slot or mentor is another booking.
            idempotency_key=f"{ask.request_id}/{ask.attempt}/{mentor.upn}/{iso_z(slot.start)}",
            request_id=ask.request_id,
        )
        try:
            result = await book_session(
                self.graph, self.store, self.policy, request, now=ask.at, public_url=self.public_url
            )
        except (Conflict, PolicyViolation):
            return None  # taken or capped since the search: the mentee tries the next slot
        if self.first_booking is None:
            self.first_booking = (request, ask.at)
        return self._track(ask, mentor, result.session)

    def _track(self, ask: _Ask, mentor: DemoPerson, session: Session) -> _Booking:
        """A booked session joins the simulation: its fate before the meeting, and the meeting itself."""
        assert self.week is not None
        assert session.event_id is not None and session.join_url is not None
        booking = _Booking(ask, session.id, mentor, session.start, session.end, session.event_id, session.join_url)
        self.week.booked += 1
        self.booked_by_mentor[mentor.upn] += 1
        self.last_mentor[(ask.mentee.upn, ask.skill)] = mentor
        fate = self._fate(booking)
        change_at = ask.at + (booking.start - ask.at) * self.rng.uniform(0.3, 0.8)
        if fate in ("cancel", "decline"):
            self.push(change_at, fate, booking)
        else:
            if fate == "move":
                self.push(change_at, "move", booking)
            self.push(booking.end, "play", (booking, booking.generation))
        return booking

    def _fate(self, booking: _Booking) -> str:
        """What happens to a booking before its meeting. Every other booking that starts in the first week
        takes the next scripted fate, so that even a one-week tour shows each case; then chance decides."""
        roll = self.rng.random()
        if self.scripted_fates and booking.start < self.first_week_end and sum(self.booked_by_mentor.values()) % 2 == 0:
            return self.scripted_fates.pop(0)
        if roll < P_CANCEL:
            return "cancel"
        if roll < P_DECLINE:
            return "decline"
        return "move" if roll < P_MOVE else "keep"

    async def resend_first_booking(self) -> bool:
        """The first booking again with the same idempotency key: it must not make a second meeting."""
        if self.first_booking is None:
            return True
        request, at = self.first_booking
        again = await book_session(self.graph, self.store, self.policy, request, now=at, public_url=self.public_url)
        return not again.created

    # --- changes before the meeting ----------------------------------------------------------------
    async def _cancel(self, booking: _Booking, at: datetime) -> None:
        assert self.week is not None
        await cancel_session(self.graph, self.store, booking.session_id, "Something came up, sorry!", now=at)
        self.week.cancelled += 1
        self._maybe_ask_again(booking, at)

    def _maybe_ask_again(self, booking: _Booking, at: datetime) -> None:
        """Most mentees whose session fell through ask again (same request) within a day or so."""
        if self.rng.random() < P_ASK_AGAIN:
            again = replace(
                booking.ask, at=at + timedelta(hours=self.rng.uniform(1, 26)), attempt=booking.ask.attempt + 1
            )
            self.push(again.at, "ask", again)

    async def _graph(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None) -> Any:
        """A raw Graph call as Outlook would make it (the mentor moving, a mentee declining)."""
        token = await self.graph.token()
        response = await self.raw.request(
            method,
            f"{self.settings.graph_url}{path}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {token}", "Prefer": 'outlook.timezone="UTC"'},
        )
        response.raise_for_status()
        return response.json() if response.content else None

    async def _decline(self, booking: _Booking, at: datetime) -> None:
        assert self.week is not None
        for mentee in booking.mentees:
            view = await self._graph(
                "GET",
                f"/users/{mentee.upn}/calendarView",
                params={"startDateTime": iso_z(booking.start), "endDateTime": iso_z(booking.end), "$top": "50"},
            )
            copy = next(
                (e for e in view.get("value", []) if (e.get("onlineMeeting") or {}).get("joinUrl") == booking.join_url),
                None,
            )
            if copy is not None:
                body = {"comment": "Sorry, a customer call landed on this slot.", "sendResponse": True}
                await self._graph("POST", f"/users/{mentee.upn}/events/{copy['id']}/decline", body)
        self.week.declined += 1
        self._maybe_ask_again(booking, at)

    async def _move(self, booking: _Booking, at: datetime) -> None:
        """The mentor drags the meeting to another free slot in Outlook; sync must follow it."""
        assert self.week is not None
        query = SlotQuery(mentor=booking.mentor.upn, mentees=tuple(p.upn for p in booking.mentees), now=at, limit=3)
        answer = await search_slots(self.graph, self.policy, query)
        target = next((s for s in answer.slots if s.start != booking.start), None)
        if target is None:
            self.push(booking.end, "play", (booking, booking.generation))
            return
        patch = {
            "start": {"dateTime": target.start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": target.end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        }
        await self._graph("PATCH", f"/users/{booking.mentor.upn}/events/{booking.event_id}", patch)
        booking.start, booking.end = target.start, target.end
        booking.generation += 1
        self.push(booking.end, "play", (booking, booking.generation))
        self.week.moved += 1

    # --- the meeting --------------------------------------------------------------------------------
    def _behaviour(self) -> tuple[str, bool]:
        """How a meeting goes, and whether its attendance report comes late. Every other meeting of the
        first ones takes the next scripted behaviour; then chance decides."""
        self.held += 1
        roll, late = self.rng.random(), self.rng.random() < P_LATE_REPORT
        if self.scripted_meetings and self.held % 2 == 0:
            scripted = self.scripted_meetings.pop(0)
            return ("attended", True) if scripted == "late_report" else (scripted, False)
        if roll < P_MENTEE_NO_SHOW:
            return "mentee_no_show", late
        if roll < P_MENTOR_NO_SHOW:
            return "mentor_no_show", late
        return ("nobody" if roll < P_NOBODY else "attended"), late

    def _records(self, booking: _Booking, behaviour: str) -> list[dict[str, Any]]:
        """Who was in the meeting and when (Teams attendance records)."""
        start, end = booking.start, booking.end
        length = (end - start).total_seconds() / 60

        def span(join_min: float, leave_min: float) -> dict[str, str]:
            return {
                "join": iso_z(start + timedelta(minutes=join_min)),
                "leave": iso_z(start + timedelta(minutes=leave_min)),
            }

        mentor, mentees = booking.mentor.upn, [p.upn for p in booking.mentees]
        if behaviour == "mentee_no_show":  # the mentor waits; the mentee never comes, or looks in briefly
            records = [{"upn": mentor, "intervals": [span(0, self.rng.uniform(0.7, 1.0) * length)]}]
            for mentee in mentees:
                if self.rng.random() < 0.3:
                    records.append({"upn": mentee, "intervals": [span(3, 3 + self.rng.uniform(1, 4))]})
            return records
        if behaviour == "mentor_no_show":  # the mentor forgot: the mentees wait a few minutes, or all along
            wait = (4, 8) if self.rng.random() < 0.5 else (length - 3, length)
            return [{"upn": m, "intervals": [span(0, self.rng.uniform(*wait))]} for m in mentees]
        if behaviour == "nobody":
            return []  # nobody joined: Teams publishes no report at all
        records = [{"upn": mentor, "intervals": [span(-1, length + self.rng.choice((0, 0, 1, 2)))]}]
        for index, mentee in enumerate(mentees):
            if index > 0 and self.rng.random() < 0.3:
                continue  # the teammate did not make it; the session still counts
            style = self.rng.random()
            if style < 0.25:  # joins late
                intervals = [span(self.rng.uniform(1, 4), length)]
            elif style < 0.35:  # leaves early
                intervals = [span(0, length - self.rng.uniform(1, 4))]
            elif style < 0.43:  # drops and rejoins
                cut = self.rng.uniform(3, length - 5)
                intervals = [span(0, cut), span(cut + self.rng.uniform(0.5, 2), length)]
            else:
                intervals = [span(self.rng.uniform(-1, 0.5), length)]
            records.append({"upn": mentee, "intervals": intervals})
        return records

    async def _play(self, booking: _Booking) -> None:
        assert self.week is not None
        self.week.played += 1
        behaviour, late = self._behaviour()
        records = self._records(booking, behaviour)
        if not records:
            self.week.unreported += 1
            return
        if late:
            # Teams is slow today: the report is not there at the next sync, only after it.
            next_sync = next((t for t in self.sync_times if t > booking.end), None)
            if next_sync is not None:
                self.week.late += 1
                self.push(next_sync + LATE_REPORT_DELAY, "late_report", (booking, records))
                return
        await self._post_report(booking, records)

    async def _post_report(self, booking: _Booking, records: list[dict[str, Any]]) -> None:
        joins = [i["join"] for r in records for i in r["intervals"]]
        leaves = [i["leave"] for r in records for i in r["intervals"]]
        body = {"joinUrl": booking.join_url, "start": min(joins), "end": max(leaves), "records": records}
        response = await self.admin.post("/meetings/attendance", json=body)
        response.raise_for_status()

    # --- the daily sync ----------------------------------------------------------------------------
    async def _sync(self, at: datetime) -> None:
        """What the timer does: every organizer with open sessions, calendar changes then attendance."""
        assert self.week is not None
        organizers = await asyncio.to_thread(find_sync_work, self.store)
        results = await asyncio.gather(
            *(sync_organizer(self.graph, self.store, self.policy, o, now=at) for o in organizers)
        )
        total = SyncResult("all")
        for result in results:
            total.merge(result)
        self.week.syncs += 1
        self.week.changes.update(total.decided)
        self.week.changes["moved"] += total.moved
        self.week.changes["cancelled"] += total.cancelled

    def _week_lines(self, week: _Week) -> list[str]:
        last_day = week.end - DAY
        lines = [f"week {week.number}: {week.start:%a %d %b} to {last_day:%a %d %b %Y}"]
        changes = _clock_changes(self.org, week.start, week.end)
        if changes:
            lines.append(f"  clocks changed: {changes}")
        lines.append(
            f"  {week.asks} asks ({week.automatic} booked by micromentor at the earliest slot, the others picked "
            f"from ranked slots), {week.reasks} asked again after a cancellation: {week.booked} sessions booked, "
            f"{week.waiting} asks found no shared slot; {week.cancelled} cancelled in micromentor, "
            f"{week.declined} declined and {week.moved} moved in Outlook"
        )
        lines.append(
            f"  {week.played} meetings held; attendance report late for {week.late}, never published for "
            f"{week.unreported}"
        )
        seen = ", ".join(f"{k} {v}" for k, v in sorted(week.changes.items()) if v) or "no change"
        lines.append(f"  {week.syncs} syncs: {seen}")
        return lines


def _clock_changes(org: DemoOrg, since: datetime, until: datetime) -> str:
    changed = []
    for name, zone in sorted(org.zones().items()):
        before, after = since.astimezone(zone).utcoffset(), until.astimezone(zone).utcoffset()
        if before is not None and after is not None and before != after:
            changed.append(f"{name} {_offset(before)}→{_offset(after)}")
    return "; ".join(changed)


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# --- the summary -----------------------------------------------------------------------------------------


def _summary(report: Report, org: DemoOrg, later: int) -> str:
    names = {p.upn.lower(): p.display_name for p in org.people}
    header = ("mentor", "sessions", "completed", "no-shows", "cancelled", "open", "mentees")
    rows = []
    for stats in report.mentors:
        c = stats.counts
        rows.append(
            (
                f"{names.get(stats.mentor, stats.mentor)} ({stats.mentor})",
                c.total,
                c.completed,
                c.no_show,
                c.cancelled,
                c.scheduled + c.pending_attendance,
                stats.distinct_mentees,
            )
        )
    c = report.counts
    total = ("total", c.total, c.completed, c.no_show, c.cancelled, c.scheduled + c.pending_attendance,
             report.mentees_with_sessions)  # fmt: skip
    width = max(len(str(r[0])) for r in [header, *rows, total])
    lines = ["  ".join([str(header[0]).ljust(width), *(h.rjust(9) for h in header[1:])])]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join([str(r[0]).ljust(width), *(str(v).rjust(9) for v in r[1:])]) for r in rows]
    lines.append("-" * len(lines[0]))
    lines.append("  ".join([str(total[0]).ljust(width), *(str(v).rjust(9) for v in total[1:])]))
    wait = report.time_to_first_session
    decided = c.completed + c.no_show
    lines.append("")
    lines.append(
        f"totals: completion rate {percent(report.completion_rate)} ({c.completed} of {decided} decided), "
        f"time to first session median {duration(wait.median_minutes)}, p90 {duration(wait.p90_minutes)} "
        f"({len(wait.requests)} requests, {wait.waiting} waiting)"
    )
    if report.outcomes is not None:
        o = report.outcomes.to_json()
        skill, repeat, useful = o["skillApplication"], o["mentorRepeat"], o["usefulness"]
        mean = "n/a" if useful["mean"] is None else f"{useful['mean']:.2f}/5"
        lines.append(
            f"outcomes: skill applied {percent(skill['rate'])} ({skill['applied']} applied, {skill['partly']} partly; "
            f"{skill['answered']} of {skill['asked']} check-ins answered), would mentor again "
            f"{percent(repeat['rate'])} ({repeat['yes']} yes, {repeat['maybe']} maybe, {repeat['no']} no of "
            f"{repeat['asked']} asked), usefulness {mean} ({useful['n']} of {useful['asked']}), "
            f"response rate {percent(o['responseRate']['rate'])} "
            f"({o['responseRate']['answered']} of {o['responseRate']['asked']} answered)"
        )
    if later:
        noun = "session" if later == 1 else "sessions"
        lines.append(f"booked beyond the demo's last day: {later} more {noun} (not in these numbers)")
    return "\n".join(lines)


def _example_pair(org: DemoOrg) -> tuple[str, str]:
    """A mentor and a mentee to try `micromentor slots` on: London and Kolkata in the built-in organisation."""
    mentor = next((p for p in org.mentors if p.upn == "maya.lind@fabrikam.example"), org.mentors[0])
    mentee = next((p for p in org.mentees if p.upn == "ananya.iyer@fabrikam.example"), org.mentees[0])
    return mentor.upn, mentee.upn


# --- entry point -------------------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    began = clock.perf_counter()

    def say(text: str) -> None:
        sys.stderr.write(f"demo: {text}\n")
        sys.stderr.flush()

    start = parse_aware("--now", args.now)
    weeks = args.weeks
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise InputError("--weeks", f"must be between 1 and {MAX_WEEKS}")
    policy = read_policy_file(args.policy)
    out_dir = Path(args.out)
    store_path = _store_path(args.store)
    out_dir.mkdir(parents=True, exist_ok=True)

    if args.tenant:
        try:
            seed_data = loads_limited(Path(args.tenant).read_text(encoding="utf-8"), "--tenant")
        except FileNotFoundError as exc:
            raise InputError("--tenant", f"no such file: {args.tenant}") from exc
        if not isinstance(seed_data, dict):
            raise InputError("--tenant", "expected a JSON object")
        org = DemoOrg.from_seed(seed_data)
        seed_path = Path(args.tenant)
    else:
        org = build_demo_org(start, weeks=weeks, seed=args.seed)
        seed_path = out_dir / SEED_FILE
        seed_path.write_text(json.dumps(org.seed, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    _empty_store(store_path, say)
    store = open_store(f"sqlite:///{store_path}")
    store.set_checkpoint(MARKER_NAME, MARKER_VALUE)
    say(
        f"organisation: {len(org.people)} people ({len(org.mentors)} mentors, {len(org.mentees)} mentees) "
        f"in {len(org.zones())} time zones; seed {seed_path}"
    )
    say(f"simulating {weeks} week(s) from {iso_z(start)}; store {store_path}")
    try:
        with start_local_tenant(str(seed_path)) as running:
            settings = emulator_settings(running)
            claim_store_tenant(store, running.tenant_id, str(store_path))  # `serve` and `sync` check it
            say(f"Graph emulator on {running.graph_url}")
            report, later, requests_total, idempotent, patterns = asyncio.run(
                _simulate(org, settings, running.admin_url, store, policy, start, weeks, args.seed, say)
            )
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()

    report_path = out_dir / REPORT_FILE
    report_path.write_text(render(report, "html")[1], encoding="utf-8")
    write_demo_pointer(out_dir, tenant=seed_path, store=store_path)  # `serve` and `emulator` follow the demo
    last_day = start + timedelta(weeks=weeks) - DAY
    mentor, mentee = _example_pair(org)
    sys.stdout.write(
        f"micromentor demo: {len(org.people)} people, {weeks} week(s) from {start:%d %b} to {last_day:%d %b %Y}\n\n"
        + _summary(report, org, later)
        + "".join(f"\n{line}" for line in patterns)
        + f"\n\nreport: {report_path}\n"
        + f"try:    micromentor slots --tenant {seed_path} --mentor {mentor} --mentee {mentee} "
        f"--now {iso_z(start)} --limit 5\n"
    )
    if idempotent:
        say("resent the first booking with its idempotency key: still one meeting")
    else:
        say("warning: resending the first booking with its idempotency key made a second meeting")
    say(f"wrote {report_path}")
    say(f"done in {clock.perf_counter() - began:.1f} s ({requests_total} Graph requests)")
    return 0


async def _doctor_before_go_live(
    graph: GraphGateway, admin: httpx.AsyncClient, org: DemoOrg, now: datetime, say: Callable[[str], None]
) -> None:
    """What an admin does before go-live: `micromentor doctor`, fix what fails, check again. Here the Teams
    application access policy misses a mentor; the fix is `Grant-CsApplicationAccessPolicy`, which the
    emulator's admin surface stands in for."""
    mentors = [m.upn for m in org.mentors]
    failing = [c for c in await check_mentors(graph, mentors, now) if c.status == "fail"]
    for check in failing:
        say(f"doctor: fail  {check.name}  {check.detail}")
        say(f"doctor:       fix: {check.fix}")
    if not failing:
        say(f"doctor: {len(mentors)} mentors' mailboxes and Teams meetings readable")
        return
    granted = await admin.patch("/access", json={"teamsAccessPolicy": {"global": True}})
    granted.raise_for_status()
    again = [c for c in await check_mentors(graph, mentors, now) if c.status == "fail"]
    say(f"doctor: after Grant-CsApplicationAccessPolicy -Global: {len(again)} check(s) failing")


async def _simulate(
    org: DemoOrg,
    settings: GraphSettings,
    admin_url: str,
    store: Store,
    policy: TenantPolicy,
    start: datetime,
    weeks: int,
    seed: int,
    say: Callable[[str], None],
) -> tuple[Report, int, int, bool, list[str]]:
    # The demo's one runtime (micromentor.bootstrap): its Graph client and the store, closed when it ends.
    rt = Runtime(replace(load_settings(), graph=settings), store=store)
    graph = rt.graph
    verify = ssl.create_default_context(cafile=settings.ca_bundle) if settings.ca_bundle else True
    admin = httpx.AsyncClient(base_url=admin_url, verify=verify, trust_env=False, timeout=30)
    simulation = _Simulation(
        org=org,
        graph=graph,
        settings=settings,
        admin=admin,
        store=store,
        policy=policy,
        public_url=load_settings().public_url,
        rng=random.Random(seed),
        say=say,
    )
    patterns = DemoPatterns.for_people(
        [p.upn for p in org.people], graph=graph, store=store, admin=admin, say=say, public_url=simulation.public_url,
        names={p.upn: p.display_name for p in org.people}, secret=load_settings().link_secret,
    )  # fmt: skip
    try:
        await _doctor_before_go_live(graph, admin, org, start, say)
        if patterns is not None:
            simulation.policy = policy = await patterns.set_office_hours(policy, start)
            simulation.patterns = patterns
        cohort = await onboard_demo_cohort(
            graph, admin, store, policy, org, now=start, public_url=simulation.public_url, say=say
        )
        await simulation.run(start, weeks)
        idempotent = await simulation.resend_first_booking()
        end = start + timedelta(weeks=weeks)
        learning = load_settings().learning
        if learning is not None:  # an LRS (MICROMENTOR_LRS_URL) or Viva Learning is configured: log what completed
            logged = await log_learning_records(store, learning, end, graph=graph)
            say(f"learning records: {logged['queued']} queued, {logged['sent']} sent, {logged['retrying']} retrying")
        played = await play_outcomes(
            graph, admin, store, policy, start=start, end=end, secret=load_settings().link_secret,
            public_url=load_settings().public_url, rng=random.Random(seed + 1),
        )  # fmt: skip
        report = await build_report(store, policy, period_from=start, period_to=end, graph=graph)
        say(describe_outcomes(played, report.outcomes.to_json() if report.outcomes is not None else None))
        later = len(await asyncio.to_thread(store.list_sessions, start_from=end))
        log = (await admin.get("/requests")).json()
        lines = [] if patterns is None else await patterns.summary(report, period_from=start, period_to=end)
        lines.append(cohort_line(cohort))
        return report, later, int(log.get("total") or 0), idempotent, lines
    finally:
        await simulation.aclose()
        await admin.aclose()
        await rt.aclose()
