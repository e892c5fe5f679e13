"""Use case: list the shared free slots of a mentor and mentees under the tenant policy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from core.errors import InputError, NotFound
from core.model import Attendee, Slot
from core.office_hours import office_hours_note
from core.ranking import rank_slots
from core.slots import SlotSearch, cap_window, find_slots
from core.text import check_text
from core.timefmt import iso_z
from graph.gateway import GraphGateway
from graph.values import Schedule
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


# Offsets run from UTC-12:00 to UTC+14:00: a mentor whose zone is not known yet has caps periods
# inside the union of these two zones' periods.
_WESTMOST, _EASTMOST = timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))


async def gather_attendees(
    graph: GraphGateway, policy: Policy, mentor: str, mentees: Sequence[str], now: datetime
) -> tuple[Attendee, tuple[Attendee, ...]]:
    """Everything the core needs from Graph, in one round even when nothing is cached (token held):
    the mentor's mailbox settings (zone, working hours), getSchedule for the mentees (one request per
    20 people), the mentor's calendarView over the search and the cap periods, and the mentees'
    directory entries, all at once. That is at most 3 Outlook requests (the app's lane holds 4,
    graph/lanes.py); directory reads are not Outlook's.

    - Mentees' working hours and zone come from getSchedule's `workingHours`, which are their mailbox
      settings' (resources/scheduleinformation.md), so their mailbox settings are not read. Where
      getSchedule leaves them out (docs-contrib #4239, #4377) or names a zone no table knows, those
      mentees' mailbox settings are read in a second round.
    - getSchedule wants SMTP addresses (api/calendar-getschedule.md); a mentee not in the directory
      cache is asked for by the name given. If that is not one of their SMTP addresses (mail or smtp
      proxy address, which the directory entry read alongside says), the answer is not trusted and
      they are asked for again by their mail (a second round, once: the entry is cached).
    - Until the mentor's zone is known (cached), the calendarView covers the cap periods of every
      zone (UTC-12 to UTC+14), so it need not wait for the mailbox settings."""
    pad = timedelta(days=1)
    window_from = now + timedelta(minutes=policy.min_notice_minutes) - pad
    window_to = now + timedelta(days=policy.horizon_days) + pad
    known = graph.cached_mailbox(mentor)
    if known is not None:
        view_from, view_to = _calendar_span(now, policy, known.tz, window_from, window_to)
    else:
        west = _calendar_span(now, policy, _WESTMOST, window_from, window_to)
        east = _calendar_span(now, policy, _EASTMOST, window_from, window_to)
        view_from, view_to = min(west[0], east[0]), max(west[1], east[1])
    asked = {m: graph.smtp_address(m) for m in mentees}
    answers = await asyncio.gather(
        graph.get_mailboxes([mentor]),
        graph.find_users([m for m in mentees if not graph.is_known_user(m)]),
        graph.get_schedules(mentor, list(mentees), window_from, window_to, policy.slot_step_minutes)
        if mentees
        else _no_schedules(),
        graph.calendar_items(mentor, view_from, view_to),
        return_exceptions=True,
    )
    boxes, directory, schedules, items = answers
    if isinstance(boxes, BaseException):
        raise boxes
    if mentor not in boxes:
        raise NotFound("mentor", f"unknown user {mentor}")
    for answer in (directory, schedules, items):
        if isinstance(answer, BaseException):
            raise answer
    assert isinstance(directory, dict) and isinstance(schedules, dict) and isinstance(items, list)
    mentor_box = boxes[mentor]
    for mentee in mentees:
        if mentee.lower() not in directory and not graph.is_known_user(mentee):
            raise NotFound("mentee", f"unknown user {mentee}")
    # Asked for by a name that is not one of their SMTP addresses: the answer may not be theirs. Ask
    # again by their mail; someone with no other address has no mailbox to ask about.
    again = [m for m in mentees if not graph.is_smtp_address(m, asked[m])]
    for mentee in again:
        if graph.smtp_address(mentee).casefold() == asked[mentee].casefold():
            raise NotFound("mentee", f"{mentee} has no mailbox (no SMTP address in the directory)")
    if again:
        schedules = {**schedules, **await graph.get_schedules(mentor, again, window_from, window_to,
                                                              policy.slot_step_minutes)}  # fmt: skip
    for mentee in mentees:
        schedule = schedules.get(mentee)
        if schedule is None or schedule.error:
            why = schedule.error if schedule is not None else "no free/busy answer"
            raise NotFound("mentee", f"{mentee}: {why}")
    unhoured = [m for m in mentees if schedules[m].working_hours is None]
    mailboxes = await graph.get_mailboxes(unhoured) if unhoured else {}
    view_needed = _calendar_span(now, policy, mentor_box.tz, window_from, window_to)
    if view_needed[0] < view_from or view_needed[1] > view_to:  # cannot happen for a real zone: checked anyway
        items = await graph.calendar_items(mentor, *view_needed)

    def mentee_attendee(upn: str) -> Attendee:
        hours = schedules[upn].working_hours
        if hours is not None:
            return Attendee(upn=upn, tz=hours.tz, working_hours=hours, items=schedules[upn].items)
        box = mailboxes.get(upn)
        if box is None:
            raise NotFound("mentee", f"unknown user {upn}")
        return Attendee(upn=upn, tz=box.tz, working_hours=box.working_hours, items=schedules[upn].items)

    mentor_attendee = Attendee(upn=mentor, tz=mentor_box.tz, working_hours=mentor_box.working_hours, items=tuple(items))
    return mentor_attendee, tuple(mentee_attendee(m) for m in mentees)


def _calendar_span(
    now: datetime, policy: Policy, zone: tzinfo, window_from: datetime, window_to: datetime
) -> tuple[datetime, datetime]:
    caps_from, caps_to = cap_window(now=now, policy=policy, mentor_tz=zone)
    return min(caps_from, window_from), max(caps_to, window_to)


async def _no_schedules() -> dict[str, Schedule]:
    return {}


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
