"""Use case: the metrics of metrics.md over a period, rendered as JSON, CSV or HTML.

The report period, one rule for the CLI (`--from`, `--to`, `--quarter`, `--tz`) and HTTP (`from`, `to`,
`quarter`, `tz`) alike (`resolve_period`), in the viewer's zone `tz` (UTC unless given):

- neither `from` nor `to`: the 12 weeks ending at the end of today (the next local midnight);
- `to` alone: the 12 weeks ending at `to` (weeks of the local calendar: 84 days back, same wall-clock time);
- `from` alone: from `from` to the end of today;
- both: `[from, to)`;
- `quarter` (`2026Q4`): that calendar quarter, local midnight to local midnight, with the quarter before
  it as the comparison; it cannot be combined with `from` or `to`.

`to` must be after `from` (400 naming `to`), and a period is at most 366 days long (422 naming the bound
the caller gave that makes it longer: `from` when only `from` was given, else `to`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InputError, Misconfigured, OutOfRange
from core.metrics import CapLimits, Labels, Report, compute_report, segment_holders
from core.model import Session
from core.onboarding_metrics import onboarding_cohort
from core.outcomes import AskedQuestion, GivenAnswer, compute_outcomes, outcome_segment_holders
from core.segments import DEFAULT_MIN_SEGMENT, fold_together, work_mode
from core.series_metrics import SeriesReport, compute_series_report
from core.timefmt import parse_aware
from graph.errors import GraphError, GraphRequestError
from graph.gateway import GraphGateway
from policies import TenantPolicy
from reporting import render_csv, render_html, render_json
from store.base import Store
from store.outbox import MessageState, Outbox, open_outbox
from store.series import SeriesStore, open_series_store

__all__ = [
    "DEFAULT_SPAN",
    "FORMATS",
    "MAX_SPAN",
    "ReportOptions",
    "ReportPeriod",
    "ReportQuery",
    "build_report",
    "default_period",
    "parse_zone",
    "render",
    "report_for",
    "resolve_period",
    "viewer_zone",
]

FORMATS = ("json", "csv", "html")
SEGMENT_ATTRIBUTES = ("officeLocation", "department")
DEFAULT_WEEKS = 12
DEFAULT_SPAN = timedelta(weeks=DEFAULT_WEEKS)
# A year, leap day included: a longer report was an unbounded query over every stored session.
MAX_SPAN = timedelta(days=366)
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE | re.ASCII)
# Names zoneinfo opens whose meaning is the server's, not the viewer's: its own zone, or legacy files.
_SERVER_ZONES = frozenset({"localtime", "posixrules", "factory"})
_SERVER_ZONE_FOLDERS = ("posix/", "right/")


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """`[start, end)` in UTC; `zone` is the viewer's, for weeks and times; `previous` is the comparison
    period of a quarter (None otherwise) and `label` names the quarter ("2026 Q4")."""

    start: datetime
    end: datetime
    zone: tzinfo
    label: str | None = None
    previous: tuple[datetime, datetime] | None = None
    previous_label: str | None = None


def _end_of_today(now: datetime, zone: tzinfo) -> datetime:
    today = now.astimezone(zone).date()
    return datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)


def _weeks_before(end: datetime, zone: tzinfo) -> datetime:
    """Twelve weeks of the viewer's calendar before `end`: the same wall-clock time 84 days earlier, so a
    default period across a summer-time change still starts at local midnight."""
    wall = end.astimezone(zone).replace(tzinfo=None) - DEFAULT_SPAN
    return wall.replace(tzinfo=zone).astimezone(UTC)


def default_period(now: datetime, zone: tzinfo = UTC) -> tuple[datetime, datetime]:
    """The last twelve weeks, up to the end of today in `zone`."""
    end = _end_of_today(now, zone)
    return _weeks_before(end, zone), end


def parse_zone(field: str, text: str | None) -> tzinfo | None:
    """An IANA zone name (`Europe/Paris`, `UTC`); None when not given. Unknown -> 422 naming `field`."""
    if text is None:
        return None
    name = text.strip()
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise OutOfRange(field, f"expected an IANA time zone such as Europe/Paris, got {text!r}")
    if not name.isascii():
        raise InputError(field, f"expected an IANA time zone in ASCII letters, such as Europe/Paris, got {text!r}")
    if name.lower() in _SERVER_ZONES or name.lower().startswith(_SERVER_ZONE_FOLDERS):
        raise InputError(field, f"{name!r} depends on the server; name an IANA time zone such as Europe/Paris")
    try:
        return UTC if name.upper() == "UTC" else ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OutOfRange(field, f"unknown IANA time zone {name!r} (e.g. Europe/Paris, America/New_York)") from exc


def _quarter_start(year: int, quarter: int, zone: tzinfo) -> datetime:
    year, quarter = year + (quarter - 1) // 4, (quarter - 1) % 4 + 1
    return datetime(year, 3 * (quarter - 1) + 1, 1, tzinfo=zone).astimezone(UTC)


def _quarter(field: str, text: str, zone: tzinfo) -> ReportPeriod:
    if not text.isascii():  # full-width digits are not a quarter, whatever `\d` would accept
        raise InputError(field, f"expected a quarter in ASCII digits such as 2026Q4, got {text!r}")
    match = _QUARTER.match(text)
    if match is None:
        raise OutOfRange(field, f"expected a quarter such as 2026Q4, got {text!r}")
    year, quarter = int(match[1]), int(match[2])
    if not 1971 <= year <= 2198:
        raise OutOfRange(field, f"year {year} is out of range (1971 to 2198)")
    previous_year, previous_quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return ReportPeriod(
        start=_quarter_start(year, quarter, zone),
        end=_quarter_start(year, quarter + 1, zone),
        zone=zone,
        label=f"{year} Q{quarter}",
        previous=(_quarter_start(previous_year, previous_quarter, zone), _quarter_start(year, quarter, zone)),
        previous_label=f"{previous_year} Q{previous_quarter}",
    )


def resolve_period(
    now: datetime,
    *,
    period_from: str | None = None,
    period_to: str | None = None,
    quarter: str | None = None,
    zone: tzinfo = UTC,
    flag: str = "",
) -> ReportPeriod:
    """The one report-period rule (module docstring). Raw texts as given (None = not given, empty = given
    and invalid); `flag` prefixes the field names in errors (`--` for the CLI)."""
    if quarter is not None:
        given = [name for name, value in (("from", period_from), ("to", period_to)) if value is not None]
        if given:
            raise OutOfRange(f"{flag}quarter", f"a quarter is a whole period: leave out {flag}{given[0]}")
        return _quarter(f"{flag}quarter", quarter, zone)
    start = parse_aware(f"{flag}from", period_from) if period_from is not None else None
    end = parse_aware(f"{flag}to", period_to) if period_to is not None else None
    if end is None:
        end = _end_of_today(now, zone)
        if start is not None and start >= end:
            raise InputError(f"{flag}from", f"must be before the end of today ({end.isoformat()}) without {flag}to")
    if start is None:
        start = _weeks_before(end, zone)
    if end <= start:
        raise InputError(f"{flag}to", f"must be after {flag}from")
    if end - start > MAX_SPAN:
        field = f"{flag}from" if period_to is None else f"{flag}to"
        raise OutOfRange(field, f"a report covers at most {MAX_SPAN.days} days; this period has {(end - start).days}")
    return ReportPeriod(start, end, zone)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """One ask for the report, as the CLI and HTTP read it: raw texts (None = not given). `viewer` is the
    caller whose mailbox zone is the default `tz` (HTTP); `flag` prefixes field names (`--` for the CLI)."""

    format: str = "json"
    period_from: str | None = None
    period_to: str | None = None
    quarter: str | None = None
    tz: str | None = None
    viewer: str | None = None
    flag: str = ""


async def viewer_zone(graph: GraphGateway | None, viewer: str | None) -> tzinfo:
    """The viewer's mailbox zone (mailboxSettings.timeZone), else UTC when unknown or unreadable."""
    if graph is None or not viewer:
        return UTC
    try:
        boxes = await graph.get_mailboxes([viewer])
    except GraphError:
        return UTC
    box = boxes.get(viewer)
    return box.tz if box is not None else UTC


