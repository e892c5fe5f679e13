"""Use case: group flash sessions. A mentor publishes one open session (topic, time, length, seats);
mentees join and leave until it starts; the one Teams meeting's attendees follow the seats.

A group session is a `Session` with `seats` set and `mentees` = who holds a seat, in joining order. It
is one event on the mentor's calendar (the mentoring category), so it counts as ONE session toward the
mentor's caps; sync decides attendance per mentee as for any session with several mentees.

Seats: a join is one conditional update of the stored session (`Store.update_session` compares the row's
version, an ETag in Table Storage), so of 20 mentees joining 5 seats at once exactly 5 get in; the others
get `GroupFull` (409) with the mentor's next open group sessions.

Attendees: Graph replaces an event's `attendees` on PATCH and has no compare-and-set for it, so two
PATCHes racing could leave an older list last. Each writer therefore sends the whole list it read, reads
the seats again after Graph answered, and sends again while they differ: the last PATCH to land is always
followed by its writer's check, so the meeting ends equal to the seats. A crash between the seat claim
and the PATCH (or a PATCH Graph refused) leaves the meeting behind the seats: `reconcile_groups`, run by
sync, compares every open group's meeting with its seats and sends the list again where they differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from core.agenda import DASH, LINKS_BY_MAIL_NOTE, Agenda, AgendaPerson, split_minutes
from core.errors import Conflict, InputError, NotFound, PolicyViolation
from core.model import Session, SessionState
from core.slots import check_slot
from core.text import check_text
from core.timefmt import iso_z
from graph.errors import GraphNotFound
from graph.gateway import GraphGateway
from graph.values import EventDraft
from policies import TenantPolicy
from services.booking import slot_cells
from services.session_link_mail import mail_session_links
from services.slots import gather_attendees, session_minutes
from store.base import Store

__all__ = [
    "GroupDraft",
    "GroupFull",
    "PageLinks",
    "close_empty_groups",
    "group_to_json",
    "join_group",
    "leave_group",
    "open_groups",
    "publish_group",
    "push_attendees",
    "reconcile_groups",
]

log = logging.getLogger(__name__)
MAX_TOPIC_LENGTH = 120
MAX_PUSH_ROUNDS = 25
GROUP_SUBJECT = "Micro mentoring (group): "
NEXT_OPEN = 3


@dataclass(frozen=True, slots=True)
class GroupDraft:
    mentor: str
    topic: str
    start: datetime
    seats: int
    minutes: int | None = None


class GroupFull(Conflict):
    """Every seat is taken; `alternatives` lists the mentor's next open group sessions."""

    def __init__(self, message: str, alternatives: list[dict[str, Any]]) -> None:
        super().__init__("seats", message)
        self.alternatives = alternatives

    def details(self) -> dict[str, Any]:
        return {"alternatives": self.alternatives}


class _FullError(Exception):
    """Raised inside the conditional update when no seat is left (nothing is written)."""


def _person(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, "a user principal name is required")
    return check_text(field, value.strip().lower())


def _validated(draft: GroupDraft, max_group_size: int) -> GroupDraft:
    mentor = _person("mentor", draft.mentor)
    topic = check_text("topic", draft.topic.strip()) if isinstance(draft.topic, str) else ""
    if not topic:
        raise InputError("topic", "a topic is required")
    if len(topic) > MAX_TOPIC_LENGTH:
        raise InputError("topic", f"at most {MAX_TOPIC_LENGTH} characters")
    seats = draft.seats
    if isinstance(seats, bool) or not isinstance(seats, int):
        raise InputError("seats", "must be a whole number")
    if not 2 <= seats <= max_group_size:
        raise PolicyViolation("seats", f"must be between 2 and max_group_size ({max_group_size}), got {seats}")
    return replace(draft, mentor=mentor, topic=topic)


@dataclass(frozen=True, slots=True)
class PageLinks:
    """How each person's own session-page link is mailed to them (services.session_link_mail)."""

    secret: str
    public_url: str
    sender: str | None = None


async def _mail_link(graph: GraphGateway, session: Session, person: str, links: PageLinks | None) -> None:
    if links is None:
        return
    mailbox = await graph.get_mailboxes([person])
    who = AgendaPerson(person, "", mailbox[person].tz if person in mailbox else UTC)
    subject = f"{GROUP_SUBJECT}{session.topic or session.question}"
    await mail_session_links(
        graph, session, subject, [who], secret=links.secret, public_url=links.public_url, sender=links.sender
    )


