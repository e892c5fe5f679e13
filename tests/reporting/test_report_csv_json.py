"""CSV (RFC 4180) and JSON renderings of the report on the data set of report_data.py."""

from __future__ import annotations

import csv
import io
import json

from core.metrics import CapLimits, Report, compute_report
from core.model import SessionState
from reporting import render_csv, render_json
from tests.reporting.report_data import FROM, TO, session


def test_csv_round_trips_through_csv_reader(report: Report) -> None:
    text = render_csv(report)
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed == report.to_csv_rows()
    # Header, the "all" row, then the three mentors in their report order; then segments, the three
    # weeks W10-W12 and the two no-shows (S2, S6), in that order.
    scopes = [row[0] for row in parsed[5:]]
    assert scopes == ["segment"] * (len(scopes) - 5) + ["week"] * 3 + ["no_show"] * 2
    assert [row[:2] for row in parsed[:5]] == [
        ["scope", "mentor"], ["all", ""], ["mentor", "<b>bo</b>@c.com"], ["mentor", "ana@c.com"],
        ["mentor", "cy@c.com"],
    ]  # fmt: skip


def test_csv_records_end_with_crlf(report: Report) -> None:
    text = render_csv(report)
    assert text.endswith("\r\n")
    rows = len(report.to_csv_rows())
    assert text.count("\r\n") == rows and text.count("\n") == rows  # no bare line feeds
    assert text.startswith("scope,mentor,period_from,period_to,sessions,completed,no_show,cancelled,")


def test_csv_quotes_commas_and_doubles_quotes() -> None:
    # A UPN holding a comma and a double quote: RFC 4180 wants the field quoted and the quote doubled.
    odd = session("Q1", 'O"Neil, Pat@c.com', "dee@c.com", "2026-03-03T09:00", SessionState.COMPLETED)
    report = compute_report(sessions=[odd], requests=[], period_from=FROM, period_to=TO, caps=CapLimits())
    text = render_csv(report)
    assert '\r\nmentor,"o""neil, pat@c.com",2026-03-02T00:00:00Z,' in text
    assert list(csv.reader(io.StringIO(text, newline="")))[2][1] == 'o"neil, pat@c.com'


def test_csv_keeps_the_formula_guard() -> None:
    evil = session("E1", "=cmd()@c.com", "dee@c.com", "2026-03-03T09:00", SessionState.COMPLETED)
    report = compute_report(sessions=[evil], requests=[], period_from=FROM, period_to=TO, caps=CapLimits())
    assert list(csv.reader(io.StringIO(render_csv(report), newline="")))[2][1] == "'=cmd()@c.com"


def test_json_is_the_report_indented(report: Report) -> None:
    text = render_json(report)
    assert json.loads(text) == report.to_json()
    assert text.startswith('{\n  "period": {\n    "from": "2026-03-02T00:00:00Z",\n')
    assert text.endswith("}\n")
    assert render_json(report.to_json()) == text  # the dict renders the same


def test_json_keeps_non_ascii_text() -> None:
    zoe = session("Z1", "zo\u00eb@c.com", "dee@c.com", "2026-03-03T09:00", SessionState.COMPLETED)
    report = compute_report(sessions=[zoe], requests=[], period_from=FROM, period_to=TO, caps=CapLimits())
    assert '"mentor": "zo\u00eb@c.com"' in render_json(report)
