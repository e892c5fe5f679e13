"""Text for people: escaping, percentages, durations, dates and labels of the metrics report.

Every function is locale-independent (month names are spelled out here, not taken from `strftime`),
so the same report renders to the same bytes on any machine.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "attribute_label",
    "count",
    "duration",
    "esc",
    "parse_time",
    "percent",
    "period_label",
    "reason_label",
    "short_date",
    "shorten",
    "when",
]

DASH = "\u2014"  # shown where a value is undefined (no decided sessions, no served requests)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_LONG = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# The no-show reasons of `core.attendance`; anything else is shown as written, underscores as spaces.
_REASONS = {
    "mentor_absent": "Mentor absent",
    "mentees_absent": "Mentees absent",
    "all_absent": "Everyone absent",
    "no_report": "No attendance report within 48 h",
}


def esc(value: object) -> str:
    """HTML-escaped text, quotes included, so it is safe in element content and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(rate: float | None) -> str:
    """A 0..1 rate as a whole percentage, rounded half up; never 0% or 100% unless it is exactly that,
    so a single no-show among hundreds still shows as 99%."""
    if rate is None:
        return DASH
    whole = _half_up(Decimal(str(rate)) * 100)
    if 0 < rate < 1:
        whole = min(max(whole, 1), 99)
    return f"{whole}%"


def count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else DASH


def duration(minutes: float | None) -> str:
    """Minutes as a person reads a wait: "45 min", "18 h", "3 h 20 min", "1 d 8 h" (to the minute)."""
    if minutes is None:
        return DASH
    total = _half_up(Decimal(str(minutes)))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def parse_time(text: str) -> datetime:
    """An ISO 8601 UTC time as written by `Report.to_json()` (`...Z`)."""
    return datetime.fromisoformat(text)


def short_date(text: str) -> str:
    """`2026-03-02T00:00:00Z` -> `2 Mar`."""
    moment = parse_time(text)
    return f"{moment.day} {_MONTHS[moment.month - 1]}"


def when(text: str) -> str:
    """`2026-03-04T05:00:00Z` -> `Wed 4 Mar 2026, 05:00`."""
    moment = parse_time(text)
    return (
        f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}, "
        f"{moment.hour:02d}:{moment.minute:02d}"
    )


def period_label(start_text: str, end_text: str) -> str:
    """The half-open period `[from, to)` as people say it. Whole UTC days show the last day included
    (`2 - 15 March 2026`, with an en dash); other bounds show both times."""
    start, end = parse_time(start_text), parse_time(end_text)
    midnight = {(m.hour, m.minute, m.second) for m in (start, end)} == {(0, 0, 0)}
    if not midnight:
        return f"{when(start_text)} \u2013 {when(end_text)} UTC"
    last = end - timedelta(days=1)
    if last.date() == start.date():
        return f"{start.day} {_MONTHS_LONG[start.month - 1]} {start.year}"
    if (start.year, start.month) == (last.year, last.month):
        return f"{start.day} \u2013 {last.day} {_MONTHS_LONG[last.month - 1]} {last.year}"
    if start.year == last.year:
        return f"{start.day} {_MONTHS[start.month - 1]} \u2013 {last.day} {_MONTHS[last.month - 1]} {last.year}"
    return (
        f"{start.day} {_MONTHS[start.month - 1]} {start.year} \u2013 "
        f"{last.day} {_MONTHS[last.month - 1]} {last.year}"
    )


def reason_label(reason: str | None) -> str:
    if not reason:
        return DASH
    return _REASONS.get(reason, reason.replace("_", " ").capitalize())


def attribute_label(attribute: str) -> str:
    """A directory attribute name for a heading: `officeLocation` -> `Office location`."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", attribute).replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if words else attribute


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, for chart labels (the full text goes in a tooltip)."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
