"""The report's charts as inline SVG, drawn here from the `Report.to_json()` shapes (no charting library,
no script): completion rate by ISO week, time to first session by week, and mentor load against caps.

Each chart is one `<svg role="img">` with a `<title>`, a `<desc>` that states its numbers in words, and a
`<title>` tooltip on every bar and point. Colours and fonts are presentation attributes, so a chart
looks the same pasted on its own and prints without the page's stylesheet. Coordinates are written
with one decimal: the same data always gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from reporting.formatting import DASH, duration, esc, percent, short_date, shorten

__all__ = ["completion_chart", "mentor_load_chart", "wait_chart"]

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
INK = "#111827"
MUTED = "#6b7280"
GRID = "#e5e7eb"
AXIS = "#9ca3af"
TRACK = "#f3f4f6"
TEAL = "#0f766e"
BLUE = "#2563eb"
AMBER = "#d97706"
RED = "#dc2626"


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{esc(title)}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="{FONT}" font-size="11">',
        f'<title id="{chart_id}-title">{esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{esc(desc)}</desc>',
    ]


def _text(x: float, y: float, text: str, *, cls: str, anchor: str = "middle", fill: str = MUTED,
          size: int | None = None, weight: int | None = None) -> str:  # fmt: skip
    extra = (f' font-size="{size}"' if size else "") + (f' font-weight="{weight}"' if weight else "")
    return (
        f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{fill}"{extra}>'
        f"{esc(text)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, *, cls: str, stroke: str, width: float = 1,
          dash: str | None = None) -> str:  # fmt: skip
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{stroke}" stroke-width="{_n(width)}"{dashes}/>'
    )


def _rect(x: float, y: float, w: float, h: float, *, cls: str, fill: str, radius: float = 0) -> str:
    rounded = f' rx="{_n(radius)}"' if radius else ""
    return (
        f'<rect class="{cls}" x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}"'
        f'{rounded} fill="{fill}"/>'
    )


def _nice_step(top: float, ticks: int, *, whole: bool) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^k; whole numbers only for counts) giving about `ticks` steps to `top`."""
    raw = max(top, 1e-9) / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw and (not whole or step == int(step)):
            return max(step, 1) if whole else step
    return 10 * magnitude  # unreachable: factor 10 always qualifies


def _week_slots(count: int, left: float, width: float) -> tuple[float, list[float]]:
    """The width of one week's slot and each slot's centre, so both weekly charts align week by week."""
    slot = width / max(count, 1)
    return slot, [left + slot * (i + 0.5) for i in range(count)]


def _label_every(count: int, slot: float, min_px: float) -> int:
    """Show every k-th week label so that labels stay at least `min_px` apart."""
    return max(1, math.ceil(min_px / slot)) if count else 1


# --- completion rate by week ------------------------------------------------------------------------