def _group_body(topic: str, mentor: str, minutes: int, seats: int, *, links: bool) -> str:
    """The group invitation: what it is, the 2-10-3 plan scaled to its length, the checklist, and
    (with links) that each person's own page link comes by e-mail: one event body is everyone's."""
    context, work, next_steps = split_minutes(minutes)
    lines = [
        f"<p>A {minutes}-minute group flash session on <b>{escape(topic)}</b> with {escape(mentor)},"
        f" {seats} seats. Come with one question.</p>",
        f"<h3>Plan: {context}{DASH}{work}{DASH}{next_steps} ({minutes} minutes)</h3>",
        "<ol>",
        f"<li><strong>Context ({context} min)</strong>: the questions brought, the outcome wanted.</li>",
        f"<li><strong>Work ({work} min)</strong>: options, risks, practices that worked elsewhere.</li>",
        f"<li><strong>Next steps ({next_steps} min)</strong>: one action and one success indicator each.</li>",
        "</ol>",
        "<h3>Checklist</h3>",
        "<ul>",
        "<li>&#9744; Your question, in one sentence</li>",
        "<li>&#9744; Two or three options discussed</li>",
        "<li>&#9744; One next step and its success indicator</li>",
        "</ul>",
    ]
    if links:
        lines.append(f"<p>{LINKS_BY_MAIL_NOTE}</p>")
    return "\n".join(lines)


async def publish_group(
    graph: GraphGateway,
    store: Store,
    tenant_policy: TenantPolicy,
    draft: GroupDraft,
    *,
    now: datetime,
    public_url: str,
    links: PageLinks | None = None,
) -> Session:
    """One open session on the mentor's calendar: checked against the mentor's policy (office hours,
    caps, buffers, ...), its grid cells claimed like a 1:1 booking's, then the Teams meeting made with
    no attendee yet (`transactionId` = the session id, so sync can settle a crash in between). With
    `links`, the mentor is mailed their own session-page link (each mentee gets theirs on joining)."""
    policy = tenant_policy.effective(_person("mentor", draft.mentor))
    draft = _validated(draft, policy.max_group_size)
    minutes = session_minutes(policy, draft.minutes)
    if draft.start <= now:
        raise InputError("start", f"{iso_z(draft.start)} is in the past")
    mentor, _ = await gather_attendees(graph, policy, draft.mentor, (), now)
    refused = check_slot(start=draft.start, minutes=minutes, mentor=mentor, mentees=(), policy=policy, now=now)
    if refused:
        first = refused[0]
        if first.rule == "busy":
            raise Conflict("start", f"the mentor is not free then: {first.message}")
        if first.rule == "slot_step_minutes":
            raise InputError("start", first.message)
        raise PolicyViolation(first.rule, first.message)
    session_id = uuid.uuid4().hex
    end = draft.start + timedelta(minutes=minutes)
    await asyncio.to_thread(
        store.claim_slot, draft.mentor, slot_cells(draft.start, end, policy.slot_step_minutes), session_id, now
    )
    session = Session(
        id=session_id,
        mentor=draft.mentor,
        mentees=(),
        start=draft.start,
        end=end,
        question=draft.topic,
        topic=draft.topic,
        created_at=now,
        transaction_id=session_id,
        seats=draft.seats,
    )
    await asyncio.to_thread(store.add_session, session)
    agenda = Agenda(
        subject=f"{GROUP_SUBJECT}{draft.topic}",
        body_html=_group_body(draft.topic, draft.mentor, minutes, draft.seats, links=links is not None),
    )
    event = await graph.create_event(
        draft.mentor,
        EventDraft(
            subject=agenda.subject,
            body_html=agenda.body_html,
            start=draft.start,
            end=end,
            zone=mentor.tz,
            attendees=(),
            transaction_id=session_id,
            categories=agenda.categories,
            reminder_minutes=agenda.reminder_minutes,
            allow_new_time_proposals=agenda.allow_new_time_proposals,
        ),
    )

    def attach(s: Session) -> Session:
        return replace(s, event_id=event.id, join_url=event.join_url, updated_at=now)

    published = await asyncio.to_thread(store.update_session, session_id, attach)
    await _mail_link(graph, published, published.mentor, links)
    return published


async def _open_group(store: Store, group_id: str, now: datetime) -> Session:
    session = await asyncio.to_thread(store.get_session, group_id) if group_id else None
    if session is None or not session.is_group:
        raise NotFound("id", f"no group session {group_id[:64]!r}")
    if session.state != SessionState.SCHEDULED or session.event_id is None:
        raise Conflict("id", f"this group session is {session.state.value}, not open")
    if session.start <= now:
        raise Conflict("id", "this group session has started; seats are closed")
    return session


async def open_groups(store: Store, mentor: str, *, now: datetime, skip: str = "") -> list[Session]:
    """The mentor's group sessions still to come with a free seat, soonest first."""
    sessions = await asyncio.to_thread(
        store.list_sessions, mentor=mentor, start_from=now, states=[SessionState.SCHEDULED]
    )
    found = [
        s
        for s in sessions
        if s.is_group and s.id != skip and s.event_id and s.seats is not None and len(s.mentees) < s.seats
    ]
    return sorted(found, key=lambda s: (s.start, s.id))


