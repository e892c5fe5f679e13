"""The report's series part through services/report.py on a SQLite store: JSON, CSV and HTML.

One series started 2 Nov 2026 (every 14 days from Tue 3 Nov 09:00Z): two sessions completed (3 and
17 Nov), one no-show (1 Dec). Report [1 Nov, 1 Dec 12:00): started 1, active; booked 3, held 2; its 2nd
session's target (17 Nov) is in the period and it held 2: retention after 2 = 1 of 1; its 4th (15 Dec)
is not: none eligible after 4 or 6."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.model import Session, SessionState
from core.series import Series
from policies import TenantPolicy
from services.report import build_report, render
from store.series import open_series_store
from store.sqlite import SqliteStore

ANCHOR = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def test_series_in_json_csv_and_html(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    states = [SessionState.COMPLETED, SessionState.COMPLETED, SessionState.NO_SHOW]
    for i, state in enumerate(states):
        start = ANCHOR + timedelta(days=14 * i)
        store.add_session(
            Session(
                id=f"s{i}", mentor="maya@contoso.example", mentees=("ravi@contoso.example",), start=start,
                end=start + timedelta(minutes=20), question="q", created_at=ANCHOR, state=state, series_id="x1",
            )
        )  # fmt: skip
    open_series_store(store).add_series(
        Series(
            id="x1", mentor="maya@contoso.example", mentee="ravi@contoso.example", minutes=20, anchor=ANCHOR,
            question="q", created_at=ANCHOR - timedelta(days=1), created_by="ravi@contoso.example",
            session_ids=("s0", "s1", "s2"), next_occurrence=3,
        )
    )  # fmt: skip
    report = asyncio.run(
        build_report(
            store, TenantPolicy(), period_from=datetime(2026, 11, 1, tzinfo=UTC),
            period_to=datetime(2026, 12, 1, 12, tzinfo=UTC),
        )
    )  # fmt: skip
    data = json.loads(render(report, "json")[1])["series"]
    assert (data["started"], data["active"], data["sessionsPerSeries"]) == (1, 1, {"booked": 3.0, "held": 2.0})
    assert [(r["eligible"], r["reached"], r["rate"]) for r in data["retention"]] == [
        (1, 1, 1.0),
        (0, 0, None),
        (0, 0, None),
    ]

    rows = list(csv.reader(io.StringIO(render(report, "csv")[1])))
    header, everything = rows[0], next(r for r in rows if r[0] == "all")
    figures = dict(zip(header, everything, strict=True))
    assert (figures["series_started"], figures["sessions_held_per_series"]) == ("1", "2.0")
    assert (figures["retention_after_2"], figures["retention_after_2_eligible"], figures["retention_after_4"]) == (
        "1.0",
        "1",
        "",
    )
    assert all(len(r) == len(header) for r in rows)  # one table

    page = render(report, "html")[1]
    assert '<section class="panel" id="series"' in page
    assert "after 2 sessions</th><td>100%</td><td>1 of 1</td>" in page
    store.close()