def completion_chart(weeks: Sequence[Mapping[str, Any]], overall: float | None, zone: str = "UTC") -> str:
    """One bar per ISO week with a decided session, its height the completion rate, labelled with the
    percentage and "completed of decided"; weeks without one keep their slot with a dash. A dashed
    line marks the whole period's rate."""
    width, height = 480, 280
    left, right, top, bottom = 40, 50, 40, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h
    slot, centres = _week_slots(len(weeks), left, plot_w)
    bar_w = min(56.0, slot * 0.62)
    every = _label_every(len(weeks), slot, 44)

    parts_desc = []
    for week in weeks:
        rate, decided = week.get("completionRate"), _decided(week)
        parts_desc.append(
            f"{week['week']}: {percent(rate)} ({week['completed']} of {decided})" if rate is not None
            else f"{week['week']}: no completed or missed sessions"
        )  # fmt: skip
    desc = (
        f"Share of completed sessions among completed and no-show sessions, per ISO week ({zone}). "
        + "; ".join(parts_desc)
    )
    out = _open("chart-completion", width, height, "Completion rate by ISO week", desc)

    for tick in (0, 25, 50, 75, 100):
        y = base - plot_h * tick / 100
        out.append(_line(left, y, left + plot_w, y, cls="grid", stroke=AXIS if tick == 0 else GRID))
        out.append(_text(left - 8, y + 4, f"{tick}%", cls="tick", anchor="end"))

    for i, (week, x) in enumerate(zip(weeks, centres, strict=True)):
        rate, decided = week.get("completionRate"), _decided(week)
        label = str(week["week"])
        out.append(f'<g class="week" data-week="{esc(label)}">')
        if rate is None:
            tip = f"{label} (week of {short_date(week['weekStart'])}): no completed or missed sessions, " + (
                f"{week['sessions']} session(s) in all"
            )
            out.append(f"<title>{esc(tip)}</title>")
            out.append(_text(x, base - 6, DASH, cls="none"))
        else:
            tip = (
                f"{label} (week of {short_date(week['weekStart'])}): {percent(rate)} completed \u2014 "
                f"{week['completed']} completed, {week['noShow']} no-show, {week['cancelled']} cancelled, "
                f"{week['sessions']} session(s) in all"
            )
            bar_h = plot_h * float(rate)
            out.append(f"<title>{esc(tip)}</title>")
            out.append(_rect(x - bar_w / 2, top, bar_w, plot_h, cls="track", fill=TRACK, radius=3))
            out.append(_rect(x - bar_w / 2, base - bar_h, bar_w, bar_h, cls="bar", fill=TEAL, radius=3))
            if slot >= 26:
                out.append(_text(x, base - bar_h - 19, percent(rate), cls="value", fill=INK, size=12, weight=600))
            if slot >= 30:
                counted = f"{week['completed']} of {decided}" if slot >= 48 else f"{week['completed']}/{decided}"
                out.append(_text(x, base - bar_h - 6, counted, cls="count"))
        if i % every == 0:
            out.append(_text(x, base + 16, _short_week(label), cls="week-label", fill=INK))
            out.append(_text(x, base + 30, short_date(week["weekStart"]), cls="week-date"))
        out.append("</g>")

    if overall is not None:
        y = base - plot_h * float(overall)
        out.append(_line(left, y, left + plot_w, y, cls="overall", stroke=MUTED, width=1.2, dash="5 4"))
        out.append(_text(left + plot_w + 6, y - 2, "period", cls="overall-label", anchor="start"))
        out.append(_text(left + plot_w + 6, y + 11, percent(overall), cls="overall-label", anchor="start",
                         fill=INK, weight=600))  # fmt: skip
    out.append("</svg>")
    return "".join(out)


def _decided(week: Mapping[str, Any]) -> int:
    return int(week["completed"]) + int(week["noShow"])


def _short_week(label: str) -> str:
    """`2026-W10` -> `W10` (the date under it names the year's context)."""
    return label.rsplit("-", 1)[-1]


# --- time to first session by week -----------------------------------------------------------------


def _unit(top_minutes: float) -> tuple[str, float]:
    """The axis unit for waits up to `top_minutes`: minutes, hours or days."""
    if top_minutes < 120:
        return "min", 1.0
    if top_minutes < 72 * 60:
        return "h", 60.0
    return "d", 1440.0


def _in_unit(minutes: float, unit: str, per: float) -> str:
    value = minutes / per
    if unit == "min" or (unit == "h" and value >= 10):
        return f"{round(value)} {unit}"
    return f"{_n(round(value, 1))} {unit}"


