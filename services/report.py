"""Use case: the metrics of metrics.md over a period, rendered as JSON, CSV or HTML."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from core.errors import InputError
from core.metrics import CapLimits, Report, compute_report
from core.outcomes import AskedQuestion, GivenAnswer, compute_outcomes
from graph.errors import GraphError
from graph.gateway import GraphGateway
from policies import TenantPolicy
from reporting import render_csv, render_html, render_json
from store.base import Store
from store.outbox import MessageState, Outbox, open_outbox

__all__ = ["FORMATS", "build_report", "default_period", "render"]

FORMATS = ("json", "csv", "html")
SEGMENT_ATTRIBUTES = ("officeLocation", "department")
DEFAULT_WEEKS = 12


def default_period(now: datetime) -> tuple[datetime, datetime]:
    """The last twelve weeks, up to the end of today (UTC)."""
    end = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return end - timedelta(weeks=DEFAULT_WEEKS), end


async def _directory(graph: GraphGateway, people: set[str]) -> tuple[dict[str, dict[str, str]], dict[str, tzinfo]]:
    """Segments (office, department) and mailbox zones for everyone in the report; best effort."""
    segments: dict[str, dict[str, str]] = {}
    zones: dict[str, tzinfo] = {}
    try:
        users = await asyncio.gather(*(graph.get_user(p) for p in sorted(people)), return_exceptions=True)
        boxes = await graph.get_mailboxes(sorted(people))
    except GraphError:
        return segments, zones
    for person, user in zip(sorted(people), users, strict=True):
        if isinstance(user, BaseException):
            continue
        values = {"officeLocation": user.office_location, "department": user.department}
        segments[person.lower()] = {k: v for k, v in values.items() if v}
    for person, box in boxes.items():
        zones[person.lower()] = box.tz
    return segments, zones


async def build_report(
    store: Store,
    policy: TenantPolicy,
    *,
    period_from: datetime,
    period_to: datetime,
    graph: GraphGateway | None = None,
) -> Report:
    if period_to <= period_from:
        raise InputError("to", "must be after from")
    sessions = await asyncio.to_thread(store.list_sessions)
    requests = await asyncio.to_thread(store.list_requests)
    people = {s.mentor for s in sessions} | {m for s in sessions for m in s.mentees}
    segments, zones = await _directory(graph, people) if graph is not None and people else ({}, {})

    def caps(mentor: str) -> CapLimits:
        effective = policy.effective(mentor)
        return CapLimits(
            effective.max_sessions_per_day, effective.max_sessions_per_week, effective.max_sessions_per_month
        )

    report = compute_report(
        sessions=sessions,
        requests=requests,
        period_from=period_from,
        period_to=period_to,
        caps=caps,
        segments=segments or None,
        mentor_tz=lambda mentor: zones.get(mentor.lower(), UTC),
    )
    outbox = _outbox_of(store)
    if outbox is None:
        return report
    messages = await asyncio.to_thread(outbox.list_messages)
    answers = await asyncio.to_thread(outbox.answers)
    outcomes = compute_outcomes(
        sessions=sessions,
        asked=[AskedQuestion(m.session_id, m.person, m.kind.value) for m in messages if m.state is MessageState.SENT],
        answers=[GivenAnswer(a.session_id, a.person, a.question.value, a.choice, a.answered_at) for a in answers],
        period_from=period_from,
        period_to=period_to,
        checkin_after_days=lambda mentor: policy.effective(mentor).checkin_after_days,
        segments=segments or None,
    )
    return replace(report, outcomes=outcomes)


def _outbox_of(store: Store) -> Outbox | None:
    try:
        return open_outbox(store)
    except TypeError:  # a store without an outbox beside it (test doubles)
        return None


def _report_json(report: Report) -> dict[str, Any]:
    data = report.to_json()
    if report.outcomes is not None:
        data.update(report.outcomes.to_json())
    return data


def render(report: Report, fmt: str) -> tuple[str, str]:
    """The report as (content type, text)."""
    if fmt == "json":
        return "application/json", render_json(_report_json(report))
    if fmt == "csv":
        text = render_csv(report)
        if report.outcomes is not None:  # a blank record, then the outcome table (its own header)
            out = io.StringIO(newline="")
            writer = csv.writer(out, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow([])
            writer.writerows(report.outcomes.to_csv_rows())
            text += out.getvalue()
        return "text/csv; charset=utf-8", text
    if fmt == "html":
        return "text/html; charset=utf-8", render_html(_report_json(report))
    raise InputError("format", f"one of {', '.join(FORMATS)}")
