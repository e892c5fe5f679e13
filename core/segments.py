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

Work mode: a directory attribute read as remote / hybrid / office (`work_mode`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

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
    if minimum < 1:
        raise InputError("minSegmentSize", f"must be at least 1, got {minimum}")
    people = {value: frozenset(held) for value, held in members.items()}
    kept = {value for value, held in people.items() if len(held) >= minimum and value != other}
    folded = set(people) - kept

    def other_size() -> int:
        return len(frozenset().union(*(people[v] for v in folded))) if folded else 0

    while kept and 0 < other_size() < minimum:
        smallest = min(kept, key=lambda v: (len(people[v]), v))
        kept.discard(smallest)
        folded.add(smallest)
    if not kept and other_size() < minimum:
        return dict.fromkeys(people)
    return {value: value if value in kept else other for value in people}


def work_mode(raw: object) -> str:
    """remote / hybrid / office from the attribute's text ("Remote", "on-site", "WFH"…), else "(unknown)"."""
    if not isinstance(raw, str):
        return UNKNOWN_WORK_MODE
    word = re.sub(r"[\s_\-]+", "", raw).casefold()
    return _WORK_MODE_WORDS.get(word, UNKNOWN_WORK_MODE)


def check_min_segment(field: str, raw: object) -> int:
    """The configured minimum segment size: a whole number from 2 (one person is never a segment) to 1000."""
    try:
        value = int(str(raw).strip())
    except ValueError as exc:
        raise InputError(field, f"expected a whole number from 2 to {MAX_MIN_SEGMENT}, got {raw!r}") from exc
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
