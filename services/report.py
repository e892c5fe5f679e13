"""Use case: the metrics of metrics.md over a period, rendered as JSON, CSV or HTML."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, tzinfo

from core.errors import InputError
from core.metrics import CapLimits, Report, compute_report
from graph.errors import GraphError
from graph.gateway import GraphGateway
from policies import TenantPolicy
from reporting import render_csv, render_html, render_json
from store.base import Store

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

    return compute_report(
        sessions=sessions,
        requests=requests,
        period_from=period_from,
        period_to=period_to,
        caps=caps,
        segments=segments or None,
        mentor_tz=lambda mentor: zones.get(mentor.lower(), UTC),
    )


def render(report: Report, fmt: str) -> tuple[str, str]:
    """The report as (content type, text)."""
    if fmt == "json":
        return "application/json", render_json(report)
    if fmt == "csv":
        return "text/csv; charset=utf-8", render_csv(report)
    if fmt == "html":
        return "text/html; charset=utf-8", render_html(report.to_json())
    raise InputError("format", f"one of {', '.join(FORMATS)}")
