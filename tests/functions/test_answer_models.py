"""The answer models of functions/schemas.py (and so docs/openapi.json) are what the routes really answer:
each JSON answer of a walk through the API reads as its model, strictly, with no field the model leaves
out (clock: Monday 30 Nov 2026 00:00Z; Maya mentors, Ravi is a mentee, Lena an admin)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from functions import schemas
from tests.conftest import LiveApi

MAYA, RAVI, LENA = (f"{n}@contoso.example" for n in ("maya", "ravi", "lena"))


def undeclared(model: BaseModel, where: str = "") -> list[str]:
    """Every key of the answer that its model (or a nested model) does not declare."""
    found = [f"{where}{key}" for key in model.model_extra or {}]
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, BaseModel):
                found += undeclared(item, f"{where}{name}[{i}]." if isinstance(value, list) else f"{where}{name}.")
    return found


def reads_as(model: type[BaseModel], answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    parsed = model.model_validate_json(answer.text, strict=True)
    assert undeclared(parsed) == [], f"{model.__name__} leaves out {undeclared(parsed)}"
    return answer.json()


def test_every_json_answer_of_a_walk_through_the_api_is_its_model(
    live_api: LiveApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="functions.model_answers")
    url, maya, admin = live_api.url, live_api.auth(MAYA), live_api.auth(LENA, "Mentoring.Admin")

    def call(method: str, path: str, headers: dict[str, str] = maya, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{url}/{path}", headers=headers, timeout=60, **kwargs)

    reads_as(schemas.HealthAnswer, call("GET", "health", {}))
    slots = reads_as(schemas.SlotsAnswer, call("GET", "slots", params={"mentor": MAYA, "mentee": RAVI, "limit": "2"}))
    booking = {"mentor": MAYA, "mentees": [RAVI], "start": slots["slots"][0]["start"], "question": "How to scope?"}
    session = reads_as(schemas.SessionAnswer, call("POST", "sessions", json=booking), 201)
    reads_as(schemas.SessionAnswer, call("GET", f"sessions/{session['id']}"))
    checklist = reads_as(schemas.ChecklistAnswer, call("GET", f"sessions/{session['id']}/checklist"))
    saved = {"question": "Which spike?", "options": ["a", "b"], "version": checklist["version"]}
    reads_as(schemas.ChecklistAnswer, call("PUT", f"sessions/{session['id']}/checklist", json=saved))
    reads_as(schemas.LinkAnswer, call("POST", "links", json={"mentor": MAYA, "mentee": RAVI}), 201)
    group = {"mentor": MAYA, "topic": "Estimating", "start": "2026-12-01T13:00:00Z", "seats": 2}
    published = reads_as(schemas.GroupAnswer, call("POST", "groups", json=group), 201)
    reads_as(schemas.GroupSummary, call("GET", f"group-links/{published['link']['token']}", {}))
    reads_as(schemas.GroupAnswer, call("POST", f"groups/{published['id']}/join", live_api.auth(RAVI)))
    reads_as(schemas.OfficeHoursAnswer, call("GET", f"mentors/{MAYA}/office-hours"))
    reads_as(schemas.PolicyStateAnswer, call("GET", "admin/policy", admin))
    reads_as(schemas.PolicyHistoryAnswer, call("GET", "admin/policy/history", admin))
    reads_as(schemas.DoctorAnswer, call("GET", "admin/doctor", admin))
    request = {"skill": "estimating", "question": "How do I estimate?", "mentors": [MAYA]}
    reads_as(schemas.RequestAnswer, call("POST", "requests", live_api.auth(RAVI), json=request), 201)
    reads_as(schemas.SessionAnswer, call("POST", f"sessions/{session['id']}/cancel", json={"comment": "ill"}))
    refused = reads_as(schemas.Error, call("POST", "sessions", json={**booking, "minutes": "15"}), 400)
    assert refused["error"] == {"code": "invalid_field", "message": "must be a whole number", "field": "minutes"}
    # Every answer above went out through its model: none had a key the model leaves out (those are dropped
    # from the answer and logged, so the walk reads the log; functions/model_answers.py).
    assert [r.getMessage() for r in caplog.records if r.name == "functions.model_answers"] == []
