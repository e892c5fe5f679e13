"""Use case: list the shared free slots of a mentor and mentees under the tenant policy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.errors import InputError, NotFound
from core.model import Attendee, Slot
from core.office_hours import office_hours_note
from core.ranking import rank_slots
from core.slots import SlotSearch, cap_window, find_slots
from core.text import check_text
from core.timefmt import iso_z
from graph.gateway import GraphGateway
from policies import Policy, TenantPolicy

__all__ = ["SlotQuery", "gather_attendees", "search_slots", "slots_to_json", "validate_people"]

MAX_MENTEES = 19  # one getSchedule request holds 20 schedules: the mentor and 19 mentees
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class SlotQuery:
    mentor: str
    mentees: tuple[str, ...]
    now: datetime
    minutes: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class SlotAnswer:
    search: SlotSearch
    slots: tuple[Slot, ...]  # ranked when a limit was asked for, else every slot ascending
    office_hours: str | None = None  # "offers office hours only: Tue, Thu 14:00-15:00 (Europe/Paris)"


def validate_people(mentor: str, mentees: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """Trimmed, lower-cased (addresses are case-insensitive) and checked for the mistakes people make."""
    mentor = check_text("mentor", mentor.strip().lower())
    if not mentor:
        raise InputError("mentor", "a mentor is required")
    cleaned = tuple(check_text("mentee", m.strip().lower()) for m in mentees)
    if not cleaned or any(not m for m in cleaned):
        raise InputError("mentee", "at least one mentee is required")
    if len(cleaned) > MAX_MENTEES:
        raise InputError("mentee", f"at most {MAX_MENTEES} mentees per session")
    if mentor in cleaned:
        raise InputError("mentee", f"{mentor} is the mentor and cannot also be a mentee")
    if len(set(cleaned)) != len(cleaned):
        raise InputError("mentee", "a mentee is listed twice")
    return mentor, cleaned


def session_minutes(policy: Policy, minutes: int | None) -> int:
    chosen = policy.session_minutes if minutes is None else minutes
    if isinstance(chosen, bool) or not isinstance(chosen, int) or chosen not in policy.allowed_session_minutes:
        allowed = ", ".join(str(m) for m in policy.allowed_session_minutes)
        raise InputError("minutes", f"{minutes} is not an allowed session length ({allowed})")
    return chosen


async def gather_attendees(
    graph: GraphGateway, policy: Policy, mentor: str, mentees: Sequence[str], now: datetime
) -> tuple[Attendee, tuple[Attendee, ...]]:
    """Everything the core needs from Graph: one mailbox $batch (cached), one getSchedule per 20
    people, and the mentor's calendarView over the search and the cap periods it touches."""
    people = [mentor, *mentees]
    mailboxes = await graph.get_mailboxes(people)
    if mentor not in mailboxes:
        raise NotFound("mentor", f"unknown user {mentor}")
    for mentee in mentees:
        if mentee not in mailboxes:
            raise NotFound("mentee", f"unknown user {mentee}")
    mentor_box = mailboxes[mentor]
    pad = timedelta(days=1)
    window_from = now + timedelta(minutes=policy.min_notice_minutes) - pad
    window_to = now + timedelta(days=policy.horizon_days) + pad
    caps_from, caps_to = cap_window(now=now, policy=policy, mentor_tz=mentor_box.tz)
    schedules, mentor_items = await asyncio.gather(
        graph.get_schedules(mentor, people, window_from, window_to, policy.slot_step_minutes),
        graph.calendar_items(mentor, min(caps_from, window_from), max(caps_to, window_to)),
    )

    def attendee(upn: str, items: Sequence[Any] | None) -> Attendee:
        schedule = schedules.get(upn)
        if schedule is not None and schedule.error:
            raise NotFound("mentor" if upn == mentor else "mentee", f"{upn}: {schedule.error}")
        box = mailboxes[upn]
        # The mailbox's own working hours first: read with the mailbox zone to fall back on, where
        # getSchedule's copy could only fall back to UTC when its zone name maps to nothing.
        hours = box.working_hours or (schedule.working_hours if schedule else None)
        own = tuple(items) if items is not None else (schedule.items if schedule else ())
        return Attendee(upn=upn, tz=box.tz, working_hours=hours, items=own)

    return attendee(mentor, mentor_items), tuple(attendee(m, None) for m in mentees)


async def search_slots(graph: GraphGateway, tenant_policy: TenantPolicy, query: SlotQuery) -> SlotAnswer:
    mentor, mentees = validate_people(query.mentor, query.mentees)
    policy = tenant_policy.effective(mentor)
    minutes = session_minutes(policy, query.minutes)
    if query.limit is not None and not 1 <= query.limit <= MAX_LIMIT:
        raise InputError("limit", f"must be between 1 and {MAX_LIMIT}")
    mentor_attendee, mentee_attendees = await gather_attendees(graph, policy, mentor, mentees, query.now)
    search = find_slots(mentor=mentor_attendee, mentees=mentee_attendees, policy=policy, now=query.now, minutes=minutes)
    note = office_hours_note(policy.office_hours, mentor_attendee.tz)
    if query.limit is None:
        return SlotAnswer(search, search.slots, note)
    return SlotAnswer(search, rank_slots(search, mentor=mentor_attendee, policy=policy, limit=query.limit), note)


def slots_to_json(answer: SlotAnswer) -> dict[str, Any]:
    slots = []
    for slot in answer.slots:
        item: dict[str, Any] = {"start": iso_z(slot.start), "end": iso_z(slot.end)}
        if slot.why:
            item["why"] = slot.why
        slots.append(item)
    body: dict[str, Any] = {
        "slots": slots,
        "searched": {"from": iso_z(answer.search.searched_from), "to": iso_z(answer.search.searched_to)},
    }
    if not slots or answer.search.reasons:
        body["reasons"] = list(answer.search.reasons)
    if answer.office_hours:
        body["officeHours"] = answer.office_hours
    return body
