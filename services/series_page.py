"""The session page's series part (issue 16): what a session's page shows about its series, and the two
changes it makes there: stop the series (either person), or start one from a session not in a series
("repeat every N days").

Reading (`series_panel`) writes nothing: the series, its sessions, the target of its next occurrence and,
for occurrences the series service skipped for want of a slot, the three alternatives it put in the
outbox for this person (the page shows them whether or not the quiet-hours mail has gone yet: whichever
the person sees first).

Starting a series from a page makes the page's session occurrence 0 of a new series (nothing is booked
now; the series timer books the next one when it is due, `services.series.series_round`). The series id
comes from the session's id, so a retried or doubled POST finds the same series: the series is written
first (an insert that returns the stored one when it exists), then the session is tagged with its id; a
crash in between is finished by the retry.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from core.errors import Conflict, InputError
from core.model import Session, SessionState
from core.series import Series, SeriesState, target_start, validate_terms
from core.session_claims import moved_to
from services.series import get_series, stop_series
from store.base import Store
from store.outbox import MessageKind, Outbox, message_key
from store.series import SeriesStore

__all__ = [
    "SeriesAlternatives",
    "SeriesPanel",
    "repeat_from_page",
    "series_id_for_session",
    "series_panel",
    "stop_series_from_page",
]

_HELD = frozenset({SessionState.COMPLETED})
_GONE = frozenset({SessionState.CANCELLED})


@dataclass(frozen=True, slots=True)
class SeriesAlternatives:
    """The alternatives the series service offered for one skipped occurrence, as stored for this person."""

    occurrence: int
    starts: tuple[datetime, ...]
    mailed: bool  # the quiet-hours mail has gone (False: it waits for the person's working hours)


@dataclass(frozen=True, slots=True)
class SeriesPanel:
    series: Series
    sessions: tuple[Session, ...]  # the series' sessions, in order
    held: int  # completed
    booked: int  # not cancelled
    next_session: Session | None  # the next scheduled session of the series still to come
    next_target: datetime | None  # the next occurrence's target, when the series goes on and none is booked
    alternatives: tuple[SeriesAlternatives, ...]  # skipped occurrences with a time still to come

    @property
    def active(self) -> bool:
        return self.series.state is SeriesState.ACTIVE


def series_id_for_session(session_id: str) -> str:
    """The id of the series started from a session's page: one per session, whoever starts it."""
    return hashlib.sha256(f"series-from-session|{session_id}".encode()).hexdigest()[:32]


async def series_panel(
    store: Store, series_store: SeriesStore, outbox: Outbox, session: Session, viewer: str, mentor_tz: tzinfo,
    *, now: datetime,
) -> SeriesPanel | None:  # fmt: skip
    """The series `session` belongs to, as `viewer` sees it; None when it is not in a series. Reads only."""
    if session.series_id is None:
        return None
    series = await asyncio.to_thread(series_store.get_series, session.series_id)
    if series is None:
        return None
    found = [await asyncio.to_thread(store.get_session, sid) for sid in series.session_ids]
    sessions = tuple(s for s in found if s is not None)
    upcoming = sorted(
        (s for s in sessions if s.state is SessionState.SCHEDULED and s.end > now and moved_to(s) is None),
        key=lambda s: s.start,
    )
    next_session = next((s for s in upcoming if s.id != session.id), None)
    next_target = None
    if series.is_open and next_session is None:
        planned = series.plan.start if series.plan is not None else None
        next_target = planned or target_start(series.anchor, series.next_occurrence, series.interval_days, mentor_tz)
    offered = []
    for occurrence in series.skipped:
        key = message_key(f"{series.id}|{occurrence}", viewer, MessageKind.SERIES_NO_SLOT)
        message = await asyncio.to_thread(outbox.get_message, key)
        if message is not None and message.slots and max(message.slots) > now:
            offered.append(SeriesAlternatives(occurrence, message.slots, message.sent_at is not None))
    return SeriesPanel(
        series=series,
        sessions=sessions,
        held=sum(s.state in _HELD for s in sessions),
        booked=sum(s.state not in _GONE for s in sessions),
        next_session=next_session,
        next_target=next_target,
        alternatives=tuple(offered),
    )


async def stop_series_from_page(series_store: SeriesStore, session: Session, person: str, *, now: datetime) -> Series:
    """`person` (the link's owner: the mentor or the mentee) stops the series of `session`."""
    if session.series_id is None:
        raise InputError("do", "this session is not part of a series")
    return await stop_series(series_store, session.series_id, by=person, now=now)


def _interval(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise InputError("intervalDays", "must be a whole number of days")
    return int(text)


async def repeat_from_page(
    store: Store, series_store: SeriesStore, session: Session, person: str, interval_days: str, *, now: datetime
) -> Series:
    """Start an open-ended series with `session` as its first occurrence, every `interval_days` days at
    the same local time; the next session is booked by the series timer once this one is over."""
    if session.series_id is not None:
        raise Conflict("do", "this session is already part of a series")
    if session.is_group or len(session.mentees) != 1:
        raise InputError("do", "a series is one mentor and one mentee: a group session cannot be repeated")
    if session.state is SessionState.CANCELLED or moved_to(session) is not None:
        raise Conflict("session", "this session was cancelled or moved: repeat it from its new page")
    minutes, interval, count, ahead = validate_terms(
        minutes=session.minutes, interval_days=_interval(interval_days), count=None, book_ahead_days=None
    )
    series_id = series_id_for_session(session.id)
    series = Series(
        id=series_id,
        mentor=session.mentor,
        mentee=session.mentees[0],
        minutes=minutes,
        anchor=session.start,
        question=session.question,
        created_at=now,
        created_by=person,
        interval_days=interval,
        count=count,
        topic=session.topic,
        book_ahead_days=ahead,
        session_ids=(session.id,),
        updated_at=now,
    )
    stored = await asyncio.to_thread(series_store.add_series, series)  # the stored one if a retry made it

    def tag(s: Session) -> Session:
        if s.series_id is not None and s.series_id != series_id:
            raise Conflict("do", "this session joined another series meanwhile")
        return s if s.series_id == series_id else replace(s, series_id=series_id, updated_at=now)

    await asyncio.to_thread(store.update_session, session.id, tag)
    return await get_series(series_store, stored.id)
