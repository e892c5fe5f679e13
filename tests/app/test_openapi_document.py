"""docs/openapi.json is generated (`python -m micromentor.openapi`) from the routes function_app.py registers
and the models of functions/schemas.py: the committed document must be the generated one, and it must
describe every route, HTML pages and their forms included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from micromentor.openapi import OPERATIONS, document, registered_routes, render

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"


def test_the_committed_document_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/openapi.json is stale: run `python -m micromentor.openapi > docs/openapi.json`"
    )


def test_every_registered_route_and_method_is_described_and_nothing_else() -> None:
    paths = json.loads(COMMITTED.read_text(encoding="utf-8"))["paths"]
    described = {(path[1:], method.upper()) for path, item in paths.items() for method in item}
    assert described == registered_routes() == set(OPERATIONS)
    # The routes the hand-kept document had left out (issue 15).
    for path, method in [
        ("/answers/{token}", "get"),
        ("/answers/{token}", "post"),
        ("/session-page/{token}", "get"),
        ("/session-page/{token}", "post"),
        ("/mentors", "get"),
        ("/sessions/{id}/checklist", "put"),
        ("/addin/{folder}/{file}", "get"),
    ]:
        assert method in paths[path], (path, method)


def _schema(doc: dict[str, Any], ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    resolved: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def test_html_pages_answer_text_html_and_forms_name_their_fields() -> None:
    doc = document()
    page = doc["paths"]["/session-page/{token}"]["post"]
    form = page["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["do"] and form["properties"]["do"]["enum"] == ["checklist", "cancel", "move"]
    assert set(form["properties"]) == {
        "do", "version", "question", "option1", "option2", "option3", "next_step", "success_indicator", "confirm",
        "start",
    }  # fmt: skip
    assert page["security"] == [] and set(page["responses"]["409"]["content"]) == {"text/html"}
    answer = doc["paths"]["/answers/{token}"]["post"]
    fields = answer["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert set(fields) == {"choice", "note", "next_step", "success_indicator"}
    assert all("anyOf" not in field for field in fields.values())  # a form field is there or not, never null
    assert set(doc["paths"]["/answers/{token}"]["get"]["responses"]["410"]["content"]) == {"text/html"}


def test_bodies_queries_and_answers_are_the_models() -> None:
    doc = document()
    booking = doc["paths"]["/sessions"]["post"]
    body = _schema(doc, booking["requestBody"]["content"]["application/json"]["schema"])
    assert body["additionalProperties"] is False
    assert set(body["required"]) == {"mentor", "mentees", "start", "question"}
    assert body["properties"]["mentees"]["maxItems"] == 19  # services.slots.MAX_MENTEES: one getSchedule call
    assert body["properties"]["start"]["format"] == "date-time"
    assert booking["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SessionAnswer"
    }
    assert booking["responses"]["422"] == {"$ref": "#/components/responses/PolicyViolation"}
    slots = {p["name"]: p for p in doc["paths"]["/slots"]["get"]["parameters"]}
    assert slots["mentee"]["schema"]["type"] == "array" and slots["mentee"]["required"] is True
    assert slots["limit"]["schema"] == {"maximum": 100, "minimum": 1, "type": "integer"}
    checklist = _schema(
        doc, doc["paths"]["/sessions/{id}/checklist"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    )
    assert set(checklist["properties"]) == {"question", "options", "nextStep", "successIndicator", "version"}
    error = doc["components"]["schemas"]["ErrorDetail"]
    assert set(error["required"]) == {"code", "message"} and "field" in error["properties"]