async def report_for(
    query: ReportQuery,
    store: Store,
    policy: TenantPolicy,
    *,
    now: datetime,
    graph: GraphGateway | None = None,
    options: ReportOptions | None = None,
    outbox: Outbox | None = None,
    series_store: SeriesStore | None = None,
) -> tuple[str, str]:
    """The report the query asks for, as (content type, text): the one path of the CLI and HTTP. The
    outbox and series store are the runtime's (micromentor.bootstrap); None: those kept beside `store`."""
    fmt = query.format.strip().lower()
    if fmt not in FORMATS:
        raise InputError(f"{query.flag}format", f"one of {', '.join(FORMATS)}")
    zone = parse_zone(f"{query.flag}tz", query.tz)
    if zone is None:
        zone = await viewer_zone(graph, query.viewer)
    period = resolve_period(
        now,
        period_from=query.period_from,
        period_to=query.period_to,
        quarter=query.quarter,
        zone=zone,
        flag=query.flag,
    )
    report = await build_report(
        store, policy, period=period, graph=graph, options=options, outbox=outbox, series_store=series_store
    )
    return render(report, fmt)


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """Settings of the report: the smallest segment shown on its own (MICROMENTOR_REPORT_MIN_SEGMENT) and
    the directory attribute read as work mode (MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE; None = no work-mode
    segment)."""

    min_segment: int = DEFAULT_MIN_SEGMENT
    work_mode_attribute: str | None = None


