"""Outcome metrics: did mentees apply the skill, do mentors want to do it again, how useful was it. Pure.

Over the completed sessions whose start is in the period, counting only the people the session still has
(its mentor for the follow-up, its current mentees for the other two; someone removed from a session is
neither asked nor answered):
- `skillApplication` {asked, answered, applied, partly, rate}: check-ins sent (asked) and answered; rate =
  (applied + partly) / answered, null when nothing was answered.
- `mentorRepeat` {asked, answered, yes, maybe, no, rate}: mentor follow-ups sent and answered; rate = yes /
  answered.
- `usefulness` {asked, n, mean}: usefulness questions sent, answers (1-5) and their mean (2 decimals).
- `responseRate` {asked, answered, rate}: all three questions together.
Each overall, per mentor, per segment (the asked person's directory attributes, small segments folded
into "(other)" or withheld by `core.segments.fold_small_segments`, counting the people asked) and per ISO
week of the session's end (UTC). The current answer counts (answering again replaces it).

One answer window for all three questions: an answer counts when it was given while its link was valid,
from the moment the message was sent until `ANSWER_WINDOW` (14 days, the links' lifetime) after it. The
answer page refuses an expired link, so this only matters for answers recorded otherwise; a question whose
send time is unknown (`sent_at` None) counts its answer whenever given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.model import Session, SessionState
from core.segments import DEFAULT_MIN_SEGMENT, fold_small_segments

__all__ = [
    "ANSWER_WINDOW",
    "OUTCOME_CSV_COLUMNS",
    "AskedQuestion",
    "GivenAnswer",
    "OutcomeCounts",
    "OutcomeReport",
    "compute_outcomes",
    "outcome_segment_holders",
]

ANSWER_WINDOW = timedelta(days=14)  # an answer link's lifetime (services.answer_links.ANSWER_TTL)


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    session_id: str
    person: str
    kind: str  # mentor_followup | mentee_usefulness | mentee_checkin
    sent_at: datetime | None = None  # when the message went out: its links are valid from then for 14 days


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    session_id: str
    person: str
    kind: str
    choice: str
    answered_at: datetime


@dataclass(slots=True)
class OutcomeCounts:
    checkin_asked: int = 0
    checkin_answered: int = 0
    applied: int = 0
    partly: int = 0
    not_yet: int = 0
    followup_asked: int = 0
    yes: int = 0
    maybe: int = 0
    no: int = 0
    usefulness_asked: int = 0
    usefulness: list[int] = field(default_factory=list)

    @property
    def followup_answered(self) -> int:
        return self.yes + self.maybe + self.no

    @property
    def asked(self) -> int:
        return self.checkin_asked + self.followup_asked + self.usefulness_asked

    @property
    def answered(self) -> int:
        return self.checkin_answered + self.followup_answered + len(self.usefulness)

    def to_json(self) -> dict[str, Any]:
        def rate(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        mean = round(sum(self.usefulness) / len(self.usefulness), 2) if self.usefulness else None
        return {
            "skillApplication": {
                "asked": self.checkin_asked,
                "answered": self.checkin_answered,
                "applied": self.applied,
                "partly": self.partly,
                "notYet": self.not_yet,
                "rate": rate(self.applied + self.partly, self.checkin_answered),
            },
            "mentorRepeat": {
                "asked": self.followup_asked,
                "answered": self.followup_answered,
                "yes": self.yes,
                "maybe": self.maybe,
                "no": self.no,
                "rate": rate(self.yes, self.followup_answered),
            },
            "usefulness": {"asked": self.usefulness_asked, "n": len(self.usefulness), "mean": mean},
            "responseRate": {"asked": self.asked, "answered": self.answered, "rate": rate(self.answered, self.asked)},
        }


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    overall: OutcomeCounts
    by_mentor: Mapping[str, OutcomeCounts]
    by_segment: Mapping[tuple[str, str], OutcomeCounts]
    by_week: Mapping[str, OutcomeCounts]

    def to_json(self) -> dict[str, Any]:
        """The four metrics at the top level (overall), then `outcomes` with the breakdowns."""
        return {
            **self.overall.to_json(),
            "outcomes": {
                "byMentor": [{"mentor": m, **c.to_json()} for m, c in sorted(self.by_mentor.items())],
                "bySegment": [
                    {"attribute": a, "value": v, **c.to_json()} for (a, v), c in sorted(self.by_segment.items())
                ],
                "byWeek": [{"week": w, **c.to_json()} for w, c in sorted(self.by_week.items())],
            },
        }

    def merged_csv_rows(self, table: Sequence[Sequence[str]]) -> list[list[str]]:
        """The report's one CSV table (`core.metrics.Report.to_csv_rows`, header first) with the outcome
        figures as columns added at the right: on the `all` row, on each `mentor` row (by UPN), `segment` row
        (by attribute and value) and `week` row (by ISO week label). Outcome figures for a mentor, segment or
        week the table has no row for get a row of their own (the table's other columns empty); rows with
        no outcome figures (`previous`, `no_show`, ...) get empty outcome cells. One table for a spreadsheet."""
        header = list(table[0])
        at = {name: header.index(name) for name in ("scope", "mentor", "attribute", "value", "week")}
        wanted: dict[tuple[str, str], OutcomeCounts] = {("all", ""): self.overall}
        wanted.update({("mentor", m.lower()): c for m, c in self.by_mentor.items()})
        wanted.update({("segment", f"{a}={_guard(v)}"): c for (a, v), c in self.by_segment.items()})
        wanted.update({("week", w): c for w, c in self.by_week.items()})

        def key(row: Sequence[str]) -> tuple[str, str]:
            scope = row[at["scope"]]
            if scope == "mentor":
                return scope, row[at["mentor"]].lower()
            if scope == "segment":
                return scope, f"{row[at['attribute']]}={row[at['value']]}"
            return scope, row[at["week"]] if scope == "week" else ""

        rows = [header + list(OUTCOME_CSV_COLUMNS)]
        blank = [""] * len(OUTCOME_CSV_COLUMNS)
        for row in table[1:]:
            counts = wanted.pop(key(row), None)
            rows.append(list(row) + (blank if counts is None else _outcome_cells(counts)))
        for (scope, name), counts in wanted.items():  # outcome figures the table has no row for
            row = [""] * len(header)
            row[at["scope"]] = scope
            if scope == "mentor":
                row[at["mentor"]] = _guard(name)
            elif scope == "segment":
                row[at["attribute"]], row[at["value"]] = name.split("=", 1)
            elif scope == "week":
                row[at["week"]] = name
            rows.append(row + _outcome_cells(counts))
        return rows


# The outcome columns of the report's CSV table (docs/outcomes.md).
OUTCOME_CSV_COLUMNS = (
    "checkin_asked", "checkin_answered", "applied", "partly", "skill_application_rate",
    "followup_asked", "repeat_yes", "repeat_maybe", "repeat_no", "mentor_repeat_rate", "usefulness_n",
    "usefulness_mean", "questions_asked", "questions_answered", "response_rate",
)  # fmt: skip


def _outcome_cells(counts: OutcomeCounts) -> list[str]:
    data = counts.to_json()
    skill, repeat, useful, response = (
        data["skillApplication"], data["mentorRepeat"], data["usefulness"], data["responseRate"],
    )  # fmt: skip
    values = [
        skill["asked"], skill["answered"], skill["applied"], skill["partly"], skill["rate"],
        repeat["asked"], repeat["yes"], repeat["maybe"], repeat["no"], repeat["rate"],
        useful["n"], useful["mean"], response["asked"], response["answered"], response["rate"],
    ]  # fmt: skip
    return ["" if v is None else str(v) for v in values]


def _guard(text: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is read as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text  # as core.metrics._cell


def _week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def compute_outcomes(
    *,
    sessions: Sequence[Session],
    asked: Iterable[AskedQuestion],
    answers: Iterable[GivenAnswer],
    period_from: datetime,
    period_to: datetime,
    segments: Mapping[str, Mapping[str, str]] | None = None,
    min_segment_size: int = DEFAULT_MIN_SEGMENT,
    segment_labels: Mapping[str, Mapping[str, str | None]] | None = None,
) -> OutcomeReport:
    """`segments[person]` is a person's directory attributes; see the module docstring for the rules.
    `segment_labels` (attribute -> value -> label): the folding decided once for every breakdown of the
    report (`core.segments.fold_together` over `outcome_segment_holders` and the others); else folded here."""
    in_period = {s.id: s for s in sessions if s.state is SessionState.COMPLETED and period_from <= s.start < period_to}
    asked = [q for q in asked if q.session_id in in_period and _still_asked(in_period[q.session_id], q)]
    shown = _shown_segments({q.person.lower() for q in asked}, segments or {}, min_segment_size, segment_labels)
    current = {(a.session_id, a.person.lower(), a.kind): a for a in answers}
    overall = OutcomeCounts()
    by_mentor: dict[str, OutcomeCounts] = {}
    by_segment: dict[tuple[str, str], OutcomeCounts] = {}
    by_week: dict[str, OutcomeCounts] = {}
    for question in asked:
        session = in_period.get(question.session_id)
        if session is None:
            continue
        person = question.person.lower()
        answer = current.get((question.session_id, person, question.kind))
        buckets = [
            overall,
            by_mentor.setdefault(session.mentor.lower(), OutcomeCounts()),
            by_week.setdefault(_week(session.end), OutcomeCounts()),
        ]
        for attribute, value in sorted(shown.get(person, {}).items()):
            buckets.append(by_segment.setdefault((attribute, value), OutcomeCounts()))
        if answer is not None and not _in_window(question, answer):
            answer = None
        for counts in buckets:
            _count(counts, question.kind, answer)
    return OutcomeReport(overall, by_mentor, by_segment, by_week)


def _still_asked(session: Session, question: AskedQuestion) -> bool:
    """The person is still the session's mentor (follow-up) or one of its mentees (the other two)."""
    person = question.person.lower()
    if question.kind == "mentor_followup":
        return session.mentor.lower() == person
    return person in {m.lower() for m in session.mentees}


def _in_window(question: AskedQuestion, answer: GivenAnswer) -> bool:
    """Given while its link was valid: from the send until `ANSWER_WINDOW` after it."""
    if question.sent_at is None:
        return True
    return question.sent_at <= answer.answered_at <= question.sent_at + ANSWER_WINDOW


def outcome_segment_holders(
    sessions: Sequence[Session],
    asked: Iterable[AskedQuestion],
    period_from: datetime,
    period_to: datetime,
    segments: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[str, set[str]]]:
    """Per attribute, the people asked (about a completed session of the period) holding each value:
    what the outcomes' segment breakdown folds."""
    in_period = {s.id: s for s in sessions if s.state is SessionState.COMPLETED and period_from <= s.start < period_to}
    people = {q.person.lower() for q in asked if q.session_id in in_period and _still_asked(in_period[q.session_id], q)}
    return _holders(people, segments)


def _holders(people: set[str], segments: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, set[str]]]:
    directory = {upn.lower(): attrs for upn, attrs in segments.items()}
    found: dict[str, dict[str, set[str]]] = {}
    for attribute in sorted({a for person in people for a in directory.get(person, {})}):
        holders: dict[str, set[str]] = {}
        for person in people:
            value = directory.get(person, {}).get(attribute, "").strip()
            if value:
                holders.setdefault(value, set()).add(person)
        found[attribute] = holders
    return found


