"""The joiners list of onboarding (docs/onboarding.md): the CSV `upn,start_date,skills` of `micromentor onboard`
and the admin API's `joiners`, checked by one set of rules. An error names where: `<source> line N, column C`
for the CSV, the body's path (`joiners[2].start_date`) for the API."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.errors import InputError
from core.onboarding import skill_key
from core.text import check_text
from services.requests import MAX_SKILL_LENGTH

__all__ = [
    "CSV_COLUMNS",
    "EARLIEST_START",
    "LATEST_START",
    "MAX_CSV_BYTES",
    "MAX_HTTP_JOINERS",
    "MAX_JOINERS",
    "MAX_SKILLS",
    "JoinerRow",
    "parse_joiners_csv",
    "validate_joiners",
]

CSV_COLUMNS = ("upn", "start_date", "skills")
MAX_JOINERS = 200  # each joiner is a schedule in every mentor's getSchedule: one run stays a few calls
# The admin API answers within the Functions host's HTTP limit (230 s, the load balancer's idle timeout):
# bench/onboarding.py: a run (plan and book) of 50 joiners with 20 mentors takes 23-27 s on the emulator, 100
# take 91 s (docs/onboarding.md); the CLI keeps MAX_JOINERS.
MAX_HTTP_JOINERS = 50
MAX_SKILLS = 10
MAX_CSV_BYTES = 1_000_000
EARLIEST_START, LATEST_START = date(2000, 1, 1), date(2100, 12, 31)  # a date, not a typo of one
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class JoinerRow:
    upn: str  # lower-cased
    start_date: date
    skills: tuple[str, ...] = ()


def _date(text: object, where: str) -> date:
    found: date | None = text if isinstance(text, date) else None
    raw = text.strip() if isinstance(text, str) else ""
    try:
        if found is None and _DATE.match(raw):
            found = date.fromisoformat(raw)
    except ValueError:
        pass
    if found is None:
        raise InputError(where, f"expected a date as YYYY-MM-DD, got {str(text)[:40]!r}")
    if not EARLIEST_START <= found <= LATEST_START:
        raise InputError(where, f"{found.isoformat()} is not between {EARLIEST_START} and {LATEST_START}")
    return found


_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def _upn_problem(upn: str) -> str | None:
    """Why `upn` (trimmed, lower-cased) is no user principal name: exactly one `@` between two non-empty
    parts, and no whitespace, control or invisible character (a zero-width space pasted from a spreadsheet
    would make a UPN nobody has, and the joiner 'unknown')."""
    for ch in upn:
        if ch.isspace() or unicodedata.category(ch) in _INVISIBLE:
            return f"not a user principal name: holds whitespace or an invisible character (U+{ord(ch):04X})"
    local, at, domain = upn.partition("@")
    if len(upn) > 256 or not at or not local or not domain or "@" in domain:
        return f"not a user principal name: {upn[:60]!r} (expected name@domain, with exactly one @)"
    return None


def validate_joiners(rows: Sequence[Mapping[str, Any]], where: Callable[[int, str], str]) -> tuple[JoinerRow, ...]:
    """Each row's `upn`, `start_date` (a date or YYYY-MM-DD) and `skills` (a list of strings), checked;
    `where(index, column)` names the field of an error (`joiners[2].start_date`, `line 4, column upn`)."""
    if not rows:
        raise InputError("joiners", "no joiners")
    if len(rows) > MAX_JOINERS:
        raise InputError("joiners", f"at most {MAX_JOINERS} joiners in one run, got {len(rows)}")
    joiners: list[JoinerRow] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        raw = row.get("upn")
        upn = check_text(where(i, "upn"), raw.strip().lower()) if isinstance(raw, str) else ""
        if not upn:
            raise InputError(where(i, "upn"), "required, as a user principal name")
        problem = _upn_problem(upn)
        if problem is not None:
            raise InputError(where(i, "upn"), problem)
        if upn in seen:
            raise InputError(where(i, "upn"), f"{upn} is listed twice (first at {where(seen[upn], 'upn')})")
        seen[upn] = i
        start = _date(row.get("start_date"), where(i, "start_date"))
        skills: list[str] = []
        for skill in row.get("skills") or ():
            text = " ".join(str(skill).split())
            if not text:
                raise InputError(where(i, "skills"), "a skill must not be empty")
            if len(text) > MAX_SKILL_LENGTH:
                raise InputError(where(i, "skills"), f"a skill is longer than {MAX_SKILL_LENGTH} characters")
            check_text(where(i, "skills"), text)
            if skill_key(text) not in {skill_key(s) for s in skills}:
                skills.append(text)
        if len(skills) > MAX_SKILLS:
            raise InputError(where(i, "skills"), f"at most {MAX_SKILLS} skills")
        joiners.append(JoinerRow(upn, start, tuple(skills)))
    return tuple(joiners)


def parse_joiners_csv(text: str, source: str = "joiners") -> tuple[JoinerRow, ...]:
    """The CSV `upn,start_date,skills` (a header, then one joiner a line; skills separated by `;`).
    Strict: the header must name exactly these columns; an error names `<source> line N, column C`."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CSV_BYTES:
        raise InputError(source, f"larger than {MAX_CSV_BYTES} bytes")
    text = text.removeprefix("\ufeff")  # a spreadsheet's byte order mark
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        lines = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise InputError(f"{source} line {reader.line_num}", f"not CSV: {exc}") from None
    if not lines:
        raise InputError(source, f"empty: expected the header {','.join(CSV_COLUMNS)}")
    header_line, header = lines[0]
    names = [h.strip().lower() for h in header]
    for n, name in enumerate(names):
        if name not in CSV_COLUMNS:
            raise InputError(
                f"{source} line {header_line}, column {n + 1}",
                f"unknown column {header[n].strip()[:40]!r}; the columns are {','.join(CSV_COLUMNS)}",
            )
        if name in names[:n]:
            raise InputError(f"{source} line {header_line}, column {n + 1}", f"column {name} is given twice")
    for name in CSV_COLUMNS:
        if name not in names:
            raise InputError(f"{source} line {header_line}", f"missing column {name}")
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for line, cells in lines[1:]:
        if len(cells) != len(names):
            raise InputError(f"{source} line {line}", f"{len(cells)} cells where the header has {len(names)}")
        row = dict(zip(names, cells, strict=True))
        rows.append({**row, "skills": [s for s in row["skills"].split(";") if s.strip()]})
        numbers.append(line)
    if not rows:
        raise InputError(source, "no joiners after the header")
    if len(rows) > MAX_JOINERS:
        raise InputError(source, f"at most {MAX_JOINERS} joiners in one run, got {len(rows)}: split the list")
    return validate_joiners(
        rows, lambda i, column: f"{source} line {numbers[i] if i < len(numbers) else header_line}, column {column}"
    )
