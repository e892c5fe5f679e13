"""A mentor's office hours (standard time slots) in words, as the link page and the task pane show them.

Pure: `OfficeWindow`s and a zone in, one line out, e.g. "Tue, Thu 14:00-15:00 (Europe/Paris)"
(with an en dash between the times).
Weekdays with the same windows share one group; groups follow the week from Monday.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from policies.model import OfficeWindow

__all__ = ["describe_office_hours", "office_hours_note", "zone_label"]

_DASH = "\N{EN DASH}"
_SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def zone_label(zone: tzinfo) -> str:
    """The IANA name of a `ZoneInfo` (`Europe/Paris`), else the tzinfo's own name."""
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) and key else str(zone)


def describe_office_hours(windows: Sequence[OfficeWindow], zone: tzinfo) -> str:
    """The office hours in words; "" when there are none."""
    if not windows:
        return ""
    per_day: dict[int, tuple[str, ...]] = {}
    for weekday in range(7):
        spans = sorted((w.start, w.end) for w in windows if w.weekday == weekday)
        if spans:
            per_day[weekday] = tuple(f"{start:%H:%M}{_DASH}{end:%H:%M}" for start, end in spans)
    groups: dict[tuple[str, ...], list[int]] = {}
    for weekday, texts in per_day.items():  # ascending weekday, so groups come in week order
        groups.setdefault(texts, []).append(weekday)
    parts = [", ".join(_SHORT_DAYS[d] for d in days) + " " + ", ".join(texts) for texts, days in groups.items()]
    return f"{'; '.join(parts)} ({zone_label(zone)})"


def office_hours_note(windows: Sequence[OfficeWindow], zone: tzinfo) -> str | None:
    """The sentence clients show under a mentor's times, or None without office hours."""
    text = describe_office_hours(windows, zone)
    return f"offers office hours only: {text}" if text else None
