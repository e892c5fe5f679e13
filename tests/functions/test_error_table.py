"""The one error table: every error under `MicromentorError` has an answer that is not a 500, and the
HTTP boundary and the CLI both answer by it."""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil

import azure.functions as func
import pytest

from core.errors import (
    Conflict,
    IdempotencyInProgress,
    InputError,
    MicromentorError,
    Misconfigured,
    NotFound,
    PolicyViolation,
)
from functions.http import respond
from graph.errors import GraphError, GraphNotFound, GraphThrottled, GraphUnavailable
from identity.errors import Forbidden, IdentityUnavailable, Unauthorized
from identity.obo import OnBehalfOfError
from micromentor.answers import ERROR_ANSWERS, answer_for
from micromentor.cli import main
from services.booking import SlotTaken
from services.links import LinkExpired, LinkInvalid
from services.requests import CatalogueError
from store.base import SessionNotFound

# Every production package: an error class defined anywhere in them is found by the walk below.
PACKAGES = (
    "core",
    "policies",
    "graph",
    "store",
    "services",
    "functions",
    "identity",
    "micromentor",
    "reporting",
    "telemetry",
)


def _import_everything() -> None:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if not module.name.endswith(".__main__"):  # runs its command on import
                importlib.import_module(module.name)


def _subclasses(root: type[MicromentorError]) -> list[type[MicromentorError]]:
    found: list[type[MicromentorError]] = []
    for sub in root.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_every_error_under_the_root_has_an_answer_that_is_not_a_500() -> None:
    _import_everything()
    errors = _subclasses(MicromentorError)
    # The ones this branch folded in must be among them (else the walk found nothing to hold).
    for expected in (SessionNotFound, LinkInvalid, LinkExpired, SlotTaken, CatalogueError, GraphThrottled, Forbidden):
        assert expected in errors
    unmapped = []
    for kind in errors:
        answer = next((ERROR_ANSWERS[k] for k in kind.__mro__ if k in ERROR_ANSWERS), None)
        if answer is None or not 400 <= answer.status < 600 or answer.status == 500:
            unmapped.append(f"{kind.__module__}.{kind.__qualname__}: {answer}")
        elif answer.exit_code not in (1, 2):
            unmapped.append(f"{kind.__qualname__}: exit code {answer.exit_code}")
    assert unmapped == []


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InputError("start", "x"), 400, "invalid_field"),
        (LinkInvalid("tampered", "x"), 400, "invalid_field"),
        (NotFound("mentor", "x"), 404, "not_found"),
        (SessionNotFound("s1"), 404, "not_found"),
        (GraphNotFound("x"), 404, "not_found"),
        (Conflict("start", "x"), 409, "conflict"),
        (SlotTaken("x", []), 409, "conflict"),
        (IdempotencyInProgress("x"), 409, "idempotency_in_progress"),
        (PolicyViolation("horizon_days", "x"), 422, "policy_violation"),
        (Misconfigured("MICROMENTOR_X", "x"), 503, "misconfigured"),
        (CatalogueError("x"), 503, "misconfigured"),
        (Unauthorized("x"), 401, "unauthorized"),
        (Forbidden("x"), 403, "forbidden"),
        (IdentityUnavailable("x"), 503, "identity_unavailable"),
        (OnBehalfOfError("x"), 502, "identity_error"),
        (GraphUnavailable("x", status=503), 503, "graph_unavailable"),
        (GraphThrottled("x", status=429), 429, "graph_unavailable"),
        (GraphError("x", status=400), 502, "graph_error"),
    ],
)
def test_the_nearest_listed_ancestor_answers(error: MicromentorError, status: int, code: str) -> None:
    answer = answer_for(error)
    assert answer is not None
    assert (answer.status, answer.code) == (status, code)


def _answer(error: Exception) -> func.HttpResponse:
    async def fail() -> func.HttpResponse:
        raise error

    return asyncio.run(respond(fail))


def test_session_not_found_is_a_404_naming_the_id_not_a_500() -> None:
    answer = _answer(SessionNotFound("abc"))
    assert answer.status_code == 404
    assert json.loads(answer.get_body()) == {"error": {"code": "not_found", "message": "no session abc", "field": "id"}}


def test_slot_taken_carries_its_alternatives_beside_the_error() -> None:
    alternatives = [{"start": "2026-03-02T10:00:00Z", "end": "2026-03-02T10:15:00Z"}]
    answer = _answer(SlotTaken("the slot is no longer free", alternatives))
    assert answer.status_code == 409
    assert json.loads(answer.get_body()) == {
        "error": {"code": "conflict", "message": "the slot is no longer free", "field": "start"},
        "alternatives": alternatives,
    }


def test_retry_after_comes_from_the_error_else_from_the_table() -> None:
    assert _answer(GraphThrottled("busy", status=429, retry_after=7.2)).headers["Retry-After"] == "8"
    assert _answer(GraphUnavailable("down", status=503)).headers["Retry-After"] == "30"
    assert _answer(IdempotencyInProgress("wait", retry_after=2)).headers["Retry-After"] == "2"


def test_misconfigured_hides_its_setting_from_callers() -> None:
    answer = _answer(CatalogueError("mentors.json: not JSON"))
    body = json.loads(answer.get_body())
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "300"
    assert body["error"]["code"] == "misconfigured" and "mentors.json" not in body["error"]["message"]
    assert "field" not in body["error"]


def test_identity_errors_carry_their_challenge() -> None:
    answer = _answer(Unauthorized("the token expired"))
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert json.loads(answer.get_body())["error"]["field"] == "Authorization"
    assert json.loads(_answer(Forbidden("not yours", field="mentor")).get_body())["error"]["field"] == "mentor"


def test_anything_else_is_a_500_without_details() -> None:
    answer = _answer(KeyError("secret"))
    assert answer.status_code == 500
    assert "secret" not in answer.get_body().decode()


def test_the_cli_takes_its_exit_codes_from_the_same_table(capsys: pytest.CaptureFixture[str]) -> None:
    # A bad --now is an InputError, raised before anything else is read: exit 2 and one line.
    code = main(["book", "--mentor", "m@x", "--start", "2026-03-02T09:00:00Z", "--question", "q?", "--now", "nope"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("micromentor: --now: ") and err.count("\n") == 1