def _shown_segments(
    people: set[str],
    segments: Mapping[str, Mapping[str, str]],
    minimum: int,
    given: Mapping[str, Mapping[str, str | None]] | None = None,
) -> dict[str, dict[str, str]]:
    """Each person's segment labels as the report may show them: no segment of fewer than `minimum`."""
    shown: dict[str, dict[str, str]] = {person: {} for person in people}
    for attribute, holders in _holders(people, segments).items():
        labels = dict(given[attribute]) if given is not None and attribute in given else None
        if labels is None or not set(holders) <= set(labels):
            labels = fold_small_segments(holders, minimum)
        for value, held in holders.items():
            label = labels[value]
            if label is not None:
                for person in held:
                    shown[person][attribute] = label
    return shown


def _count(counts: OutcomeCounts, kind: str, answer: GivenAnswer | None) -> None:
    if kind == "mentee_checkin":
        counts.checkin_asked += 1
        if answer is not None:
            counts.checkin_answered += 1
            if answer.choice == "applied":
                counts.applied += 1
            elif answer.choice == "partly":
                counts.partly += 1
            else:
                counts.not_yet += 1
    elif kind == "mentor_followup":
        counts.followup_asked += 1
        if answer is not None and answer.choice in ("yes", "maybe", "no"):
            setattr(counts, answer.choice, getattr(counts, answer.choice) + 1)
    elif kind == "mentee_usefulness":
        counts.usefulness_asked += 1
        if answer is not None and answer.choice.isdigit() and 1 <= int(answer.choice) <= 5:
            counts.usefulness.append(int(answer.choice))
