"""The metrics report as one self-contained HTML page for L&D admins.

`render_html` takes the dict of `Report.to_json()` (or the same JSON read back from a file) and returns
a page with no outside resources at all (no scripts, fonts, images or links; CSS inline; charts inline
SVG), so it can be mailed, opened offline and printed. Every text value taken from the data is
HTML-escaped. The output depends only on the input: no clock, no locale, no random ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reporting.charts import completion_chart, mentor_load_chart, wait_chart
from reporting.formatting import (
    DASH,
    attribute_label,
    count,
    duration,
    esc,
    percent,
    period_label,
    reason_label,
    when,
)
from reporting.groups_html import groups_section
from reporting.onboarding_html import onboarding_section
from reporting.outcomes_html import outcomes_section
from reporting.series_html import series_section

__all__ = ["EMPTY_SESSIONS", "render_html"]

EMPTY_SESSIONS = "No sessions in this period"

_CSS = """
:root{--ink:#111827;--text:#1f2937;--muted:#6b7280;--line:#e5e7eb;--soft:#f9fafb;--bg:#f4f5f7;
--teal:#0f766e;--blue:#2563eb;--amber:#b45309;--red:#b91c1c}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:var(--bg);color:var(--text);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:32px 24px 40px}
header.page{margin-bottom:20px}
header.page h1{margin:0;font-size:26px;line-height:1.25;color:var(--ink);letter-spacing:-.01em}
header.page p{margin:4px 0 0;color:var(--muted)}
h2{margin:0;font-size:16px;color:var(--ink)}
h3{margin:18px 0 8px;font-size:14px;color:var(--ink)}
.sub{margin:2px 0 14px;color:var(--muted);font-size:12.5px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(132px,1fr));gap:12px;margin:0 0 16px;padding:0;
list-style:none}
.kpi{display:flex;flex-direction:column;background:#fff;border:1px solid var(--line);border-radius:10px;
padding:12px 14px;border-top:3px solid #cbd5e1}
.kpi.main{border-top-color:var(--teal)}
.kpi.warn{border-top-color:var(--amber)}
.kpi .label{display:block;min-height:2.7em;color:var(--muted);font-size:11.5px;font-weight:600;line-height:1.35;
letter-spacing:.05em;text-transform:uppercase}
.kpi .value{display:block;margin-top:2px;color:var(--ink);font-size:26px;font-weight:650;line-height:1.2;
white-space:nowrap;font-variant-numeric:tabular-nums}
.kpi .note{display:block;margin-top:2px;color:var(--muted);font-size:12px}
.panel{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 16px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:16px}
.charts .panel{margin:0}
.charts + .panel{margin-top:16px}
svg.chart{display:block;width:100%;height:auto;max-width:100%;margin:0 auto}
.table-wrap + .table-wrap{margin-top:20px}
.empty{margin:0;padding:28px 12px;border:1px dashed var(--line);border-radius:8px;background:var(--soft);
color:var(--muted);text-align:center}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
caption{padding:0 0 8px;text-align:left;color:var(--ink);font-weight:600}
th,td{padding:7px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--soft);color:var(--muted);font-size:12px;font-weight:600;border-bottom-color:#d1d5db}
thead th.group{text-align:center;border-bottom-color:var(--line)}
tbody th{font-weight:500;color:var(--ink)}
.num{text-align:right;white-space:nowrap}
tbody tr:last-child th,tbody tr:last-child td{border-bottom:0}
.who{overflow-wrap:anywhere;min-width:9em}
.nowrap{white-space:nowrap}
.badge{display:inline-block;margin-left:6px;padding:0 7px;border-radius:999px;font-size:11px;font-weight:600;
line-height:18px;vertical-align:1px}
.badge.over{background:#fee2e2;color:#991b1b}
.badge.at{background:#fef3c7;color:#92400e}
.role{color:var(--muted);font-size:12px}
.meter{display:inline-block;width:54px;height:6px;margin-left:8px;border-radius:3px;background:#e5e7eb;
vertical-align:middle;overflow:hidden}
.meter span{display:block;height:100%;background:var(--teal)}
footer{margin-top:8px;color:var(--muted);font-size:12px}
footer ul{margin:6px 0 0;padding-left:18px}
@page{size:A4;margin:14mm}
@media print{
body{background:#fff;font-size:12px}
main{max-width:none;padding:0}
.kpis{grid-template-columns:repeat(4,1fr)}
.charts{grid-template-columns:1fr}
.charts svg.chart{max-width:560px}
.panel,.kpi{border-color:#d1d5db;break-inside:avoid}
.table-wrap{overflow:visible}
thead{display:table-header-group}
tr{break-inside:avoid}
}
"""


def _zone(doc: Mapping[str, Any]) -> str:
    """The zone of the report's weeks and times (`--tz`, `?tz=`): charts and notes name it, never UTC alone."""
    return str(doc.get("timeZone") or "UTC")


def _no_segments(doc: Mapping[str, Any]) -> str:
    """Why there is no breakdown: withheld for privacy (fewer people than the minimum in all), or no
    directory attribute to segment by."""
    rules = doc.get("segmentRules") or {}
    withheld = [attribute_label(str(a)).lower() for a in rules.get("withheld") or ()]
    if not withheld:
        return "No directory attributes were provided for segments"
    names = withheld[0] if len(withheld) == 1 else ", ".join(withheld[:-1]) + " and " + withheld[-1]
    return (
        f"Segments by {names} are withheld: fewer than {rules.get('minSize')} people (the minimum segment size) "
        "had sessions in this period, so a breakdown could single someone out"
    )


def render_html(report_json: Mapping[str, Any], *, title: str = "Micro mentoring report") -> str:
    """The whole page for `report_json` (the shape of `Report.to_json()`)."""
    period = report_json["period"]
    span = period_label(period["from"], period["to"])
    zone = _zone(report_json)
    quarter = report_json.get("quarter")
    if quarter:
        span = f"{quarter} ({span})"
    body = [
        f'<header class="page"><h1>{esc(title)}</h1>'
        f"<p>{esc(span)} \u00b7 sessions by scheduled start, times in {esc(zone)}</p></header>",
        _headline(report_json),
        _comparison(report_json),
        _trends(report_json),
        outcomes_section(report_json),
        series_section(report_json),
        groups_section(report_json),
        onboarding_section(report_json),
        _load(report_json),
        _mentor_table(report_json),
        _no_show_table(report_json),
        _segment_tables(report_json),
        _notes(zone),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} \u2014 {esc(span)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


# --- headline --------------------------------------------------------------------------------------


def _kpi(label: str, value: str, note: str = "", cls: str = "") -> str:
    extra = f" {cls}" if cls else ""
    note_html = f'<span class="note">{esc(note)}</span>' if note else ""
    return (
        f'<li class="kpi{extra}"><span class="label">{esc(label)}</span>'
        f'<span class="value">{esc(value)}</span>{note_html}</li>'
    )


def _headline(doc: Mapping[str, Any]) -> str:
    sessions = doc["sessions"]
    people = doc["people"]
    wait = doc["timeToFirstSession"]
    decided = int(sessions["completed"]) + int(sessions["noShow"])
    scheduled = int(sessions["scheduled"])
    cards = [
        _kpi("Sessions", count(sessions["sessions"]),
             f"{count(people['mentors'])} mentors \u00b7 {count(people['mentees'])} mentees", "main"),
        _kpi("Completion rate", percent(doc["completionRate"]),
             f"{count(sessions['completed'])} completed \u00b7 {count(sessions['noShow'])} no-show" if decided
             else "no completed or missed sessions", "main"),
        _kpi("No-shows", count(sessions["noShow"]), "mentor or mentee missing",
             "warn" if sessions["noShow"] else ""),
        _kpi("Median wait", duration(wait["medianMinutes"]),
             f"request to first session \u00b7 {count(wait['served'])} of {count(wait['requests'])} served"
             if wait["requests"] else "no requests in this period"),
        _kpi("P90 wait", duration(wait["p90Minutes"]),
             "90th percentile \u00b7 " + (f"{count(wait['waiting'])} still waiting" if wait["waiting"]
                                         else "none waiting")),
        _kpi("Cancelled", count(sessions["cancelled"]), "not in the completion rate"),
        _kpi("Pending attendance", count(sessions["pendingAttendance"]),
             f"{count(scheduled)} still scheduled" if scheduled else "awaiting Teams reports"),
    ]  # fmt: skip
    return '<ul class="kpis" aria-label="Headline numbers">' + "".join(cards) + "</ul>"


# --- charts ----------------------------------------------------------------------------------------


def _empty(text: str) -> str:
    return f'<p class="empty">{esc(text)}</p>'


def _panel(heading: str, sub: str, content: str, *, section_id: str) -> str:
    return (
        f'<section class="panel" id="{section_id}" aria-labelledby="{section_id}-h">'
        f'<h2 id="{section_id}-h">{esc(heading)}</h2><p class="sub">{esc(sub)}</p>{content}</section>'
    )


def _trends(doc: Mapping[str, Any]) -> str:
    trends = doc["trends"]
    weeks = trends["completionByWeek"]
    if not doc["sessions"]["sessions"]:
        completion = _empty(EMPTY_SESSIONS)
    elif all(w.get("completionRate") is None for w in weeks):
        completion = _empty("No completed or missed sessions yet in this period")
    else:
        completion = completion_chart(weeks, doc["completionRate"], _zone(doc))
    waits = trends["timeToFirstSessionByWeek"]
    if not doc["timeToFirstSession"]["requests"]:
        wait = _empty("No mentoring requests in this period")
    elif all(w.get("medianMinutes") is None for w in waits):
        wait = _empty("No request has had a first session yet")
    else:
        wait = wait_chart(waits, _zone(doc))
    return (
        '<div class="charts">'
        + _panel("Completion rate by week",
                 "Completed \u00f7 (completed + no-show), by ISO week of the session start. "
                 "Labels: rate and completed of decided.", completion, section_id="completion")
        + _panel("Time to first session by week",
                 "From request to its first session that was not cancelled, by ISO week the request was made.",
                 wait, section_id="wait")
        + "</div>"
    )  # fmt: skip


def _load(doc: Mapping[str, Any]) -> str:
    mentors = doc["mentors"]
    content = mentor_load_chart(mentors) if mentors else _empty(EMPTY_SESSIONS)
    return _panel(
        "Mentor load against caps",
        "Sessions (not cancelled) in each mentor's busiest week, in the mentor's time zone, "
        "against the weekly cap of their focus-time policy.",
        content,
        section_id="load",
    )


# --- tables ----------------------------------------------------------------------------------------


def _th(name: str, numeric: bool, *, span: str = "") -> str:
    cls = ' class="num"' if numeric else ""
    return f'<th scope="col"{cls}{span}>{esc(name)}</th>'


def _table(caption: str, head: Sequence[tuple[str, bool]] | str, rows: Iterable[str]) -> str:
    """A table with a caption; `head` is the columns as (name, numeric) or a ready `<tr>...</tr>` markup."""
    thead = head if isinstance(head, str) else "<tr>" + "".join(_th(n, num) for n, num in head) + "</tr>"
    return (
        f'<div class="table-wrap"><table><caption>{esc(caption)}</caption>'
        f"<thead>{thead}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _num(value: object) -> str:
    return f'<td class="num">{esc(count(value))}</td>'


def _rate_cell(rate: float | None, *, meter_bar: bool = True) -> str:
    meter = ""
    if rate is not None and meter_bar:
        width = f"{float(rate) * 100:.1f}".rstrip("0").rstrip(".")
        meter = f'<span class="meter" aria-hidden="true"><span style="width:{width}%"></span></span>'
    return f'<td class="num">{esc(percent(rate))}{meter}</td>'


def _load_cell(peak: object, cap: object, when_text: object) -> str:
    peak_n, cap_n = int(str(peak)), int(str(cap))
    badge = ""
    if peak_n > cap_n:
        badge = '<span class="badge over">over</span>'
    elif peak_n == cap_n and cap_n > 0:
        badge = '<span class="badge at">at cap</span>'
    tip = f' title="{esc(when_text)}"' if when_text else ""
    return f'<td class="num"{tip}>{peak_n} / {cap_n}{badge}</td>'


_MENTOR_COLUMNS = ("All", "Completed", "No-show", "Cancelled", "Pending", "Distinct", "Repeat", "Day", "Week", "Month")


def _mentor_table(doc: Mapping[str, Any]) -> str:
    mentors = doc["mentors"]
    if not mentors:
        return _panel("Mentors", "Per mentor, over the period.", _empty(EMPTY_SESSIONS), section_id="mentors")
    groups = (("Sessions", 5), ("Mentees", 2), ("Busiest vs cap", 3))
    head = (
        '<tr><th scope="col" rowspan="2">Mentor</th>'
        + "".join(f'<th scope="colgroup" colspan="{n}" class="group">{esc(g)}</th>' for g, n in groups[:1])
        + '<th scope="col" rowspan="2" class="num">Completion</th>'
        + "".join(f'<th scope="colgroup" colspan="{n}" class="group">{esc(g)}</th>' for g, n in groups[1:])
        + "</tr><tr>"
        + "".join(_th(name, True) for name in _MENTOR_COLUMNS)
        + "</tr>"
    )
    rows = []
    for m in mentors:
        load = m["load"]
        repeat = ", ".join(str(p) for p in m.get("repeatMenteeList", []))
        repeat_tip = f' title="{esc(repeat)}"' if repeat else ""
        rows.append(
            f'<tr><th scope="row" class="who" title="{esc(m["mentor"])}">{esc(m.get("name") or m["mentor"])}</th>'
            + _num(m["sessions"]) + _num(m["completed"]) + _num(m["noShow"]) + _num(m["cancelled"])
            + _num(m["pendingAttendance"]) + _rate_cell(m["completionRate"], meter_bar=False)
            + _num(m["distinctMentees"])
            + f'<td class="num"{repeat_tip}>{esc(count(m["repeatMentees"]))}</td>'
            + _load_cell(load["maxPerDay"], load["capPerDay"], load.get("peakDay"))
            + _load_cell(load["maxPerWeek"], load["capPerWeek"], load.get("peakWeek"))
            + _load_cell(load["maxPerMonth"], load["capPerMonth"], load.get("peakMonth"))
            + "</tr>"
        )  # fmt: skip
    sub = (
        "Sessions counts every state; mentees and load count sessions that were not cancelled. "
        "A repeat mentee had two or more sessions with the mentor."
    )
    return _panel("Mentors", sub, _table("Sessions and load per mentor", head, rows), section_id="mentors")


def _missing(n: Mapping[str, Any]) -> str:
    names = n.get("missingNames", n["missing"])
    return "<br>".join(
        f"{esc(name)}" + (' <span class="role">(mentor)</span>' if upn == n["mentor"] else "")
        for upn, name in zip(n["missing"], names, strict=False)
    )


def _comparison(doc: Mapping[str, Any]) -> str:
    """A quarter beside the one before: headline numbers, this quarter, the previous one, the change."""
    previous = doc.get("comparison")
    if not previous:
        return ""
    now_wait, then_wait = doc["timeToFirstSession"], previous["timeToFirstSession"]
    lines = [
        ("Sessions", count(doc["sessions"]["sessions"]), count(previous["sessions"]["sessions"]),
         _delta(doc["sessions"]["sessions"], previous["sessions"]["sessions"])),
        ("Completion rate", percent(doc["completionRate"]), percent(previous["completionRate"]),
         _delta_points(doc["completionRate"], previous["completionRate"])),
        ("No-shows", count(doc["sessions"]["noShow"]), count(previous["sessions"]["noShow"]),
         _delta(doc["sessions"]["noShow"], previous["sessions"]["noShow"])),
        ("Mentors", count(doc["people"]["mentors"]), count(previous["people"]["mentors"]),
         _delta(doc["people"]["mentors"], previous["people"]["mentors"])),
        ("Mentees", count(doc["people"]["mentees"]), count(previous["people"]["mentees"]),
         _delta(doc["people"]["mentees"], previous["people"]["mentees"])),
        ("Median wait", duration(now_wait["medianMinutes"]), duration(then_wait["medianMinutes"]), ""),
    ]  # fmt: skip
    label, before = str(doc.get("quarter") or "This period"), str(previous.get("label") or "Before")
    head = [("", False), (label, True), (before, True), ("Change", True)]
    rows = [
        f'<tr><th scope="row">{esc(name)}</th><td class="num">{esc(a)}</td><td class="num">{esc(b)}</td>'
        f'<td class="num">{esc(c) or DASH}</td></tr>'
        for name, a, b, c in lines
    ]
    segments = _comparison_segments(doc, previous)
    return _panel(
        f"{label} compared with {before}",
        "The same metrics over the quarter before; segments are folded once for both quarters and the outcomes:"
        " a value is named in every table or in none.",
        _table(f"{label} and {before}", head, rows) + segments,
        section_id="comparison",
    )


def _comparison_segments(doc: Mapping[str, Any], previous: Mapping[str, Any]) -> str:
    before = {(s["attribute"], s["value"]): s for s in previous.get("segments", [])}
    rows = [
        f'<tr><th scope="row">{esc(attribute_label(str(s["attribute"])))}: {esc(s["value"])}</th>'
        + _rate_cell(s["completionRate"], meter_bar=False)
        + _rate_cell(before[(s["attribute"], s["value"])]["completionRate"], meter_bar=False)
        + _num(s["sessions"]) + _num(before[(s["attribute"], s["value"])]["sessions"]) + "</tr>"
        for s in doc.get("segments", [])
        if (s["attribute"], s["value"]) in before
    ]  # fmt: skip
    if not rows:
        return ""
    head = [("Segment", False), ("Completion", True), ("Before", True), ("Sessions", True), ("Before", True)]
    return _table("Segments shown in both quarters", head, rows)


def _delta(now: object, then: object) -> str:
    if not isinstance(now, int) or not isinstance(then, int):
        return ""
    return f"{now - then:+,}"


def _delta_points(now: object, then: object) -> str:
    if not isinstance(now, int | float) or not isinstance(then, int | float):
        return ""
    return f"{round((now - then) * 100):+d} pts"


def _no_show_table(doc: Mapping[str, Any]) -> str:
    no_shows = doc["noShows"]
    if not doc["sessions"]["sessions"]:
        content = _empty(EMPTY_SESSIONS)
    elif not no_shows:
        content = _empty("No no-shows in this period")
    else:
        start = f"Start ({doc.get('timeZone') or 'UTC'})"
        head = [(start, False), ("Mentor", False), ("Mentees", False), ("Missing", False),
                ("Reason", False), ("Session", False)]  # fmt: skip
        rows = [
            f'<tr><td class="nowrap">{esc(when(n["start"]))}</td>'
            f'<th scope="row" class="who" title="{esc(n["mentor"])}">{esc(n.get("mentorName") or n["mentor"])}</th>'
            f'<td class="who">{"<br>".join(esc(p) for p in n.get("menteeNames", n["mentees"])) or DASH}</td>'
            f'<td class="who">{_missing(n) or DASH}</td>'
            f'<td>{esc(reason_label(n.get("reason")))}</td>'
            f'<td class="who">{esc(n["sessionId"])}</td></tr>'
            for n in no_shows
        ]
        content = _table("Sessions marked no-show, with who was missing", head, rows)
    return _panel("No-shows", "Who did not attend long enough for the session to count as held.", content,
                  section_id="no-shows")  # fmt: skip


def _segment_tables(doc: Mapping[str, Any]) -> str:
    segments = doc["segments"]
    if not doc["sessions"]["sessions"]:
        content = _empty(EMPTY_SESSIONS)
    elif not segments:
        content = _empty(_no_segments(doc))
    else:
        by_attribute: dict[str, list[Mapping[str, Any]]] = {}
        for s in segments:
            by_attribute.setdefault(str(s["attribute"]), []).append(s)
        head = [("Value", False), ("Mentors", True), ("Mentees", True), ("Sessions", True), ("Completed", True),
                ("No-show", True), ("Cancelled", True), ("Completion", True)]  # fmt: skip
        tables = []
        for attribute, items in by_attribute.items():
            rows = [
                f'<tr><th scope="row">{esc(s["value"])}</th>'
                + _num(s["mentors"]) + _num(s["mentees"]) + _num(s["sessions"]) + _num(s["completed"])
                + _num(s["noShow"]) + _num(s["cancelled"]) + _rate_cell(s["completionRate"]) + "</tr>"
                for s in items
            ]  # fmt: skip
            tables.append(_table(f"By {attribute_label(attribute).lower()}", head, rows))
        content = "".join(tables)
    sub = (
        "A session counts under every value its mentor or mentees hold, so a row can share sessions with "
        "another. Mentors and mentees: people of that value with a session that was not cancelled."
    )
    return _panel("Participation by segment", sub, content, section_id="segments")


def _notes(zone: str) -> str:
    items = [
        "Completion rate = completed \u00f7 (completed + no-show); cancelled, pending and scheduled sessions "
        "are counted apart.",
        "A session is completed when the mentor and at least one mentee each attended for the required share "
        "of its length, by the Teams attendance report.",
        "Time to first session: median, and 90th percentile by nearest rank, over requests made in the period "
        "that have had a session.",
        f"Weeks are ISO weeks (Monday to Sunday) in {zone}; mentor load uses each mentor's own time zone.",
        "Segments of fewer people than the minimum are folded into \u201c(other)\u201d; a breakdown with fewer "
        "people than that in all is not shown.",
    ]
    return "<footer><strong>How to read this report</strong><ul>" + "".join(
        f"<li>{esc(i)}</li>" for i in items
    ) + "</ul></footer>"
