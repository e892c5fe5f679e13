"""What an outcome mail says about a session booked without a topic: the mentor is not told "your topic"."""

from __future__ import annotations

import pytest

from services.outcome_catalogue import render_message
from store.outbox import MessageKind


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "Would you do another micro session on the question you discussed?"),
        ("fr", "Referiez-vous une micro-session sur la question abordée ?"),
    ],
)
def test_a_session_without_topic_names_the_question_discussed(language: str, subject: str) -> None:
    mail = render_message(
        MessageKind.MENTOR_FOLLOWUP, language, links={"yes": "https://mm.example/a"}, topic=None, mentor="Maya", days=7
    )
    assert mail.subject == subject
    assert "your topic" not in mail.html and "votre sujet" not in mail.html


def test_a_topic_is_named_and_escaped() -> None:
    mail = render_message(
        MessageKind.MENTOR_FOLLOWUP,
        "en",
        links={"yes": "https://mm.example/a"},
        topic="<SQL> joins",
        mentor="Maya",
        days=7,
    )
    assert mail.subject == "Would you do another micro session on <SQL> joins?"
    assert "&lt;SQL&gt; joins" in mail.html and "<SQL>" not in mail.html
