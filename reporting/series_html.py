"""The report's series section (core/series_metrics.py): series started, their state, sessions per series,
and retention after 2, 4 and 6 sessions as a small table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reporting.formatting import count, esc, percent

__all__ = ["series_section"]

_REASONS = {
    "stopped_by_mentor": "stopped by the mentor",
    "stopped_by_mentee": "stopped by the mentee",
    "mentor_declined": "mentor would not repeat",
    "two_no_shows": "two no-shows in a row",
}


def _mean(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.2f}"


def series_section(doc: Mapping[str, Any]) -> str:
    """ "" when the report has no series part (a store without series)."""
    series = doc.get("series")
    if not series:
        return ""
    reasons = " · ".join(f"{count(n)} {_REASONS.get(r, r)}" for r, n in series["stopReasons"].items())
    per = series["sessionsPerSeries"]
    facts = [
        ("Series started", count(series["started"])),
        ("Active / stopped / completed", f"{count(series['active'])} / {count(series['stopped'])} / "
         f"{count(series['completed'])}"),
        ("Sessions per series (booked / held)", f"{_mean(per['booked'])} / {_mean(per['held'])}"),
    ]  # fmt: skip
    if reasons:
        facts.append(("Why they stopped", reasons))
    rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in facts)
    retention = "".join(
        f'<tr><th scope="row">after {r["afterSessions"]} sessions</th><td>{esc(percent(r["rate"]))}</td>'
        f"<td>{count(r['reached'])} of {count(r['eligible'])}</td></tr>"
        for r in series["retention"]
    )
    return (
        '<section class="panel" id="series" aria-labelledby="series-h"><h2 id="series-h">Series</h2>'
        '<p class="sub">Series started in the period; retention: of the series whose n-th session was due '
        "before the period ends, the share that held n sessions</p>"
        f'<table><tbody>{rows}</tbody></table><table><thead><tr><th scope="col">Retention</th>'
        f'<th scope="col">rate</th><th scope="col">series</th></tr></thead><tbody>{retention}</tbody></table>'
        "</section>"
    )
