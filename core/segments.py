"""Small segments folded into "other", so that no breakdown shows a group of fewer than `minimum` people.

Pure and reusable: any per-segment metric (participation here; skill application or mentor repeats
later) first asks `fold_small_segments` which label each segment value is shown under, then counts by
that label. The rule:

1. A value held by at least `minimum` people is shown under its own name; smaller ones are folded into
   `OTHER_SEGMENT` (the "(unknown)" of people without the attribute too).
2. If "other" then holds some people but fewer than `minimum`, the smallest shown value (ties: the first
   by name) is folded in as well, and again, until "other" is empty or large enough. Otherwise the total
   minus the shown rows would give the small "other" away.
3. If even everyone together is fewer than `minimum`, the breakdown is withheld: every value maps to
   None and the caller shows no row at all (the report's totals already cover those people).

One report shows several breakdowns of one attribute (the period, the period before, outcomes): they
are folded together by `fold_together`, so a value is named in all of them or folded in all of them.

Work mode: a directory attribute read as remote / hybrid / office (`work_mode`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set

from core.errors import InputError

__all__ = [
    "DEFAULT_MIN_SEGMENT",
    "MAX_MIN_SEGMENT",
    "OTHER_SEGMENT",
    "UNKNOWN_WORK_MODE",
    "WORK_MODES",
    "check_attribute_path",
    "check_min_segment",
    "fold_small_segments",
    "fold_together",
    "work_mode",
]

OTHER_SEGMENT = "(other)"
DEFAULT_MIN_SEGMENT = 5
MAX_MIN_SEGMENT = 1000
WORK_MODES = ("remote", "hybrid", "office")
UNKNOWN_WORK_MODE = "(unknown)"  # as for any attribute a person lacks

# What people write in the attribute, case and spaces aside, read as one of the three modes.
_WORK_MODE_WORDS = {
    "remote": "remote",
    "home": "remote",
    "homeworker": "remote",
    "wfh": "remote",
    "fullyremote": "remote",
    "hybrid": "hybrid",
    "office": "office",
    "onsite": "office",
    "inoffice": "office",
    "officebased": "office",
}
# A Graph user property, or one of the 15 on-premises extension attributes (`resources/user.md`,
# `resources/onpremisesextensionattributes.md`).
_ATTRIBUTE = re.compile(
    r"^(?:[a-z][A-Za-z0-9]{0,63}|onPremisesExtensionAttributes\.extensionAttribute(?:[1-9]|1[0-5]))$"
)


def fold_small_segments(
    members: Mapping[str, Set[str]], minimum: int, *, other: str = OTHER_SEGMENT
) -> dict[str, str | None]:
    """For each segment value (mapped to the people holding it), the label it is shown under: itself,
    `other`, or None when the whole breakdown is withheld. See the module docstring for the rule."""
    return fold_together([members], minimum, other=other)[0]


def fold_together(
    breakdowns: Sequence[Mapping[str, Set[str]]], minimum: int, *, other: str = OTHER_SEGMENT
) -> list[dict[str, str | None]]:
    """Fold once for every breakdown one report shows of one attribute (this period, the period before,
    outcomes, …): the labels of each breakdown, as `fold_small_segments` gives them for one, with one
    decision for all. A value is shown under its name only where it is large enough in every breakdown
    that holds it, and a value folded in one breakdown is folded in all of them; rule 2 runs over all
    breakdowns until each one's "other" is empty or large enough. Otherwise one table naming a value
    that another table folds lets a reader subtract it out of that table's "other". A breakdown of
    fewer than `minimum` people in all is withheld (all None) and has no say in the others."""
    if minimum < 1:
        raise InputError("minSegmentSize", f"must be at least 1, got {minimum}")
    tables = [{value: frozenset(held) for value, held in members.items()} for members in breakdowns]
    # A breakdown of fewer than `minimum` people in all is withheld whatever is folded (rule 3): it
    # shows nothing, so it has no say in what the others show.
    large = [len(frozenset().union(*t.values())) >= minimum for t in tables]
    shown = [t for t, big in zip(tables, large, strict=True) if big]
    values = {value for table in shown for value in table}
    kept = {v for v in values if v != other and all(len(t[v]) >= minimum for t in shown if v in t)}

    def other_size(table: Mapping[str, frozenset[str]]) -> int:
        folded = [held for value, held in table.items() if value not in kept]
        return len(frozenset().union(*folded)) if folded else 0

    changed = True
    while changed:
        changed = False
        for table in shown:
            mine = kept & set(table)
            if mine and 0 < other_size(table) < minimum:
                sizes = {v: (len(table[v]), v) for v in mine}
                kept.discard(min(mine, key=sizes.__getitem__))  # the smallest here; ties: first by name
                changed = True
    labels: list[dict[str, str | None]] = []
    for table, big in zip(tables, large, strict=True):
        if not big:
            labels.append(dict.fromkeys(table))
        else:
            labels.append({value: value if value in kept else other for value in table})
    return labels


def work_mode(raw: object) -> str:
    """remote / hybrid / office from the attribute's text ("Remote", "on-site", "WFH"…), else "(unknown)"."""
    if not isinstance(raw, str):
        return UNKNOWN_WORK_MODE
    word = re.sub(r"[\s_\-]+", "", raw).casefold()
    return _WORK_MODE_WORDS.get(word, UNKNOWN_WORK_MODE)


def check_min_segment(field: str, raw: object) -> int:
    """The configured minimum segment size: a whole number from 2 (one person is never a segment) to 1000."""
    text = str(raw).strip()
    # int() also reads full-width and other Unicode digits; settings take ASCII digits only.
    if not (text.isascii() and text.isdigit()):
        raise InputError(field, f"expected a whole number from 2 to {MAX_MIN_SEGMENT}, got {raw!r}")
    value = int(text)
    if not 2 <= value <= MAX_MIN_SEGMENT:
        raise InputError(field, f"must be from 2 to {MAX_MIN_SEGMENT}, got {value}")
    return value


def check_attribute_path(field: str, raw: str) -> str:
    """A directory attribute to read work mode from: a user property (`employeeType`, `officeLocation`)
    or `onPremisesExtensionAttributes.extensionAttributeN` (N = 1..15)."""
    text = raw.strip()
    if not _ATTRIBUTE.match(text):
        raise InputError(
            field,
            "expected a user property such as employeeType, or onPremisesExtensionAttributes.extensionAttribute1..15,"
            f" got {raw!r}",
        )
    return text
