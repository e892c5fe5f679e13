"""Series metrics, worked by hand over the period [2026-11-01, 2027-01-01).

A (started 11-02, every 14 days from 11-03): completed, completed, no-show, completed, scheduled 12-29,
  and one on 2027-01-12 (after the period: not counted). Booked 5, held 3. Its 2nd session's target 11-17
  and 4th 12-15 are in the period; the 6th (01-12) is not.
B (11-10, every 14 days from 11-11): completed, no-show, no-show; stopped (two no-shows). Booked 3, held 1;
  2nd target 11-25, 4th 12-23 in the period.
C (12-20, every 7 days from 12-22): cancelled, completed; stopped by the mentee. Booked 1, held 1; 2nd
  target 12-29 in the period, 4th 01-12 not.
E (12-01, every 7 days, count 2): completed, completed; completed. Booked 2, held 2; 2nd target 12-08,
  4th 12-22 in the period, 6th 01-05 not.
D started 10-01, before the period: left out.

started 4: active 1, stopped 2, completed 1. Booked per series (5+3+1+2)/4 = 2.75, held (3+1+1+2)/4 = 1.75.
Retention after 2: eligible A, B, C, E = 4, reached A and E = 2 (0.5). After 4: eligible A, B, E = 3,
reached 0 (0.0). After 6: none eligible (null).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.model import Session, SessionState
from core.series import Series, SeriesState, StopReason
from core.series_metrics import compute_series_report

C, N, X, S = SessionState.COMPLETED, SessionState.NO_SHOW, SessionState.CANCELLED, SessionState.SCHEDULED


def d(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make(
    sid: str, created: str, anchor: str, interval: int, states: list[SessionState], **kw: object
) -> tuple[Series, list[Session]]:
    sessions = [
        Session(
            id=f"{sid}{i}",
            mentor="m@x",
            mentees=("e@x",),
            start=d(anchor) + timedelta(days=i * interval),
            end=d(anchor) + timedelta(days=i * interval, minutes=20),
            question="q",
            created_at=d(created),
            state=state,
        )
        for i, state in enumerate(states)
    ]
    series = Series(
        id=sid, mentor="m@x", mentee="e@x", minutes=20, anchor=d(anchor), question="q", created_at=d(created),
        created_by="e@x", interval_days=interval, session_ids=tuple(s.id for s in sessions), **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    return series, sessions


def world() -> tuple[list[Series], dict[str, Session]]:
    made = [
        make("a", "2026-11-02T10:00", "2026-11-03T09:00", 14, [C, C, N, C, S, S]),
        make("b", "2026-11-10T10:00", "2026-11-11T09:00", 14, [C, N, N],
             state=SeriesState.STOPPED, stop_reason=StopReason.TWO_NO_SHOWS),
        make("c", "2026-12-20T10:00", "2026-12-22T09:00", 7, [X, C],
             state=SeriesState.STOPPED, stop_reason=StopReason.STOPPED_BY_MENTEE),
        make("e", "2026-12-01T08:00", "2026-12-01T09:00", 7, [C, C], count=2, state=SeriesState.COMPLETED),
        make("d", "2026-10-01T10:00", "2026-10-01T11:00", 14, [C, C, C]),
    ]  # fmt: skip
    return [s for s, _ in made], {x.id: x for _, own in made for x in own}


def test_hand_worked_series_metrics() -> None:
    series, sessions = world()
    report = compute_series_report(series, sessions, period_from=d("2026-11-01T00:00"), period_to=d("2027-01-01T00:00"))
    assert report.to_json() == {
        "started": 4,
        "active": 1,
        "stopped": 2,
        "completed": 1,
        "stopReasons": {"stopped_by_mentee": 1, "two_no_shows": 1},
        "sessionsPerSeries": {"booked": 2.75, "held": 1.75},
        "retention": [
            {"afterSessions": 2, "eligible": 4, "reached": 2, "rate": 0.5},
            {"afterSessions": 4, "eligible": 3, "reached": 0, "rate": 0.0},
            {"afterSessions": 6, "eligible": 0, "reached": 0, "rate": None},
        ],
    }
    assert report.csv_cells() == ["4", "1", "2", "1", "2.75", "1.75", "0.5", "4", "2", "0.0", "3", "0", "", "0", "0"]
    table = [["scope", "sessions"], ["all", "9"], ["mentor", "3"]]
    merged = report.merged_csv_rows(table)
    assert merged[0][:3] == ["scope", "sessions", "series_started"] and merged[0][-1] == "retention_after_6_reached"
    assert merged[1] == ["all", "9", *report.csv_cells()]
    assert merged[2] == ["mentor", "3", *[""] * 15]


def test_no_series_in_the_period() -> None:
    series, sessions = world()
    report = compute_series_report(series, sessions, period_from=d("2027-02-01T00:00"), period_to=d("2027-03-01T00:00"))
    assert report.to_json()["started"] == 0
    assert report.to_json()["sessionsPerSeries"] == {"booked": None, "held": None}
    assert [r["rate"] for r in report.to_json()["retention"]] == [None, None, None]
