"""Inputs an attack run sent: each is a 4xx whose error names the field, never a 500 (issue #12)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from functions.http import MAX_JSON_DEPTH, nesting_depth
from tests.conftest import LiveApi

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
ADMIN = "lena@contoso.example"


def booking(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mentor": MAYA,
        "mentees": [RAVI],
        "start": "2026-11-30T09:00:00Z",
        "minutes": 15,
        "question": "How do I scope a spike?",
    }
    body.update(changes)
    return body


def raw_json(body: dict[str, Any]) -> bytes:
    """JSON text as a client sends it: `\\ud800` stays an escape (httpx's encoder would refuse it)."""
    return json.dumps(body, ensure_ascii=True).encode()


def refused(answer: httpx.Response, status: int, field: str) -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["field"] == field and error["code"] and error["message"], error


def deep(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def test_nesting_depth_ignores_brackets_inside_strings() -> None:
    assert nesting_depth('{"a": "[[[[{{{{", "b": [[1]], "c": "\\"["}') == 3
    assert nesting_depth(deep(MAX_JSON_DEPTH + 1).decode()) == MAX_JSON_DEPTH + 1


def test_deep_json_is_a_400_on_every_json_route(live_api: LiveApi) -> None:
    admin = live_api.auth(ADMIN, "Mentoring.Admin")
    for depth in (MAX_JSON_DEPTH + 1, 5_000, 30_000):
        body = b'{"mentor": ' + deep(depth) + b"}"
        refused(live_api.client.post("/sessions", content=body), 400, "body")
        refused(live_api.client.put("/admin/policy", content=body, headers=admin), 400, "body")
        refused(live_api.client.post("/notifications", content=body, headers={"Authorization": ""}), 400, "body")
        refused(live_api.client.post("/requests", content=body), 400, "body")
        refused(live_api.client.post("/links", content=body), 400, "body")


@pytest.mark.parametrize(
    "body",
    [
        b'{"value": [{"x": ' + b"9" * 5_000 + b"}]}",  # beyond Python's 4,300-digit integer limit
        b'{"value": [{"x": NaN}]}',
        b'{"value": [{"x": -Infinity}]}',
        b'{"value": [], "value": [{"subscriptionId": "x"}]}',  # a repeated key
    ],
)
def test_json_python_would_read_but_json_does_not_allow_is_a_400(live_api: LiveApi, body: bytes) -> None:
    refused(live_api.client.post("/notifications", content=body, headers={"Authorization": ""}), 400, "body")
    for path in ("/sessions", "/requests", "/links"):  # signed in as Maya
        refused(live_api.client.post(path, content=body), 400, "body")


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:00:00Z",
        "9999-12-31T23:59:59.999999+00:00",
    ],
)
def test_out_of_range_times_are_400_naming_the_field(live_api: LiveApi, start: str) -> None:
    refused(live_api.client.post("/sessions", json=booking(start=start)), 400, "start")
    slots = {"mentor": MAYA, "mentee": RAVI, "now": start}
    refused(live_api.client.get("/slots", params=slots), 400, "now")
    admin = live_api.auth(ADMIN, "Mentoring.Admin")
    refused(live_api.client.get("/admin/report", params={"from": start}, headers=admin), 400, "from")
    refused(live_api.client.get("/admin/report", params={"to": start}, headers=admin), 400, "to")


def test_lone_surrogates_are_400_naming_the_field_and_leave_the_slot_free(live_api: LiveApi) -> None:
    client = live_api.client
    for field in ("question", "topic"):
        answer = client.post("/sessions", content=raw_json(booking(**{field: "why \ud800?"})))
        refused(answer, 400, field)
    refused(client.post("/sessions", content=raw_json(booking(mentees=["\udfff"]))), 400, "mentees[0]")
    forged = {"value": [{"subscriptionId": "s\ud800", "clientState": "c", "resource": "users/x/events/1"}]}
    anonymous = {"Authorization": ""}
    refused(client.post("/notifications", content=raw_json(forged), headers=anonymous), 400, "value[0].subscriptionId")
    forged["value"][0] = {"subscriptionId": "s", "clientState": "\udbff"}
    refused(client.post("/notifications", content=raw_json(forged), headers=anonymous), 400, "value[0].clientState")
    # Nothing was claimed: the slot is still bookable.
    assert client.post("/sessions", json=booking(), timeout=60).status_code == 201


@pytest.mark.parametrize("topic", ["Python\u0000", "a\tb", "line\nbreak", "bell\u0007", "c1\u0085"])
def test_topic_refuses_control_characters_like_the_question(live_api: LiveApi, topic: str) -> None:
    refused(live_api.client.post("/sessions", json=booking(topic=topic)), 400, "topic")
    refused(live_api.client.post("/sessions", json=booking(question=f"Why {topic}?")), 400, "question")


def test_control_characters_in_people_and_keys_are_400(live_api: LiveApi) -> None:
    client = live_api.client
    refused(client.post("/sessions", json=booking(mentor="maya\u0000@contoso.example")), 400, "mentor")
    refused(client.get("/slots", params={"mentor": MAYA, "mentee": "ravi\u0001@contoso.example"}), 400, "mentee")
    answer = client.post("/requests", json={"skill": "Python\u0000", "question": "How?"})
    refused(answer, 400, "skill")


def test_query_numbers_are_ascii_digits_and_validation_tokens_are_short(live_api: LiveApi) -> None:
    for odd in ("\uff11\uff15", "15_0", " 15", "1" * 7):  # fullwidth 15, an underscore, a space, too long
        refused(live_api.client.get("/slots", params={"mentor": MAYA, "mentee": RAVI, "minutes": odd}), 400, "minutes")
    long = live_api.client.post("/notifications", params={"validationToken": "x" * 2000}, headers={"Authorization": ""})
    refused(long, 400, "validationToken")
    echoed = live_api.client.post("/notifications", params={"validationToken": "<b>hi</b>"})
    assert echoed.text == "<b>hi</b>" and echoed.headers["x-content-type-options"] == "nosniff"
