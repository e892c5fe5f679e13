"""The report counts group flash sessions apart from 1:1, and their attendance per mentee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.metrics import CapLimits, GroupCounts, compute_report
from core.model import Session, SessionState

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def session(sid: str, mentees: tuple[str, ...], state: SessionState, **kw: object) -> Session:
    start = T0 + timedelta(hours=len(sid))
    return Session(
        id=sid, mentor="maya@x", mentees=mentees, start=start, end=start + timedelta(minutes=15),
        question="q", created_at=T0 - timedelta(days=1), state=state, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_groups_are_counted_apart_with_attendance_per_mentee() -> None:
    sessions = [
        session("a", ("ravi@x",), SessionState.COMPLETED),  # 1:1
        # Group of 4 seats, 3 joined, Sita missed it: 2 attended, 1 missed; still one session.
        session("bb", ("ravi@x", "sita@x", "ana@x"), SessionState.COMPLETED, seats=4, missing=("Sita@x",)),
        # Group of 2 seats, both missed (no-show): 0 attended, 2 missed.
        session("ccc", ("ravi@x", "ana@x"), SessionState.NO_SHOW, seats=2, missing=("ana@x", "ravi@x")),
        session("dddd", ("ravi@x",), SessionState.SCHEDULED, seats=6),  # not decided yet
        session("eeeee", ("ravi@x",), SessionState.CANCELLED, seats=3),  # cancelled: not counted
    ]
    report = compute_report(
        sessions=sessions,
        requests=[],
        period_from=T0 - timedelta(days=1),
        period_to=T0 + timedelta(days=1),
        caps=CapLimits(3, 5, 12),
    )
    assert report.groups == GroupCounts(
        group_sessions=3, seats_offered=12, seats_taken=6, one_to_one=1, mentees_attended=2, mentees_missed=3
    )
    assert report.to_json()["groupSessions"] == {
        "sessions": 3, "seatsOffered": 12, "seatsTaken": 6, "oneToOne": 1, "menteesAttended": 2, "menteesMissed": 3,
    }  # fmt: skip
