"""The 2-10-3 checklist's fields: what a save may hold, checked before anything is stored.

Pure: text in, a validated `ChecklistFields` out, or `InputError` naming the field (`question`,
`options[1]`, `next_step`, `success_indicator`). Every field may be empty while the session is under
way; what is written is trimmed, one paragraph per field (line breaks inside the options and the
other fields are folded into spaces), within these limits. The question is one sentence, as at
booking (`core.agenda.validate_question`): a tab or line break in it is refused, naming `question`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.agenda import QUESTION_MAX_CHARS
from core.errors import InputError
from core.text import check_text

__all__ = [
    "MAX_OPTIONS",
    "NEXT_STEP_MAX_CHARS",
    "OPTION_MAX_CHARS",
    "SUCCESS_MAX_CHARS",
    "ChecklistFields",
    "validate_checklist",
]

MAX_OPTIONS = 3  # the 2-10-3 plan discusses two or three options
OPTION_MAX_CHARS = 200
NEXT_STEP_MAX_CHARS = 300
SUCCESS_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class ChecklistFields:
    question: str
    options: tuple[str, ...]
    next_step: str
    success_indicator: str


def _one_line(field: str, value: object, limit: int, *, line_breaks: bool = True) -> str:
    if not isinstance(value, str):
        raise InputError(field, "must be text")
    check_text(field, value, allow_line_breaks=line_breaks)
    text = " ".join(value.split())
    if len(text) > limit:
        raise InputError(field, f"must be at most {limit} characters, got {len(text)}")
    return text


def validate_checklist(
    *, question: object, options: Sequence[object] | object, next_step: object, success_indicator: object
) -> ChecklistFields:
    """The fields as they will be stored. Blank options are dropped (a form has three boxes; two
    filled is the usual case); more than `MAX_OPTIONS` non-blank options is an error on `options`."""
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise InputError("options", "must be a list of up to three texts")
    cleaned = [_one_line(f"options[{i}]", option, OPTION_MAX_CHARS) for i, option in enumerate(options)]
    kept = tuple(option for option in cleaned if option)
    if len(kept) > MAX_OPTIONS:
        raise InputError("options", f"at most {MAX_OPTIONS} options, got {len(kept)}")
    return ChecklistFields(
        # One rule with booking (core.agenda.validate_question): the question is one sentence, so a tab
        # or a line break in it is refused on every surface, never folded on one and refused on another.
        question=_one_line("question", question, QUESTION_MAX_CHARS, line_breaks=False),
        options=kept,
        next_step=_one_line("next_step", next_step, NEXT_STEP_MAX_CHARS),
        success_indicator=_one_line("success_indicator", success_indicator, SUCCESS_MAX_CHARS),
    )
