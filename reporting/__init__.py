"""Rendering of the metrics report (`core.metrics.Report`): an HTML page for people, CSV and JSON for tools."""

from __future__ import annotations

from reporting.csvout import render_csv, render_json
from reporting.html import render_html

__all__ = ["render_csv", "render_html", "render_json"]