WORK_MODE_SETTING = "MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE"


@dataclass(frozen=True, slots=True)
class _Directory:
    segments: dict[str, dict[str, str]]
    zones: dict[str, tzinfo]
    names: dict[str, str]


def _attribute(extra: Mapping[str, Any], path: str) -> object:
    """`employeeType` or `onPremisesExtensionAttributes.extensionAttribute3` out of a user's JSON."""
    value: object = extra
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


async def _directory(graph: GraphGateway, people: set[str], options: ReportOptions) -> _Directory:
    """Segments (office, department, work mode), display names and mailbox zones for everyone in the
    report; best effort, but an attribute Graph does not know is a misconfiguration, said as such."""
    found = _Directory({}, {}, {})
    attribute = options.work_mode_attribute
    extra = (attribute.split(".")[0],) if attribute else ()
    try:
        entries = await graph.get_directory_entries(sorted(people), extra)
        boxes = await graph.get_mailboxes(sorted(people))
    except GraphRequestError as exc:
        if extra and exc.status == 400:
            raise Misconfigured(WORK_MODE_SETTING, f"Graph refused to $select {extra[0]}: {exc}") from exc
        return found
    except GraphError:
        return found
    for person, entry in entries.items():
        values = {"officeLocation": entry.user.office_location or "", "department": entry.user.department or ""}
        if attribute:
            values["workMode"] = work_mode(_attribute(entry.extra, attribute))
        found.segments[person] = {k: v for k, v in values.items() if v}
        found.names[person] = entry.user.display_name
    for person, box in boxes.items():
        found.zones[person.lower()] = box.tz
    return found


