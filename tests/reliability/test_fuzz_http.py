"""Fuzz the HTTP routes from their OpenAPI description (docs/openapi.json): never a 500.

Bodies come from the request schemas (valid-looking) and from arbitrary JSON and bytes (anything).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LiveApi

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
SCHEMAS = OPENAPI["components"]["schemas"]
people = st.sampled_from(["maya@contoso.example", "ravi@contoso.example", "ana@contoso.example", "", "x"])
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The part of JSON Schema our OpenAPI document uses, as a Hypothesis strategy (hypothesis-jsonschema
    does not run on current Hypothesis releases)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = {name: from_schema(sub) for name, sub in schema.get("properties", {}).items()}
        required = {name: properties[name] for name in schema.get("required", [])}
        optional = {name: strategy for name, strategy in properties.items() if name not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "array":
        items = from_schema(schema.get("items", {}))
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 5), 5))
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**31)), schema.get("maximum", 2**31))
    if schema.get("format") == "date-time":
        moments = st.datetimes(
            min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
            max_value=datetime(2027, 12, 31),  # noqa: DTZ001
            timezones=st.just(UTC),
        )
        return moments.map(lambda m: m.isoformat())
    if schema.get("format") == "email":
        return people
    return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 400))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
session_bodies = from_schema(SCHEMAS["SessionRequest"]) | st.fixed_dictionaries(
    {
        "mentor": people,
        "mentees": st.lists(people, max_size=3),
        "start": st.text(max_size=25),
        "question": st.text(max_size=20),
    }
)


def assert_clean(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert error["code"] and error["message"]


@FUZZ
@given(body=session_bodies | json_values, key=st.none() | st.text(st.characters(min_codepoint=32, max_codepoint=126)))
def test_post_sessions_never_500(live_api: LiveApi, body: Any, key: str | None) -> None:
    headers = {"Idempotency-Key": key} if key else {}
    assert_clean(live_api.client.post("/sessions", json=body, headers=headers, timeout=60))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_post_sessions_with_any_bytes_never_500(live_api: LiveApi, raw: bytes) -> None:
    answer = live_api.client.post("/sessions", content=raw, headers={"Content-Type": "application/json"})
    assert_clean(answer)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["mentor", "mentee", "minutes", "limit", "now", "other"]), st.text(max_size=30), max_size=5
    )
)
def test_get_slots_never_500(live_api: LiveApi, params: dict[str, str]) -> None:
    assert_clean(live_api.client.get("/slots", params=params, timeout=60))


@FUZZ
@given(
    session_id=st.text(
        st.characters(min_codepoint=0xA1, max_codepoint=0x2FFF) | st.characters(min_codepoint=33, max_codepoint=126),
        min_size=1,
        max_size=40,
    ).filter(lambda t: not set(t) & set("/?#%\\") and t not in (".", "..")),
    body=json_values,
)
def test_session_routes_never_500(live_api: LiveApi, session_id: str, body: Any) -> None:
    assert_clean(live_api.client.get(f"/sessions/{session_id}"))
    assert_clean(live_api.client.post(f"/sessions/{session_id}/cancel", json=body, timeout=60))


@FUZZ
@given(body=json_values)
def test_notifications_never_500(live_api: LiveApi, body: Any) -> None:
    assert_clean(live_api.client.post("/notifications", json=body))
