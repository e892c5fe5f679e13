"""Who may change a booked session: at most one move or one cancel wins for one session.

A change first claims the session: one conditional update of the stored row (`Store.update_session`
compares the row's version in SQLite and its ETag in Table Storage, and re-runs these functions on the
fresh row when another writer got there first). The claim is written in `state_reason` while the
session is still scheduled, so nothing else about the session changes until the claimed change ends:

- ``moving <n> <start>``: move number n of this session, to `start`; its booking's idempotency key is
  ``move:<session id>:<n>``. A retry of the same move resumes it; any other change is refused.
- ``move_failed <n>``: move n booked nothing (refused by a rule, slot taken): the claim is freed and
  the next move is number n + 1, with a fresh key.
- ``cancelling``: a cancel is under way; a retried cancel resumes it, a move is refused.
- ``moved <n> <start>``: the reason of the old, cancelled session once move n finished.

Pure: decisions only, no I/O and no clock (`now` is passed in).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import Conflict
from core.model import Session, SessionState
from core.timefmt import iso_z

__all__ = [
    "CANCELLING",
    "MoveClaim",
    "claim_cancel",
    "claim_move",
    "finish_move",
    "is_claimed",
    "move_claim_of",
    "moved_to",
    "release_move",
]

MOVING, MOVE_FAILED, MOVED, CANCELLING = "moving", "move_failed", "moved", "cancelling"


@dataclass(frozen=True, slots=True)
class MoveClaim:
    attempt: int
    target: datetime

    @property
    def reason(self) -> str:
        return f"{MOVING} {self.attempt} {iso_z(self.target)}"

    def idempotency_key(self, session_id: str) -> str:
        return f"move:{session_id}:{self.attempt}"


def _parse(reason: str | None, word: str) -> tuple[int, datetime | None] | None:
    parts = (reason or "").split(" ")
    if not parts or parts[0] != word or len(parts) < 2 or not parts[1].isdigit():
        return None
    target = datetime.fromisoformat(parts[2].replace("Z", "+00:00")) if len(parts) > 2 else None
    return int(parts[1]), target


def move_claim_of(session: Session) -> MoveClaim | None:
    """The move under way on a scheduled session, if any."""
    parsed = _parse(session.state_reason, MOVING) if session.state == SessionState.SCHEDULED else None
    if parsed is None or parsed[1] is None:
        return None
    return MoveClaim(parsed[0], parsed[1])


def is_claimed(session: Session) -> bool:
    """A move or a cancel is under way on this (scheduled) session."""
    return move_claim_of(session) is not None or (
        session.state == SessionState.SCHEDULED and session.state_reason == CANCELLING
    )


def moved_to(session: Session) -> datetime | None:
    """Where a session cancelled by a finished move went."""
    parsed = _parse(session.state_reason, MOVED) if session.state == SessionState.CANCELLED else None
    return None if parsed is None else parsed[1]


def _refuse_unless_open(session: Session, now: datetime, field: str, doing: str) -> None:
    went = moved_to(session)
    if went is not None:
        raise Conflict(field, f"session {session.id} was already moved to {iso_z(went)}; it can no longer be {doing}")
    if session.state != SessionState.SCHEDULED:
        raise Conflict(field, f"session {session.id} is {session.state.value} and can no longer be {doing}")
    if session.end <= now:
        raise Conflict(field, f"session {session.id} is over and can no longer be {doing}")
    pending = move_claim_of(session)
    if pending is not None:
        raise Conflict(field, f"session {session.id} is being moved to {iso_z(pending.target)} by another request")
    if session.state_reason == CANCELLING:
        raise Conflict(field, f"session {session.id} is being cancelled by another request")


def claim_move(session: Session, target: datetime, *, now: datetime, field: str = "session") -> Session:
    """Claim `session` for a move to `target`: the same move again resumes (a retry after a crash);
    `Conflict` naming the session when it is not scheduled, is over, or another change holds it."""
    pending = move_claim_of(session)
    if pending is not None and pending.target == target:
        return session
    _refuse_unless_open(session, now, field, "moved")
    failed = _parse(session.state_reason, MOVE_FAILED)
    attempt = 1 if failed is None else failed[0] + 1
    return replace(session, state_reason=MoveClaim(attempt, target).reason, updated_at=now)


def release_move(session: Session, claim: MoveClaim, *, now: datetime) -> Session:
    """Free `claim` after its booking made nothing; a session another change holds is left alone."""
    if move_claim_of(session) != claim:
        return session
    return replace(session, state_reason=f"{MOVE_FAILED} {claim.attempt}", updated_at=now)


def finish_move(session: Session, claim: MoveClaim, *, now: datetime) -> Session:
    """The old session, cancelled because `claim` booked its new time."""
    if session.state == SessionState.CANCELLED:
        return session
    reason = f"{MOVED} {claim.attempt} {iso_z(claim.target)}"
    return replace(session, state=SessionState.CANCELLED, state_reason=reason, updated_at=now)


def claim_cancel(session: Session, *, now: datetime, field: str = "id") -> Session:
    """Claim `session` for a cancel: a cancelled session is returned as it is (cancelling twice is
    fine), a cancel under way resumes; `Conflict` naming the session when a move holds or moved it."""
    if session.state == SessionState.CANCELLED and moved_to(session) is None:
        return session
    if session.state == SessionState.SCHEDULED and session.state_reason == CANCELLING:
        return session
    _refuse_unless_open(session, now, field, "cancelled")
    return replace(session, state_reason=CANCELLING, updated_at=now)