def wait_chart(weeks: Sequence[Mapping[str, Any]], zone: str = "UTC") -> str:
    """Median and 90th percentile of time to first session for the requests created in each ISO week,
    as two lines with labelled points; a week with no served request breaks the lines. Weeks with
    requests still waiting say how many under the week label."""
    width, height = 480, 280
    left, right, top, bottom = 44, 16, 40, 54
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h
    slot, centres = _week_slots(len(weeks), left, plot_w)
    every = _label_every(len(weeks), slot, 44)

    values = [float(w[k]) for w in weeks for k in ("medianMinutes", "p90Minutes") if w.get(k) is not None]
    unit, per = _unit(max(values, default=60.0))
    step = _nice_step(max(values, default=60.0) / per, 4, whole=unit != "d")
    axis_top = step * max(1, math.ceil(max(values, default=60.0) / per / step))

    def y_of(minutes: float) -> float:
        return base - plot_h * (minutes / per) / axis_top

    parts_desc = []
    for week in weeks:
        if week.get("medianMinutes") is None:
            parts_desc.append(f"{week['week']}: no request served ({week['requests']} created)")
        else:
            parts_desc.append(
                f"{week['week']}: median {duration(week['medianMinutes'])}, 90th percentile "
                f"{duration(week['p90Minutes'])} ({week['served']} of {week['requests']} requests served)"
            )
    desc = f"Time from request to first session, by ISO week ({zone}) of the request. " + "; ".join(parts_desc)
    out = _open("chart-wait", width, height, "Time to first session by ISO week", desc)

    legend_y = 16
    out.append(_line(left, legend_y, left + 22, legend_y, cls="legend", stroke=BLUE, width=2.5))
    out.append(_text(left + 28, legend_y + 4, "Median", cls="legend", anchor="start", fill=INK))
    out.append(_line(left + 90, legend_y, left + 112, legend_y, cls="legend", stroke=AMBER, width=2.5, dash="6 3"))
    out.append(_text(left + 118, legend_y + 4, "90th percentile", cls="legend", anchor="start", fill=INK))

    tick = 0.0
    while tick <= axis_top + 1e-9:
        y = base - plot_h * tick / axis_top
        out.append(_line(left, y, left + plot_w, y, cls="grid", stroke=AXIS if tick == 0 else GRID))
        out.append(_text(left - 8, y + 4, f"{_n(tick)} {unit}", cls="tick", anchor="end"))
        tick += step

    for series, colour, dash in (("p90Minutes", AMBER, "6 3"), ("medianMinutes", BLUE, None)):
        run: list[str] = []
        runs: list[list[str]] = []
        for week, x in zip(weeks, centres, strict=True):
            if week.get(series) is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{_n(x)},{_n(y_of(float(week[series])))}")
        if run:
            runs.append(run)
        name = "p90" if series == "p90Minutes" else "median"
        for points in runs:
            if len(points) > 1:
                dashes = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(
                    f'<polyline class="line {name}" points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"{dashes}/>'
                )

    show_values = slot >= 40
    for i, (week, x) in enumerate(zip(weeks, centres, strict=True)):
        label = str(week["week"])
        out.append(f'<g class="week" data-week="{esc(label)}">')
        median, p90 = week.get("medianMinutes"), week.get("p90Minutes")
        if median is not None and p90 is not None:
            served = f"{week['served']} of {week['requests']} requests served"
            for name, value, colour, dy in (("p90", float(p90), AMBER, -9), ("median", float(median), BLUE, 17)):
                y = y_of(value)
                tip = f"{label}: {'90th percentile' if name == 'p90' else 'median'} {duration(value)} ({served})"
                out.append(
                    f'<circle class="pt {name}" cx="{_n(x)}" cy="{_n(y)}" r="4.5" fill="{colour}" '
                    f'stroke="#ffffff" stroke-width="1.5"><title>{esc(tip)}</title></circle>'
                )
                if show_values:
                    # Wide slots spell the wait out as the headline does; narrow ones use the axis unit.
                    text = duration(value) if slot >= 72 else _in_unit(value, unit, per)
                    out.append(_text(x, y + dy, text, cls=f"value {name}", fill=colour, weight=600))
        if i % every == 0:
            out.append(_text(x, base + 16, _short_week(label), cls="week-label", fill=INK))
            out.append(_text(x, base + 30, short_date(week["weekStart"]), cls="week-date"))
            waiting = int(week.get("waiting") or 0)
            if waiting and slot >= 44:
                out.append(_text(x, base + 44, f"{waiting} waiting", cls="waiting", fill=AMBER))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# --- mentor load against caps -----------------------------------------------------------------------


