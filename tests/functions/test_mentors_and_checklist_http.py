"""GET /api/mentors (find a mentor by skill) and GET/PUT /api/sessions/{id}/checklist through the local host."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveApi

MAYA, RAVI, SITA, ANA = (f"{n}@contoso.example" for n in ("maya", "ravi", "sita", "ana"))
QUESTION = "How do I give feedback that lands?"


@pytest.fixture
def catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mentors.json"
    entries = [
        {"upn": MAYA, "skills": ["Giving feedback", "Negotiation"]},
        {"upn": SITA, "skills": ["Feedback  culture"]},
        {"upn": ANA, "skills": ["Public speaking"]},
        {"upn": RAVI, "skills": ["Giving feedback"]},
        {"upn": "ghost@contoso.example", "skills": ["Feedback"]},  # not in the directory: left out
    ]
    path.write_text(json.dumps(entries), encoding="utf-8")
    monkeypatch.setenv("MICROMENTOR_MENTORS_FILE", str(path))


def get(live_api: LiveApi, path: str, upn: str = RAVI) -> httpx.Response:
    return httpx.get(f"{live_api.url}/{path}", headers=live_api.auth(upn), timeout=60)


def test_mentors_by_a_few_letters_of_a_skill(live_api: LiveApi, catalogue: None) -> None:
    answer = get(live_api, "mentors?skill=FEEDB")
    assert answer.status_code == 200, answer.text
    found = answer.json()["mentors"]
    # Ravi asks, so Ravi is not offered; the ghost is not in the directory; Ana has no such skill.
    assert [m["upn"] for m in found] == [MAYA, SITA]
    assert found[0] == {
        "upn": MAYA,
        "displayName": "Maya Lind",
        "skills": ["giving feedback", "negotiation"],
        "allowedMinutes": [15, 20, 30],
    }
    assert found[1]["skills"] == ["feedback culture"]  # spaces folded, as the catalogue matches skills
    assert get(live_api, "mentors?skill=juggling").json() == {"mentors": []}
    for bad in ("mentors", "mentors?skill=%20%20", "mentors?skill=" + "x" * 61):
        refused = get(live_api, bad)
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "skill"
    assert httpx.get(f"{live_api.url}/mentors?skill=feed", timeout=30).status_code == 401


def book(live_api: LiveApi) -> dict[str, Any]:
    body = {
        "mentor": MAYA,
        "mentees": [RAVI],
        "start": datetime(2026, 12, 1, 9, 0, tzinfo=UTC).isoformat(),
        "question": QUESTION,
    }
    answer = live_api.client.post("/sessions", json=body)
    assert answer.status_code == 201, answer.text
    session: dict[str, Any] = answer.json()
    return session


def put(live_api: LiveApi, session_id: str, body: Any, upn: str = RAVI) -> httpx.Response:
    return httpx.put(
        f"{live_api.url}/sessions/{session_id}/checklist", json=body, headers=live_api.auth(upn), timeout=60
    )


def test_the_checklist_api_reads_saves_and_refuses_stale_or_bad_saves(live_api: LiveApi) -> None:
    session = book(live_api)
    first = get(live_api, f"sessions/{session['id']}/checklist")
    assert first.status_code == 200
    assert first.json() == {
        "sessionId": session["id"],
        "question": QUESTION,
        "options": [],
        "nextStep": "",
        "successIndicator": "",
        "version": 0,
        "updatedAt": None,
        "updatedBy": None,
    }
    body = {
        "question": QUESTION,
        "options": ["Ask first", " ", "Use an example"],
        "nextStep": "Try it on Thursday",
        "successIndicator": "They ask a follow-up",
        "version": 0,
    }
    saved = put(live_api, session["id"], body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1 and saved.json()["options"] == ["Ask first", "Use an example"]
    assert saved.json()["updatedBy"] == RAVI and saved.json()["updatedAt"] == "2026-11-30T00:00:00Z"
    by_maya = put(live_api, session["id"], {**body, "nextStep": "Maya's step", "version": 1}, MAYA)
    assert by_maya.status_code == 200 and by_maya.json()["version"] == 2
    stale = put(live_api, session["id"], {**body, "nextStep": "Ravi's late step", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["field"] == "version"
    assert get(live_api, f"sessions/{session['id']}/checklist").json()["nextStep"] == "Maya's step"

    cases: list[tuple[dict[str, Any], str]] = [
        ({**body, "version": 2, "nextStep": "x" * 301}, "nextStep"),
        ({**body, "version": 2, "successIndicator": "x" * 201}, "successIndicator"),
        ({**body, "version": 2, "options": ["a", "b", "c", "d"]}, "options"),
        ({**body, "version": 2, "options": ["a", "x" * 201]}, "options[1]"),
        ({**body, "version": 2, "options": "a, b"}, "options"),
        ({**body, "version": "2"}, "version"),
        ({**body, "colour": "red"}, "colour"),
    ]
    for bad, field in cases:
        refused = put(live_api, session["id"], bad)
        assert refused.status_code == 400 and refused.json()["error"]["field"] == field, (field, refused.text)
    assert put(live_api, session["id"], {**body, "version": 2}, ANA).status_code == 403  # not in the session
    assert get(live_api, "sessions/nope/checklist").status_code == 404