async def join_group(
    graph: GraphGateway,
    store: Store,
    group_id: str,
    mentee: str,
    *,
    now: datetime,
    links: PageLinks | None = None,
) -> Session:
    """Take a seat (joining twice is one seat), then bring the meeting's attendees up to the seats;
    with `links`, mail the mentee their own session-page link (once, however often they join)."""
    mentee = _person("mentee", mentee)
    session = await _open_group(store, group_id, now)
    if mentee == session.mentor:
        raise InputError("mentee", f"{mentee} is the mentor of this session")
    try:
        await graph.get_user(mentee)
    except GraphNotFound as exc:  # throttling and outages stay what they are (429/503)
        raise NotFound("mentee", f"unknown user {mentee}") from exc

    def take(s: Session) -> Session:
        if mentee in s.mentees:
            return s
        if s.seats is None or len(s.mentees) >= s.seats:
            raise _FullError
        return replace(s, mentees=(*s.mentees, mentee), updated_at=now)

    try:
        await asyncio.to_thread(store.update_session, group_id, take)
    except _FullError:
        others = await open_groups(store, session.mentor, now=now, skip=group_id)
        alternatives = [_summary(s) for s in others[:NEXT_OPEN]]
        raise GroupFull(f"all {session.seats} seats are taken", alternatives) from None
    joined = await push_attendees(graph, store, group_id)
    await _mail_link(graph, joined, mentee, links)
    return joined


async def leave_group(graph: GraphGateway, store: Store, group_id: str, mentee: str, *, now: datetime) -> Session:
    """Give the seat back (leaving without a seat changes nothing), then update the meeting."""
    mentee = _person("mentee", mentee)
    await _open_group(store, group_id, now)

    def give_back(s: Session) -> Session:
        if mentee not in s.mentees:
            return s
        return replace(s, mentees=tuple(m for m in s.mentees if m != mentee), updated_at=now)

    await asyncio.to_thread(store.update_session, group_id, give_back)
    return await push_attendees(graph, store, group_id)


async def push_attendees(graph: GraphGateway, store: Store, group_id: str) -> Session:
    """Send the seats as the meeting's attendees until the seats read after Graph's answer are the ones
    sent (see the module docstring for why that converges under concurrent joins)."""
    sent: Session | None = None
    for _ in range(MAX_PUSH_ROUNDS):
        sent = await asyncio.to_thread(store.get_session, group_id)
        if sent is None or sent.event_id is None or sent.state == SessionState.CANCELLED:
            raise NotFound("id", f"no open group session {group_id[:64]!r}")
        for mentee in sent.mentees:  # the mail address each is invited at (cached per process)
            await graph.get_user(mentee)
        await graph.set_attendees(sent.mentor, sent.event_id, [(m, m) for m in sent.mentees])
        after = await asyncio.to_thread(store.get_session, group_id)
        if after is None or after.mentees == sent.mentees:
            return sent
    log.warning("group %s: attendees still moving after %d rounds; sync reconciles them", group_id, MAX_PUSH_ROUNDS)
    assert sent is not None  # MAX_PUSH_ROUNDS > 0
    return sent


async def reconcile_groups(graph: GraphGateway, store: Store, *, now: datetime, mentor: str | None = None) -> int:
    """Make every open group's meeting attendees equal its seats again (after a crash between a seat
    claim and its PATCH, or a PATCH Graph refused); returns how many meetings were corrected."""
    sessions = await asyncio.to_thread(
        store.list_sessions, mentor=mentor, start_from=now, states=[SessionState.SCHEDULED]
    )
    fixed = 0
    for session in sessions:
        if not session.is_group or session.event_id is None:
            continue
        event = await graph.get_event(session.mentor, session.event_id)
        if event is None:
            continue  # sync's own pass settles a meeting that is gone
        for mentee in session.mentees:
            await graph.get_user(mentee)
        wanted = {graph.smtp_address(m) for m in session.mentees}
        if set(event.responses) != wanted:
            await push_attendees(graph, store, session.id)
            fixed += 1
    return fixed


NOBODY_JOINED = "nobody_joined"


async def close_empty_groups(graph: GraphGateway, store: Store, *, now: datetime, mentor: str | None = None) -> int:
    """Cancel group sessions that started with no seat taken (not a no-show: nobody was expected), the
    meeting first, so a crash in between repeats the cancel rather than leaving a meeting behind."""
    sessions = await asyncio.to_thread(
        store.list_sessions, mentor=mentor, start_to=now, states=[SessionState.SCHEDULED]
    )
    closed = 0
    for session in sessions:
        if not session.is_group or session.mentees or session.start > now:
            continue
        if session.event_id is not None:
            # Gone already (a run that died after this step): nothing left to cancel.
            with contextlib.suppress(GraphNotFound):
                await graph.cancel_event(session.mentor, session.event_id, "Nobody joined this group session.")

        def cancel(s: Session) -> Session:
            if s.mentees or s.state != SessionState.SCHEDULED:
                return s
            return replace(s, state=SessionState.CANCELLED, state_reason=NOBODY_JOINED, updated_at=now)

        await asyncio.to_thread(store.update_session, session.id, cancel)
        closed += 1
    return closed


def _summary(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "topic": session.topic,
        "start": iso_z(session.start),
        "end": iso_z(session.end),
        "seatsLeft": (session.seats or 0) - len(session.mentees),
    }


def group_to_json(session: Session) -> dict[str, Any]:
    return {
        **_summary(session),
        "mentor": session.mentor,
        "minutes": session.minutes,
        "seats": session.seats,
        "mentees": list(session.mentees),
        "joinUrl": session.join_url,
        "state": session.state.value,
    }