def mentor_load_chart(mentors: Sequence[Mapping[str, Any]]) -> str:
    """One row per mentor: a bar for the sessions in the mentor's busiest local ISO week and a vertical
    line at the mentor's weekly cap; bars over the cap are red, bars at the cap amber. The label after
    the bar also names any daily or monthly cap that was passed."""
    width = 960
    left, right, top, bottom, row_h = 240, 230, 44, 30, 30
    plot_w = width - left - right
    height = top + row_h * len(mentors) + bottom
    base = top + row_h * len(mentors)

    highest = max((max(int(m["load"]["maxPerWeek"]), int(m["load"]["capPerWeek"])) for m in mentors), default=1)
    step = int(_nice_step(max(highest, 1), 5, whole=True))
    axis_top = step * max(1, math.ceil(max(highest, 1) / step))

    def x_of(sessions: float) -> float:
        return left + plot_w * sessions / axis_top

    over_count = sum(1 for m in mentors if _week_over(m["load"]))
    desc = (
        f"Sessions in each mentor's busiest week against the mentor's weekly cap; {over_count} of "
        f"{len(mentors)} mentor(s) over the weekly cap. "
        + "; ".join(
            f"{m['mentor']}: {m['load']['maxPerWeek']} of {m['load']['capPerWeek']}"
            + (f" in {m['load']['peakWeek']}" if m["load"].get("peakWeek") else "")
            for m in mentors
        )
    )
    out = _open("chart-load", width, height, "Mentor load against weekly caps", desc)

    legend = (
        ("bar", BLUE, "Busiest week (sessions)"),
        ("cap", INK, "Weekly cap"),
        ("bar", AMBER, "At cap"),
        ("bar", RED, "Over cap"),
    )
    x = float(left)
    for kind, colour, text in legend:
        if kind == "bar":
            out.append(_rect(x, 10, 14, 10, cls="legend", fill=colour, radius=2))
        else:
            out.append(_line(x + 7, 7, x + 7, 23, cls="legend", stroke=colour, width=2))
        out.append(_text(x + 20, 19, text, cls="legend", anchor="start", fill=INK))
        x += 28 + 6.6 * len(text)

    tick = 0
    while tick <= axis_top:
        tx = x_of(tick)
        out.append(_line(tx, top - 6, tx, base, cls="grid", stroke=AXIS if tick == 0 else GRID))
        out.append(_text(tx, base + 16, str(tick), cls="tick"))
        tick += step
    out.append(_text(left + plot_w / 2, base + 28, "sessions in the week", cls="axis-title"))

    for i, mentor in enumerate(mentors):
        load = mentor["load"]
        name = str(mentor.get("name") or mentor["mentor"])  # the display name, the UPN when there is none
        peak, cap = int(load["maxPerWeek"]), int(load["capPerWeek"])
        row_top = top + row_h * i
        mid = row_top + row_h / 2
        state = "over" if peak > cap else "at-cap" if peak == cap and cap > 0 else "within"
        colour = {"over": RED, "at-cap": AMBER, "within": BLUE}[state]
        week = f" in {load['peakWeek']}" if load.get("peakWeek") else ""
        tip = f"{name}: {peak} session(s){week}, weekly cap {cap}"
        out.append(f'<g class="mentor {state}" data-mentor="{esc(name)}"><title>{esc(tip)}</title>')
        out.append(_text(left - 12, mid + 4, shorten(name, 30), cls="mentor-label", anchor="end", fill=INK, size=12))
        out.append(_rect(left, mid - 7, x_of(peak) - left, 14, cls=f"bar {state}", fill=colour, radius=2))
        cap_x = x_of(cap)
        out.append(_line(cap_x, row_top + 4, cap_x, row_top + row_h - 4, cls="cap", stroke=INK, width=2))
        label_x = max(x_of(peak), cap_x) + 10
        notes = _cap_notes(load)
        value = f"{peak} / {cap}"
        out.append(_text(label_x, mid + 4, value, cls="load-value", anchor="start", fill=INK, size=12, weight=600))
        if notes:
            note_x = label_x + 7.5 * len(value) + 8
            out.append(_text(note_x, mid + 4, notes, cls="load-note", anchor="start", fill=RED, weight=600))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _week_over(load: Mapping[str, Any]) -> bool:
    return int(load["maxPerWeek"]) > int(load["capPerWeek"])


def _cap_notes(load: Mapping[str, Any]) -> str:
    """"over daily & weekly cap" for the caps a mentor passed (any of day, week, month), else ""."""
    passed = [
        name
        for name, peak, cap in (
            ("daily", "maxPerDay", "capPerDay"),
            ("weekly", "maxPerWeek", "capPerWeek"),
            ("monthly", "maxPerMonth", "capPerMonth"),
        )
        if int(load[peak]) > int(load[cap])
    ]
    if not passed:
        return ""
    names = passed[0] if len(passed) == 1 else ", ".join(passed[:-1]) + " & " + passed[-1]
    return f"over {names} cap"
