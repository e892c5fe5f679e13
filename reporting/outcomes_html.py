"""The report's outcome section: skill application, willingness to repeat, usefulness and response rate
(core/outcomes.py), with one chart: skill application and mentor repeat rates per week (inline SVG)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reporting.formatting import count, esc, percent

__all__ = ["outcomes_section"]

_W, _H, _PAD = 640, 180, 28
_SKILL, _REPEAT = "#2b7a4b", "#3b6fb6"


def _kpi(label: str, value: str, note: str) -> str:
    return (
        f'<li class="kpi"><span class="label">{esc(label)}</span><span class="value">{esc(value)}</span>'
        f'<span class="note">{esc(note)}</span></li>'
    )


def _chart(weeks: Sequence[Mapping[str, Any]]) -> str:
    if not weeks:
        return '<p class="empty">No check-ins or follow-ups were sent in this period.</p>'
    slot = (_W - 2 * _PAD) / len(weeks)
    bar = max(2.0, slot / 3)
    parts = [
        f'<svg role="img" aria-labelledby="oc-t oc-d" viewBox="0 0 {_W} {_H}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="oc-t">Skill application and mentor repeat by week</title>'
        '<desc id="oc-d">Green: share of answered check-ins that applied or partly applied the skill. Blue: share '
        "of answering mentors who would do another session. Empty where nobody answered.</desc>",
        f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#999"/>',
    ]
    top = _H - 2 * _PAD
    for i, week in enumerate(weeks):
        x = _PAD + i * slot + slot / 2
        for offset, rate, colour in (
            (-bar, week["skillApplication"]["rate"], _SKILL),
            (0.0, week["mentorRepeat"]["rate"], _REPEAT),
        ):
            if rate is None:
                continue
            height = top * float(rate)
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{_H - _PAD - height:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}"><title>{esc(week["week"])}: {esc(percent(rate))}</title></rect>'
            )
        parts.append(
            f'<text x="{x:.1f}" y="{_H - 8}" font-size="10" text-anchor="middle" fill="#555">'
            f"{esc(str(week['week'])[-3:])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def outcomes_section(doc: Mapping[str, Any]) -> str:
    """The section, or nothing when the report carries no outcome metrics."""
    if "skillApplication" not in doc:
        return ""
    skill, repeat, useful, response = (
        doc["skillApplication"], doc["mentorRepeat"], doc["usefulness"], doc["responseRate"],
    )  # fmt: skip
    mean = "\u2013" if useful["mean"] is None else f"{useful['mean']:.2f} / 5"
    cards = [
        _kpi("Skill applied", percent(skill["rate"]),
             f"{count(skill['applied'])} applied · {count(skill['partly'])} partly · "
             f"{count(skill['answered'])} of {count(skill['asked'])} check-ins answered"),
        _kpi("Would mentor again", percent(repeat["rate"]),
             f"{count(repeat['yes'])} yes · {count(repeat['maybe'])} maybe · {count(repeat['no'])} no"),
        _kpi("Usefulness", mean, f"{count(useful['n'])} of {count(useful['asked'])} answered"),
        _kpi("Response rate", percent(response["rate"]),
             f"{count(response['answered'])} of {count(response['asked'])} questions"),
    ]  # fmt: skip
    weeks = doc.get("outcomes", {}).get("byWeek", [])
    return (
        '<section class="panel" id="outcomes" aria-labelledby="outcomes-h"><h2 id="outcomes-h">Outcomes</h2>'
        '<p class="sub">Check-ins after the session, mentors\' willingness to repeat, usefulness (1\u20135); '
        "check-in answers count within the check-in delay + 7 days</p>"
        '<ul class="kpis" aria-label="Outcome numbers">' + "".join(cards) + "</ul>" + _chart(weeks) + "</section>"
    )
