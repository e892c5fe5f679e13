"""core.xapi: the statements a completed session gives, checked by hand and by `xapi-validation`."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InputError
from core.model import Participant, Session, SessionState
from core.xapi import XapiConfig, activity_id, completed_statements, iso_duration, statement_id
from tests.learning.conftest import Validator

CONFIG = XapiConfig(
    activity_base="https://mm.example.com/xapi/", account_home_page="https://login.microsoftonline.com/tenant-1"
)
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def session(**changes: object) -> Session:
    base = Session(
        id="s-1",
        mentor="Mia@Contoso.com",
        mentees=("ann@contoso.com", "bo@contoso.com"),
        start=START,
        end=START + timedelta(minutes=30),
        question="How do I group by month?",
        created_at=START - timedelta(days=2),
        state=SessionState.COMPLETED,
        topic="Pivot tables",
        people=(Participant("Mia@Contoso.com", "oid-mia"), Participant("ann@contoso.com", "oid-ann")),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_one_statement_per_mentee_with_account_or_mbox() -> None:
    ann, bo = completed_statements(session(), CONFIG)
    assert ann["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://login.microsoftonline.com/tenant-1", "name": "oid-ann"},
    }
    assert bo["actor"] == {"objectType": "Agent", "mbox": "mailto:bo@contoso.com"}  # no object id known
    for statement in (ann, bo):
        assert statement["verb"] == {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        }
        assert statement["object"] == {
            "objectType": "Activity",
            "id": "https://mm.example.com/xapi/micro-mentoring/pivot%20tables",
            "definition": {
                "name": {"en-US": "micro mentoring: Pivot tables"},
                "type": "http://adlnet.gov/expapi/activities/meeting",
            },
        }
        assert statement["result"] == {"completion": True, "duration": "PT30M"}
        assert statement["timestamp"] == "2026-11-20T10:30:00Z"
        assert statement["context"]["instructor"]["account"]["name"] == "oid-mia"
        assert statement["context"]["extensions"] == {"https://mm.example.com/xapi/extensions/session-id": "s-1"}
        assert uuid.UUID(statement["context"]["registration"]).version == 5
    assert ann["context"]["registration"] == bo["context"]["registration"]  # one session, one registration


def test_statement_ids_are_stable_per_session_and_mentee() -> None:
    first = [s["id"] for s in completed_statements(session(), CONFIG)]
    again = [s["id"] for s in completed_statements(session(topic="Renamed"), CONFIG)]
    assert first == again  # the id names session + mentee, not the content
    assert first[0] == statement_id("s-1", "ANN@contoso.com ")
    assert first[0] != first[1]
    assert statement_id("s-2", "ann@contoso.com") != first[0]
    assert all(uuid.UUID(i).version == 5 for i in first)


def test_only_completed_sessions_give_statements() -> None:
    for state in (
        SessionState.SCHEDULED,
        SessionState.NO_SHOW,
        SessionState.CANCELLED,
        SessionState.PENDING_ATTENDANCE,
    ):
        assert completed_statements(session(state=state), CONFIG) == []


def test_skill_from_the_request_names_the_activity_else_topic_else_general() -> None:
    [statement, _] = completed_statements(session(), CONFIG, skill="Excel")
    assert statement["object"]["id"] == "https://mm.example.com/xapi/micro-mentoring/excel"
    assert statement["object"]["definition"]["name"] == {"en-US": "micro mentoring: Excel"}
    [statement, _] = completed_statements(session(topic=None), CONFIG)
    assert statement["object"]["id"] == "https://mm.example.com/xapi/micro-mentoring/general"
    assert activity_id(CONFIG, "C#/.NET") == "https://mm.example.com/xapi/micro-mentoring/c%23%2F.net"


def test_without_an_account_home_page_everyone_is_named_by_mailbox() -> None:
    ann, _ = completed_statements(session(), XapiConfig("https://mm.example.com/xapi"))
    assert ann["actor"] == {"objectType": "Agent", "mbox": "mailto:ann@contoso.com"}
    assert ann["context"]["instructor"] == {"objectType": "Agent", "mbox": "mailto:mia@contoso.com"}


def test_durations_are_iso_8601() -> None:
    assert iso_duration(timedelta(minutes=30)) == "PT30M"
    assert iso_duration(timedelta(hours=1, minutes=5)) == "PT1H5M"
    assert iso_duration(timedelta(seconds=45)) == "PT45S"
    assert iso_duration(timedelta(hours=2, seconds=1)) == "PT2H1S"
    assert iso_duration(timedelta(0)) == "PT0S"


def test_config_refuses_a_base_that_is_not_an_http_iri() -> None:
    with pytest.raises(InputError) as caught:
        XapiConfig("mm.example.com/xapi")
    assert caught.value.field == "activity_base"


def test_every_statement_passes_the_external_validator(xapi_problems: Validator) -> None:
    statements = [
        *completed_statements(session(), CONFIG),
        *completed_statements(
            session(id="s-2", topic=None, end=START + timedelta(minutes=15)), CONFIG, "Ünïcode & more"
        ),
        *completed_statements(session(id="s-3", people=()), XapiConfig("http://127.0.0.1:7071/xapi")),
    ]
    assert len(statements) == 6
    assert xapi_problems(statements) == [[]] * 6


def test_the_external_validator_does_flag_a_broken_statement(xapi_problems: Validator) -> None:
    # The control: the validator is really looking (a mailbox without mailto:, a duration that is not ISO).
    [statement, _] = completed_statements(session(), CONFIG)
    broken = {**statement, "actor": {"mbox": "ann@contoso.com"}, "result": {"duration": "30 minutes"}}
    [problems] = xapi_problems([broken])
    paths = {p["path"] for p in problems}
    assert "statement.actor.mbox" in paths
    assert "statement.result.duration" in paths
