"""The checklist's fields: trimmed, limits per field, blank options dropped, errors naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from core.checklist import ChecklistFields, validate_checklist
from core.errors import InputError


def fields(**changes: Any) -> ChecklistFields:
    given: dict[str, Any] = {
        "question": "How do I say no to my manager?",
        "options": ["Offer a trade-off", "Ask for priorities"],
        "next_step": "Draft the message",
        "success_indicator": "One meeting fewer next week",
    }
    given.update(changes)
    return validate_checklist(**given)


def test_text_is_trimmed_and_folded_to_one_line() -> None:
    got = fields(question="  How do I  say no?  ", options=["  a\tb ", "", "   ", "c"], next_step=" x\ny ")
    assert got == ChecklistFields("How do I say no?", ("a b", "c"), "x y", "One meeting fewer next week")


@pytest.mark.parametrize("text", ["How do I\nsay no?", "How do I\tsay no?"])
def test_the_question_is_one_sentence_as_at_booking(text: str) -> None:
    """`book --question $'a\\nb'` is refused (core.agenda.validate_question): so is the page's question."""
    with pytest.raises(InputError) as caught:
        fields(question=text)
    assert caught.value.field == "question"


def test_everything_may_be_empty_while_the_session_runs() -> None:
    assert validate_checklist(question="", options=[], next_step="", success_indicator="") == ChecklistFields(
        "", (), "", ""
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"question": "q" * 301}, "question"),
        ({"next_step": "n" * 301}, "next_step"),
        ({"success_indicator": "s" * 201}, "success_indicator"),
        ({"options": ["a", "o" * 201]}, "options[1]"),
        ({"options": ["a", "b", "c", "d"]}, "options"),
        ({"options": "a, b"}, "options"),
        ({"options": ["a", 3]}, "options[1]"),
        ({"next_step": None}, "next_step"),
        ({"question": "bell\x07"}, "question"),
        ({"success_indicator": "\ud800"}, "success_indicator"),
    ],
)
def test_refusals_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        fields(**changes)
    assert caught.value.field == field


def test_limits_are_inclusive() -> None:
    got = fields(question="q" * 300, next_step="n" * 300, success_indicator="s" * 200, options=["o" * 200] * 3)
    assert len(got.question) == 300 and len(got.options) == 3
