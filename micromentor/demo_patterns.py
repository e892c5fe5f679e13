"""The demo's programme patterns (issue 16): office hours, three series and two group sessions, played on
the demo's simulated clock through the real services, beside the asks of `micromentor.demo`.

- **Office hours**: Jonas Weber (Tue, Thu 14:00-16:00 Berlin) and Marcus Johnson (Mon, Wed 10:00-12:00
  New York) set theirs through `services.office_hours` before the first ask; the demo's policy is then
  the stored one, so every search and booking with them (asks, moves, group sessions) keeps inside.
- **Series** (`services.series`), started on the first morning at the first valid slot from the next
  day: Lucas Almeida and Mariana Souza every 14 days for 20 minutes, open-ended (it keeps running);
  Priya Raman and Arjun Nair every 14 days, 6 sessions, which Arjun stops from his session page right
  after the first one; Olivia Chen and Liam Walsh every 7 days for 15 minutes, 4 sessions, which stops
  when Olivia answers "no" to the follow-up's "would you do another micro session?" after the first.
  The series timer (`series_round`) runs after each daily sync; every series meeting is attended.
- **Group sessions** (`services.groups`): Jonas publishes two Python typing clinics inside his office
  hours, 3 and 4 seats. Three mentees fill the first; a fourth is refused (409, `GroupFull`) with
  Jonas's next open group sessions, and joins the second from that list with one more. In the first
  clinic one of the three does not come (attendance is per mentee).

Scripted, no random draw: the demo's own random sequence (and so the rest of the tour) is unchanged by
the patterns except where they take calendar time. A tenant seed without these people skips them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import partial
from typing import Any

import httpx

from core.errors import Conflict, InputError, PolicyViolation
from core.metrics import Report
from core.model import Session
from core.office_hours import describe_office_hours
from core.timefmt import iso_z
from graph.gateway import GraphGateway
from policies import TenantPolicy, parse_policy
from services.answer_links import make_answer_token, record_answer
from services.groups import GroupDraft, GroupFull, join_group, publish_group
from services.office_hours import set_office_hours
from services.series import SeriesDraft, series_round, start_series
from services.series_page import stop_series_from_page
from services.session_links import SessionLinkClaims, session_link_expiry
from services.slots import SlotQuery, search_slots
from store.base import Store
from store.outbox import MessageKind, open_outbox
from store.series import open_series_store

__all__ = ["DemoPatterns", "Job", "Push"]

Job = Callable[[datetime], Awaitable[None]]
Push = Callable[[datetime, Job, int], None]  # (when, job, order at the same moment)

OFFICE_HOURS: dict[str, list[dict[str, str]]] = {
    "jonas.weber@fabrikam.example": [
        {"day": "tuesday", "start": "14:00", "end": "16:00"},
        {"day": "thursday", "start": "14:00", "end": "16:00"},
    ],
    "marcus.johnson@fabrikam.example": [
        {"day": "monday", "start": "10:00", "end": "12:00"},
        {"day": "wednesday", "start": "10:00", "end": "12:00"},
    ],
}
SETUP_AT = timedelta(hours=6)  # the first morning (UTC) of the demo: series started, groups published


@dataclass(frozen=True, slots=True)
class _SeriesPlan:
    name: str  # how the demo tells it
    mentor: str
    mentee: str
    topic: str
    question: str
    minutes: int
    interval_days: int
    count: int | None
    first_day: int  # the first session: the first valid slot from this many days after the start
    ending: str  # "runs", "mentee_stops" or "mentor_no"


SERIES: tuple[_SeriesPlan, ...] = (
    _SeriesPlan(
        "running", "lucas.almeida@fabrikam.example", "mariana.souza@fabrikam.example", "storytelling with data",
        "How do I build a quarterly story from our dashboards?", 20, 14, None, 1, "runs",
    ),
    _SeriesPlan(
        "stopped by the mentee", "priya.raman@fabrikam.example", "arjun.nair@fabrikam.example", "negotiating scope",
        "How do I keep scope steady with a customer who keeps adding asks?", 20, 14, 6, 2, "mentee_stops",
    ),
    _SeriesPlan(
        "stopped by the mentor's no", "olivia.chen@fabrikam.example", "liam.walsh@fabrikam.example",
        "presenting to executives", "How do I open a board update in one slide?", 15, 7, 4, 1, "mentor_no",
    ),
)  # fmt: skip

GROUP_MENTOR = "jonas.weber@fabrikam.example"
GROUP_TOPIC = "Python typing clinic"
GROUP_SEATS = (3, 4)
FIRST_GROUP = ("tom.baker@fabrikam.example", "hannah.schmidt@fabrikam.example", "felix.wagner@fabrikam.example")
ABSENT_FROM_FIRST = "felix.wagner@fabrikam.example"
LATE_JOINER = "siobhan.kelly@fabrikam.example"  # refused by the full clinic, joins the next one
SECOND_GROUP = ("eva.novak@fabrikam.example",)
GROUP_STARTS = ((1, time(14, 0)), (3, time(14, 0)), (1, time(15, 0)), (3, time(15, 0)), (8, time(14, 0)))

_REASONS = {
    "stopped_by_mentor": "by the mentor",
    "stopped_by_mentee": "by the mentee",
    "mentor_declined": "the mentor would not repeat",
    "two_no_shows": "two no-shows in a row",
}


@dataclass(slots=True)
class DemoPatterns:
    graph: GraphGateway
    store: Store
    admin: httpx.AsyncClient
    names: Mapping[str, str]  # upn -> display name
    public_url: str
    secret: str
    say: Callable[[str], None]
    policy: TenantPolicy = field(default_factory=TenantPolicy)
    push: Push | None = None
    played: set[str] = field(default_factory=set)  # session ids whose meeting is scheduled to play
    endings: dict[str, str] = field(default_factory=dict)  # series id -> its plan's ending
    refused: str = ""  # the refused join, told in the summary

    @classmethod
    def for_people(cls, people: Sequence[str], **kwargs: Any) -> DemoPatterns | None:
        """The patterns, when the organisation has their people (the built-in one does)."""
        wanted = {*OFFICE_HOURS, GROUP_MENTOR, *FIRST_GROUP, LATE_JOINER, *SECOND_GROUP}
        wanted |= {p.mentor for p in SERIES} | {p.mentee for p in SERIES}
        return cls(**kwargs) if wanted <= set(people) else None

    # --- office hours, before the first ask ---------------------------------------------------------
    async def set_office_hours(self, fallback: TenantPolicy, now: datetime) -> TenantPolicy:
        """Each mentor's office hours saved as the admin API saves them; the stored policy from then on."""
        state = None
        for mentor, windows in OFFICE_HOURS.items():
            state = await set_office_hours(self.store, fallback, mentor, windows, changed_by=mentor, now=now)
        assert state is not None
        self.policy = parse_policy(state.policy)
        return self.policy

    # --- the timeline ---------------------------------------------------------------------------------
    def schedule(self, push: Push, start: datetime, sync_times: Sequence[datetime]) -> None:
        """Setup on the first morning; the series timer after each daily sync (order 2: after it)."""
        self.push = push
        push(start + SETUP_AT, self._setup, 0)
        for at in sync_times:
            push(at, self._series_timer, 2)

    def _play_at_end(self, session: Session) -> None:
        if session.id in self.played or self.push is None:
            return
        self.played.add(session.id)
        self.push(session.end, partial(self._meeting, session.id), 0)

    async def _first_slot(self, mentor: str, mentees: tuple[str, ...], minutes: int, after: datetime) -> datetime:
        answer = await search_slots(self.graph, self.policy, SlotQuery(mentor, mentees, after, minutes=minutes))
        found = [s.start for s in answer.slots if s.start >= after]
        if not found:
            raise InputError("start", f"no valid slot for {mentor} and {', '.join(mentees)}")
        return min(found)

    async def _setup(self, at: datetime) -> None:
        series_store = open_series_store(self.store)
        for plan in SERIES:
            day = at.replace(hour=0, minute=0) + timedelta(days=plan.first_day)
            first = await self._first_slot(plan.mentor, (plan.mentee,), plan.minutes, max(day, at))
            started = await start_series(
                self.graph, self.store, series_store, self.policy,
                SeriesDraft(
                    mentor=plan.mentor, mentee=plan.mentee, start=first, question=plan.question,
                    created_by=plan.mentee, minutes=plan.minutes, interval_days=plan.interval_days,
                    count=plan.count, topic=plan.topic, idempotency_key=f"demo-series-{plan.ending}",
                ),
                now=at, public_url=self.public_url, link_secret=self.secret,
            )  # fmt: skip
            self.endings[started.series.id] = plan.ending
            self._play_at_end(started.session)
        self.say(f"series: {len(SERIES)} started ({', '.join(p.name for p in SERIES)})")
        await self._groups(at)

    async def _groups(self, at: datetime) -> None:
        published: list[Session] = []
        for seats in GROUP_SEATS:
            published.append(await self._publish(at, seats, skip={s.start for s in published}))
        first, second = published
        for mentee in FIRST_GROUP:
            await join_group(self.graph, self.store, first.id, mentee, now=at)
        try:
            await join_group(self.graph, self.store, first.id, LATE_JOINER, now=at)
        except GroupFull as full:
            offered = [a["id"] for a in full.alternatives]
            self.refused = (
                f"{LATE_JOINER}'s join to the full {first.seats}-seat clinic was refused (409) with "
                f"{len(offered)} next open group session(s) of {self.names.get(GROUP_MENTOR, GROUP_MENTOR)}"
            )
            self.say(f"group sessions: {self.refused}; joined the one offered")
            chosen = offered[0] if offered else second.id
        else:
            raise AssertionError("the full group session took a fourth mentee")
        for mentee in (LATE_JOINER, *SECOND_GROUP):
            await join_group(self.graph, self.store, chosen, mentee, now=at)
        for group in published:
            self._play_at_end(group)

    async def _publish(self, at: datetime, seats: int, *, skip: set[datetime]) -> Session:
        """The clinic at the first of GROUP_STARTS (days after the start, Berlin time) Jonas can take."""
        zone = (await self.graph.get_mailboxes([GROUP_MENTOR]))[GROUP_MENTOR].tz
        base = at.astimezone(zone).date()
        for days, clock in GROUP_STARTS:
            start = datetime.combine(base + timedelta(days=days), clock, tzinfo=zone).astimezone(UTC)
            if start in skip:
                continue
            try:
                draft = GroupDraft(mentor=GROUP_MENTOR, topic=GROUP_TOPIC, start=start, seats=seats)
                return await publish_group(
                    self.graph, self.store, self.policy, draft, now=at, public_url=self.public_url
                )
            except (Conflict, PolicyViolation, InputError):
                continue  # busy then, or outside a rule: the next candidate
        raise InputError("start", f"no time for {GROUP_MENTOR}'s group session")

    async def _series_timer(self, at: datetime) -> None:
        """The series timer's run; each newly booked series session is played at its end."""
        await series_round(self.graph, self.store, self.policy, now=at, public_url=self.public_url,
                           link_secret=self.secret)  # fmt: skip
        series_store = open_series_store(self.store)
        for series in await asyncio.to_thread(series_store.list_series):
            for session_id in series.session_ids:
                session = await asyncio.to_thread(self.store.get_session, session_id)
                if session is not None:
                    self._play_at_end(session)

    # --- meetings -------------------------------------------------------------------------------------
    async def _attendance(self, session: Session, present: Sequence[str]) -> None:
        def span(person: str) -> dict[str, Any]:
            return {"upn": person, "intervals": [{"join": iso_z(session.start), "leave": iso_z(session.end)}]}

        body = {"joinUrl": session.join_url, "start": iso_z(session.start), "end": iso_z(session.end),
                "records": [span(p) for p in present]}  # fmt: skip
        answer = await self.admin.post("/meetings/attendance", json=body)
        answer.raise_for_status()

    async def _meeting(self, session_id: str, at: datetime) -> None:
        """A pattern's meeting, played at its end. Series: everyone comes; right after the first meeting
        Arjun stops his series from his session page, and Olivia answers her follow-up's "would you do
        another?" with no. Group clinics: everyone but one mentee of the first."""
        session = await asyncio.to_thread(self.store.get_session, session_id)
        if session is None or session.end != at or session.join_url is None:
            return  # cancelled or moved meanwhile (the patterns do neither)
        present = [m for m in session.mentees if m != ABSENT_FROM_FIRST]
        await self._attendance(session, (session.mentor, *present))
        ending = self.endings.get(session.series_id or "")
        if ending == "mentee_stops":
            link = SessionLinkClaims(session.id, session.mentees[0], expires=session_link_expiry(session))
            await stop_series_from_page(self.store, open_series_store(self.store), link, now=at)
            self.say(f"series: {session.mentees[0]} stopped their series from the session page at {iso_z(at)}")
        elif ending == "mentor_no":
            token = make_answer_token(session.id, session.mentor, MessageKind.MENTOR_FOLLOWUP, "no",
                                      secret=self.secret, now=at)  # fmt: skip
            record_answer(open_outbox(self.store), token, secret=self.secret, now=at)
            self.say(f"series: {session.mentor} answered no to another session at {iso_z(at)}")

    # --- what the demo prints -------------------------------------------------------------------------
    async def summary(self, report: Report, *, period_from: datetime, period_to: datetime) -> list[str]:
        lines = []
        if report.series is not None:
            s = report.series.to_json()
            reasons = ", ".join(f"{n} {_REASONS.get(r, r)}" for r, n in s["stopReasons"].items())
            per = s["sessionsPerSeries"]
            kept = "; ".join(
                f"after {r['afterSessions']}: "
                + ("n/a" if r["rate"] is None else f"{round(100 * r['rate'])}% ({r['reached']} of {r['eligible']})")
                for r in s["retention"]
            )
            lines.append(
                f"series: {s['started']} started, {s['active']} active, {s['stopped']} stopped"
                + (f" ({reasons})" if reasons else "")
                + f", {s['completed']} completed; sessions per series {_mean(per['booked'])} booked, "
                f"{_mean(per['held'])} held; retention {kept}"
            )
        g = report.groups
        lines.append(
            f"group sessions: {g.group_sessions} ({g.seats_taken} of {g.seats_offered} seats taken; "
            f"{g.mentees_attended} mentees present, {g.mentees_missed} missing) apart from {g.one_to_one} "
            f"1:1 sessions" + (f"; {self.refused}" if self.refused else "")
        )
        lines.append("office hours: " + "; ".join(await self._office_hours(period_from, period_to)))
        return lines

    async def _office_hours(self, period_from: datetime, period_to: datetime) -> list[str]:
        mailboxes = await self.graph.get_mailboxes(list(OFFICE_HOURS))
        told = []
        for mentor in OFFICE_HOURS:
            windows = self.policy.effective(mentor).office_hours
            zone = mailboxes[mentor].tz
            sessions = await asyncio.to_thread(
                self.store.list_sessions, mentor=mentor, start_from=period_from, start_to=period_to
            )
            inside = sum(_inside(s, windows, zone) for s in sessions)
            told.append(
                f"{self.names.get(mentor, mentor)} {describe_office_hours(windows, zone)}: "
                f"{len(sessions)} sessions, {inside} inside"
            )
        return told


def _inside(session: Session, windows: Sequence[Any], zone: tzinfo) -> bool:
    start, end = session.start.astimezone(zone), session.end.astimezone(zone)
    return start.date() == end.date() and any(
        w.weekday == start.weekday() and w.start <= start.time() and end.time() <= w.end for w in windows
    )


def _mean(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