async def build_report(
    store: Store,
    policy: TenantPolicy,
    *,
    period: ReportPeriod | None = None,
    period_from: datetime | None = None,
    period_to: datetime | None = None,
    graph: GraphGateway | None = None,
    options: ReportOptions | None = None,
    outbox: Outbox | None = None,
    series_store: SeriesStore | None = None,
) -> Report:
    """The report over `period` (or `[period_from, period_to)` in UTC, as the demo asks); a quarter comes
    with the quarter before it as its `comparison`."""
    options = options or ReportOptions()
    if period is None:
        if period_from is None or period_to is None:
            raise InputError("from", "a period is needed")
        if period_to <= period_from:
            raise InputError("to", "must be after from")
        period = ReportPeriod(period_from, period_to, UTC)
    sessions = await asyncio.to_thread(store.list_sessions)
    requests = await asyncio.to_thread(store.list_requests)
    people = {s.mentor.lower() for s in sessions} | {m.lower() for s in sessions for m in s.mentees}
    directory = await _directory(graph, people, options) if graph is not None and people else _Directory({}, {}, {})

    def caps(mentor: str) -> CapLimits:
        effective = policy.effective(mentor)
        return CapLimits(
            effective.max_sessions_per_day, effective.max_sessions_per_week, effective.max_sessions_per_month
        )

    segments = directory.segments or None
    outbox = outbox or _outbox_of(store)
    asked: list[AskedQuestion] = []
    given: list[GivenAnswer] = []
    if outbox is not None:
        messages = await asyncio.to_thread(outbox.list_messages)
        answers = await asyncio.to_thread(outbox.answers)
        sent = [m for m in messages if m.state is MessageState.SENT]
        asked = [AskedQuestion(m.session_id, m.person, m.kind.value, m.sent_at) for m in sent]
        given = [GivenAnswer(a.session_id, a.person, a.question.value, a.choice, a.answered_at) for a in answers]
    periods = [(period.start, period.end), *([period.previous] if period.previous is not None else [])]
    breakdowns = [segment_holders(sessions, start, end, segments or {}) for start, end in periods]
    if outbox is not None:
        breakdowns.append(outcome_segment_holders(sessions, asked, period.start, period.end, segments or {}))
    labels = _fold_once(breakdowns, options.min_segment)

    def over(start: datetime, end: datetime, label: str | None, folded: Labels) -> Report:
        return compute_report(
            sessions=sessions,
            requests=requests,
            period_from=start,
            period_to=end,
            caps=caps,
            segments=segments,
            mentor_tz=lambda mentor: directory.zones.get(mentor.lower(), UTC),
            zone=period.zone,
            names=directory.names,
            min_segment_size=options.min_segment,
            label=label,
            segment_labels=folded,
        )

    report = over(period.start, period.end, period.label, labels[0])
    if period.previous is not None:
        report = replace(report, comparison=over(*period.previous, period.previous_label, labels[1]))
    report = replace(report, series=await _series_report(series_store or _series_store_of(store), sessions, period))
    report = replace(report, onboarding=onboarding_cohort(sessions, period.start, period.end))
    if outbox is None:
        return report
    outcomes = compute_outcomes(
        sessions=sessions,
        asked=asked,
        answers=given,
        period_from=period.start,
        period_to=period.end,
        segments=segments,
        min_segment_size=options.min_segment,
        segment_labels=labels[-1],
    )
    return replace(report, outcomes=outcomes)


def _series_store_of(store: Store) -> SeriesStore | None:
    try:
        return open_series_store(store)
    except TypeError:  # a store without series beside it (test doubles)
        return None


async def _series_report(
    series_store: SeriesStore | None, sessions: list[Session], period: ReportPeriod
) -> SeriesReport | None:
    if series_store is None:
        return None
    found = await asyncio.to_thread(series_store.list_series)
    by_id = {s.id: s for s in sessions}
    return compute_series_report(found, by_id, period_from=period.start, period_to=period.end)


def _fold_once(
    breakdowns: Sequence[Mapping[str, Mapping[str, set[str]]]], minimum: int
) -> list[dict[str, dict[str, str | None]]]:
    """Every segment breakdown the report shows (this period, the period before, outcomes), folded
    together per attribute: a value is named in all of them or folded in all of them, so comparing two
    tables never isolates a small segment (`core.segments.fold_together`)."""
    labels: list[dict[str, dict[str, str | None]]] = [{} for _ in breakdowns]
    for attribute in sorted({a for breakdown in breakdowns for a in breakdown}):
        tables = [breakdown.get(attribute, {}) for breakdown in breakdowns]
        for i, folded in enumerate(fold_together(tables, minimum)):
            if attribute in breakdowns[i]:
                labels[i][attribute] = folded
    return labels


def _outbox_of(store: Store) -> Outbox | None:
    try:
        return open_outbox(store)
    except TypeError:  # a store without an outbox beside it (test doubles)
        return None


def _report_json(report: Report) -> dict[str, Any]:
    data = report.to_json()
    if report.outcomes is not None:
        data.update(report.outcomes.to_json())
    if report.series is not None:
        data["series"] = report.series.to_json()
    if report.onboarding is not None:
        data["onboarding"] = report.onboarding.to_json()
    return data


def render(report: Report, fmt: str) -> tuple[str, str]:
    """The report as (content type, text)."""
    if fmt == "json":
        return "application/json", render_json(_report_json(report))
    if fmt == "csv":
        # One table: the outcome and series figures are columns (core.outcomes, core.series_metrics).
        rows = None if report.outcomes is None else report.outcomes.merged_csv_rows(report.to_csv_rows())
        if report.series is not None:
            rows = report.series.merged_csv_rows(report.to_csv_rows() if rows is None else rows)
        return "text/csv; charset=utf-8", render_csv(report, rows)
    if fmt == "html":
        return "text/html; charset=utf-8", render_html(_report_json(report))
    raise InputError("format", f"one of {', '.join(FORMATS)}")
