"""The session page's series part (issue 16): what a session's page shows about its series, and the two
changes it makes there: stop the series (either person), or start one from a session not in a series
("repeat every N days").

Reading (`series_panel`) writes nothing: the series, its sessions, the target of its next occurrence and,
for occurrences the series service skipped for want of a slot, the three alternatives it put in the
outbox for this person (the page shows them whether or not the quiet-hours mail has gone yet: whichever
the person sees first).

Starting a series from a page makes the page's session occurrence 0 of a new series (nothing is booked
now; the series timer books the next one when it is due, `services.series.series_round`). The series id
comes from the session's id, so a retried or doubled POST finds the same series (`repeat_from_page`
says in which order it writes): of two at once, the one whose insert wrote the series answers with it and
the other is refused (409), as a POST after it is.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from core.errors import Conflict, InputError
from core.model import Session, SessionState
from core.series import SERIES_MINUTES, Series, SeriesState, target_start, validate_terms
from core.session_claims import moved_to
from services.series import stop_series
from services.session_links import SessionLinkClaims
from services.sessions import session_of_link
from store.base import Store
from store.outbox import MessageKind, Outbox, message_key
from store.series import SeriesStore

__all__ = [
    "SeriesAlternatives",
    "SeriesPanel",
    "offers_repeat",
    "repeat_from_page",
    "series_id_for_session",
    "series_panel",
    "stop_series_from_page",
]

_HELD = frozenset({SessionState.COMPLETED})
_GONE = frozenset({SessionState.CANCELLED})
# Not the start of a series: a session nobody came to (one more no-show would stop it at once), or one
# that never took place.
_NOT_REPEATED = frozenset({SessionState.CANCELLED, SessionState.NO_SHOW})


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
    booking_link: str | None = None  # the mentee's signed booking link to the mentor (set by the handler)

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


async def stop_series_from_page(
    store: Store, series_store: SeriesStore, claims: SessionLinkClaims, *, now: datetime
) -> Series:
    """The link's owner (the mentor or the mentee) stops the series of the link's session."""
    session = await session_of_link(store, claims.session_id, claims.person)
    if session.series_id is None:
        raise InputError("do", "this session is not part of a series")
    return await stop_series(series_store, session.series_id, by=claims.person, now=now)


def _interval(text: str) -> int:
    text = text.strip(" ")  # a space typed around the number (as the task pane trims it); ASCII digits only
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise InputError("intervalDays", "must be a whole number of days")
    return int(text)


def offers_repeat(session: Session) -> bool:
    """Whether a session's page offers "repeat every N days" (`repeat_from_page` refuses the others): a
    1:1 session of a series length, neither cancelled, moved nor a no-show (the page asks only for a
    session whose series it does not show)."""
    return (
        not session.is_group
        and len(session.mentees) == 1
        and session.state not in _NOT_REPEATED
        and session.minutes in SERIES_MINUTES
        and moved_to(session) is None
    )


async def repeat_from_page(
    store: Store, series_store: SeriesStore, claims: SessionLinkClaims, interval_days: str, *, now: datetime
) -> Series:
    """Start an open-ended series with the link's session as its first occurrence, every `interval_days`
    days at the same local time; the series timer books the next session once this one is over.

    The session is tagged with the series id first (a conditional update), then the series is written
    (an insert that keeps an existing one): a crash in between leaves a tagged session and no series,
    which nothing books from, and a retry finds its own tag and writes the series. Never a series
    without its session tagged (which the timer would book from while the page offers "repeat" again)."""
    session = await session_of_link(store, claims.session_id, claims.person)
    ours = series_id_for_session(session.id)
    if session.series_id is not None and (
        session.series_id != ours or await asyncio.to_thread(series_store.get_series, ours) is not None
    ):
        raise Conflict("do", "this session is already part of a series")
    if session.is_group or len(session.mentees) != 1:
        raise InputError("do", "a series is one mentor and one mentee: a group session cannot be repeated")
    if moved_to(session) is not None:
        raise Conflict("session", f"session {session.id} was moved: repeat it from its new page")
    if session.state in _NOT_REPEATED:
        raise Conflict("session", f"session {session.id} is {session.state.value}: repeat a session that was held")
    if session.minutes not in SERIES_MINUTES:
        raise InputError("do", f"a series session lasts {', '.join(map(str, SERIES_MINUTES))} minutes")
    _, interval, count, ahead = validate_terms(
        minutes=session.minutes, interval_days=_interval(interval_days), count=None, book_ahead_days=None
    )

    def tag(s: Session) -> Session:
        if s.series_id not in (None, ours):
            raise Conflict("do", "this session joined another series meanwhile")
        return s if s.series_id == ours else replace(s, series_id=ours, updated_at=now)

    await asyncio.to_thread(store.update_session, session.id, tag)
    series = Series.first_held(
        ours, session, created_by=claims.person, interval_days=interval, count=count, book_ahead_days=ahead, now=now
    )
    stored, inserted = await asyncio.to_thread(series_store.add_series, series)
    if not inserted:  # a doubled POST (or a retry after this very write): the first one started it
        raise Conflict("do", "this session is already part of a series")
    return stored
