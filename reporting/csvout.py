"""The metrics report as CSV (RFC 4180) and as pretty JSON, for spreadsheets and scripts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from core.metrics import Report

__all__ = ["render_csv", "render_json"]


def render_csv(report: Report, rows: Sequence[Sequence[str]] | None = None) -> str:
    """`Report.to_csv_rows()` (or `rows`, that table with more columns) written by `csv`: comma-separated,
    fields quoted only when needed (quotes doubled), every record ended by CRLF, as RFC 4180 says."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(report.to_csv_rows() if rows is None else rows)
    return out.getvalue()


def render_json(report: Report | Mapping[str, Any]) -> str:
    """`Report.to_json()` (or that dict already made) indented by two spaces, keys in their report order,
    non-ASCII kept as is, ending with a newline."""
    data = report.to_json() if isinstance(report, Report) else report
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
