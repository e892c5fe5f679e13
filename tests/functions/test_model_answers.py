"""Answers are written through their models (functions/model_answers.py): the JSON the services write
goes out unchanged when it agrees with the model, keys the service left out stay out, a key the model
does not declare is dropped and logged, a value of the wrong type is refused."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from core.model import Session, SessionState
from core.series import Series, SeriesState, StopReason
from functions.model_answers import model_body
from functions.schemas import GroupAnswer, GroupSummary, SeriesAnswer, SessionAnswer, SlotsAnswer
from services.booking import session_to_json
from services.groups import group_to_json
from services.series import series_to_json

MAYA, RAVI, SITA = (f"{n}@contoso.example" for n in ("maya", "ravi", "sita"))
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
END = datetime(2026, 12, 1, 10, 20, tzinfo=UTC)
MADE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

SESSION = Session(
    id="s-1", mentor=MAYA, mentees=(RAVI,), start=START, end=END, question="How do I scope a spike?",
    created_at=MADE, event_id="ev-1", join_url="https://teams.example/l/1", series_id="r-1",
)  # fmt: skip
GROUP = Session(
    id="g-1", mentor=MAYA, mentees=(RAVI,), start=START, end=END, question="", created_at=MADE,
    topic="Estimating", seats=3, join_url="https://teams.example/l/2",
)  # fmt: skip


def test_a_session_goes_out_as_the_service_wrote_it() -> None:
    written = model_body(SessionAnswer, session_to_json(SESSION))
    assert written == {
        "id": "s-1",
        "eventId": "ev-1",
        "joinUrl": "https://teams.example/l/1",
        "start": "2026-12-01T10:00:00Z",
        "end": "2026-12-01T10:20:00Z",
        "minutes": 20,
        "mentor": MAYA,
        "mentees": [RAVI],
        "attendees": [MAYA, RAVI],
        "question": "How do I scope a spike?",
        "topic": None,  # null, not left out: the contract always names it
        "state": "scheduled",
        "stateReason": None,
        "missing": [],
        "requestId": None,
        "seriesId": "r-1",
        "createdAt": "2026-11-30T09:00:00Z",
    }
    cancelled = Session(**{**_fields(SESSION), "state": SessionState.CANCELLED, "state_reason": "ill"})
    assert model_body(SessionAnswer, session_to_json(cancelled))["state"] == "cancelled"


def _fields(session: Session) -> dict[str, Any]:
    return {name: getattr(session, name) for name in Session.__dataclass_fields__}


def test_slots_leave_out_what_the_service_left_out() -> None:
    body = {
        "slots": [
            {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T10:15:00Z"},
            {"start": "2026-12-01T11:00:00Z", "end": "2026-12-01T11:15:00Z", "why": "earliest in Ravi's morning"},
        ],
        "searched": {"from": "2026-11-30T00:00:00Z", "to": "2026-12-14T00:00:00Z"},
    }
    written = model_body(SlotsAnswer, body)
    assert written == body  # no "why": "" on the plain slot, no "reasons": [], no "officeHours": ""
    none = {"slots": [], "searched": body["searched"], "reasons": ["Maya is away"], "officeHours": "Tue 14-15"}
    assert model_body(SlotsAnswer, none) == none


def test_a_series_with_and_without_its_sessions() -> None:
    series = Series(
        id="r-1", mentor=MAYA, mentee=RAVI, minutes=20, anchor=START, question="q", created_at=MADE,
        created_by=RAVI, count=4, state=SeriesState.STOPPED, stop_reason=StopReason.STOPPED_BY_MENTEE,
        stopped_by=RAVI, stopped_at=MADE, session_ids=("s-1",), skipped=(2,),
    )  # fmt: skip
    bare = model_body(SeriesAnswer, series_to_json(series))
    assert "sessions" not in bare  # the stop route answers without them
    assert (bare["state"], bare["stopReason"], bare["stoppedAt"], bare["skippedOccurrences"]) == (
        "stopped",
        "stopped_by_mentee",
        "2026-11-30T09:00:00Z",
        [2],
    )
    assert (bare["intervalDays"], bare["bookAheadDays"], bare["firstStart"]) == (14, None, "2026-12-01T10:00:00Z")
    full = model_body(SeriesAnswer, series_to_json(series, [SESSION]))
    assert full == series_to_json(series, [SESSION]) and full["sessions"][0]["id"] == "s-1"


def test_a_group_session_for_its_people_and_for_anyone_holding_its_link() -> None:
    link = {"url": "https://mm.example/api/group-links/t", "token": "t"}
    published = model_body(GroupAnswer, {**group_to_json(GROUP), "link": link})
    assert published == {
        "id": "g-1",
        "topic": "Estimating",
        "start": "2026-12-01T10:00:00Z",
        "end": "2026-12-01T10:20:00Z",
        "seatsLeft": 2,
        "mentor": MAYA,
        "minutes": 20,
        "seats": 3,
        "mentees": [RAVI],
        "joinUrl": "https://teams.example/l/2",
        "state": "scheduled",
        "link": link,
    }
    summary = {k: v for k, v in group_to_json(GROUP).items() if k not in ("mentees", "joinUrl")}
    assert model_body(GroupSummary, {**summary, "expires": "2026-12-01T10:00:00Z"})["expires"] == (
        "2026-12-01T10:00:00Z"
    )


def test_a_key_the_model_does_not_declare_is_left_out_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    body = {**session_to_json(SESSION), "secretNote": "x"}
    slots = {
        "slots": [{"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T10:15:00Z", "score": 3}],
        "searched": {"from": "2026-11-30T00:00:00Z", "to": "2026-12-14T00:00:00Z"},
    }
    with caplog.at_level(logging.ERROR, logger="functions.model_answers"):
        assert model_body(SessionAnswer, body) == session_to_json(SESSION)
        assert model_body(SlotsAnswer, slots)["slots"] == [
            {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T10:15:00Z"}
        ]
    assert [r.getMessage() for r in caplog.records] == [
        "SessionAnswer does not declare secretNote: left out of the answer",
        "SlotsAnswer does not declare slots[0].score: left out of the answer",
    ]


@pytest.mark.parametrize(
    "change",
    [{"minutes": "20"}, {"state": "postponed"}, {"mentees": RAVI}, {"createdAt": None}],
)
def test_a_value_the_model_does_not_allow_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model_body(SessionAnswer, {**session_to_json(SESSION), **change})
    with pytest.raises(ValidationError):  # and a required key left out
        model_body(SessionAnswer, {k: v for k, v in session_to_json(SESSION).items() if k != "mentor"})
