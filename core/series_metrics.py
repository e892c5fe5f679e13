"""Series metrics for the report. Pure: series and sessions in, counts out.

Over the series started (`created_at`) in the period `[from, to)`:
- `started`, and how many of them are now `active`, `stopped` (by `stopReasons`) or `completed`;
- `sessionsPerSeries`: the mean number of sessions booked (not cancelled) and held (completed), counting
  the sessions that start before the period's end, 2 decimals (null when no series started);
- `retention` after 2, 4 and 6 sessions: of the series that had the chance (their n-th session's target,
  first start + (n - 1) x interval days, is before the period's end), the share that held at least n
  sessions (`eligible`, `reached`, `rate`; rate null when none was eligible).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.model import Session, SessionState
from core.series import Series, SeriesState

__all__ = ["CSV_COLUMNS", "RETENTION_AFTER", "Retention", "SeriesReport", "compute_series_report"]

RETENTION_AFTER = (2, 4, 6)
CSV_COLUMNS = (
    "series_started", "series_active", "series_stopped", "series_completed", "sessions_booked_per_series",
    "sessions_held_per_series",
    *(f"retention_after_{n}{part}" for n in RETENTION_AFTER for part in ("", "_eligible", "_reached")),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Retention:
    after: int
    eligible: int
    reached: int

    @property
    def rate(self) -> float | None:
        return round(self.reached / self.eligible, 4) if self.eligible else None


@dataclass(frozen=True, slots=True)
class SeriesReport:
    started: int
    active: int
    stopped: int
    completed: int
    stop_reasons: Mapping[str, int] = field(default_factory=dict)
    booked_per_series: float | None = None
    held_per_series: float | None = None
    retention: tuple[Retention, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "active": self.active,
            "stopped": self.stopped,
            "completed": self.completed,
            "stopReasons": dict(sorted(self.stop_reasons.items())),
            "sessionsPerSeries": {"booked": self.booked_per_series, "held": self.held_per_series},
            "retention": [
                {"afterSessions": r.after, "eligible": r.eligible, "reached": r.reached, "rate": r.rate}
                for r in self.retention
            ],
        }

    def csv_cells(self) -> list[str]:
        """The values of `CSV_COLUMNS`, in that order ("" where undefined)."""

        def text(value: object) -> str:
            return "" if value is None else str(value)

        cells = [
            str(self.started), str(self.active), str(self.stopped), str(self.completed),
            text(self.booked_per_series), text(self.held_per_series),
        ]  # fmt: skip
        rates = {r.after: r for r in self.retention}
        for n in RETENTION_AFTER:
            found = rates.get(n)
            cells += ["", "", ""] if found is None else [text(found.rate), str(found.eligible), str(found.reached)]
        return cells

    def merged_csv_rows(self, table: Sequence[Sequence[str]]) -> list[list[str]]:
        """The report's one CSV table (header first) with the series figures as columns at the right, on
        the `all` row (they are figures of the whole period); every other row gets empty cells."""
        header = list(table[0])
        scope = header.index("scope")
        blank = [""] * len(CSV_COLUMNS)
        rows = [header + list(CSV_COLUMNS)]
        rows += [list(row) + (self.csv_cells() if row[scope] == "all" else blank) for row in table[1:]]
        return rows


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def compute_series_report(
    series: Iterable[Series], sessions: Mapping[str, Session], *, period_from: datetime, period_to: datetime
) -> SeriesReport:
    """`sessions`: session id -> session, for the sessions the series name (missing ones are skipped)."""
    started = [s for s in series if period_from <= s.created_at < period_to]
    booked: list[int] = []
    held: list[int] = []
    for one in started:
        own = [sessions[i] for i in one.session_ids if i in sessions and sessions[i].start < period_to]
        booked.append(sum(1 for s in own if s.state is not SessionState.CANCELLED))
        held.append(sum(1 for s in own if s.state is SessionState.COMPLETED))
    retention = []
    for n in RETENTION_AFTER:
        chances = [
            h
            for one, h in zip(started, held, strict=True)
            if one.anchor + timedelta(days=(n - 1) * one.interval_days) < period_to
        ]
        retention.append(Retention(n, len(chances), sum(1 for h in chances if h >= n)))
    reasons: dict[str, int] = {}
    for one in started:
        if one.stop_reason is not None:
            reasons[one.stop_reason.value] = reasons.get(one.stop_reason.value, 0) + 1
    return SeriesReport(
        started=len(started),
        active=sum(1 for s in started if s.state is SeriesState.ACTIVE),
        stopped=sum(1 for s in started if s.state is SeriesState.STOPPED),
        completed=sum(1 for s in started if s.state is SeriesState.COMPLETED),
        stop_reasons=reasons,
        booked_per_series=_mean(booked),
        held_per_series=_mean(held),
        retention=tuple(retention),
    )
