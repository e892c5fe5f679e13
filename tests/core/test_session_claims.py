"""The claim on a session that lets one move or one cancel win (pure decisions, no store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Conflict
from core.model import Session, SessionState
from core.session_claims import claim_cancel, claim_move, finish_move, move_claim_of, release_move

NOW = datetime(2026, 11, 30, tzinfo=UTC)
START = datetime(2026, 12, 1, 9, tzinfo=UTC)
TEN, ELEVEN = START + timedelta(hours=1), START + timedelta(hours=2)
OPEN = Session("s1", "maya@x.example", ("ravi@x.example",), START, START + timedelta(minutes=15), "Q?", NOW)


def test_a_move_claims_once_resumes_itself_and_refuses_the_others() -> None:
    claimed = claim_move(OPEN, TEN, now=NOW)
    assert claimed.state_reason == "moving 1 2026-12-01T10:00:00Z" and claimed.state == SessionState.SCHEDULED
    claim = move_claim_of(claimed)
    assert claim is not None and claim.idempotency_key("s1") == "move:s1:1"
    assert claim_move(claimed, TEN, now=NOW) is claimed  # the same move again: a retry resumes it
    with pytest.raises(Conflict) as other_move:
        claim_move(claimed, ELEVEN, now=NOW)
    assert other_move.value.field == "session"
    assert str(other_move.value).endswith("session s1 is being moved to 2026-12-01T10:00:00Z by another request")
    with pytest.raises(Conflict) as cancel:
        claim_cancel(claimed, now=NOW)
    assert cancel.value.field == "id" and "s1 is being moved" in str(cancel.value)


def test_a_released_move_lets_the_next_one_take_a_fresh_key() -> None:
    first = claim_move(OPEN, TEN, now=NOW)
    claim = move_claim_of(first)
    assert claim is not None
    freed = release_move(first, claim, now=NOW)
    assert freed.state_reason == "move_failed 1" and move_claim_of(freed) is None
    second = move_claim_of(claim_move(freed, ELEVEN, now=NOW))
    assert second is not None and second.idempotency_key("s1") == "move:s1:2"


def test_a_finished_move_refuses_a_cancel_and_a_cancel_refuses_a_move() -> None:
    claimed = claim_move(OPEN, TEN, now=NOW)
    claim = move_claim_of(claimed)
    assert claim is not None
    moved = finish_move(claimed, claim, now=NOW)
    assert (moved.state, moved.state_reason) == (SessionState.CANCELLED, "moved 1 2026-12-01T10:00:00Z")
    with pytest.raises(Conflict, match="session s1 was already moved to 2026-12-01T10:00:00Z"):
        claim_cancel(moved, now=NOW)
    cancelling = claim_cancel(OPEN, now=NOW)
    assert cancelling.state_reason == "cancelling" and claim_cancel(cancelling, now=NOW) is cancelling
    with pytest.raises(Conflict, match="session s1 is being cancelled"):
        claim_move(cancelling, TEN, now=NOW)
    # A cancelled session (not by a move) is answered as it is; an ended one can be neither.
    done = replace(OPEN, state=SessionState.CANCELLED, state_reason="cancelled_by_request")
    assert claim_cancel(done, now=NOW) is done
    with pytest.raises(Conflict, match="session s1 is over and can no longer be moved"):
        claim_move(OPEN, TEN, now=START + timedelta(hours=1))
