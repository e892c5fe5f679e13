"""The policy model: defaults, JSON round trip, overrides and validation errors naming the field."""

from __future__ import annotations

import copy
import json
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputError
from policies import POLICY_FIELDS, Policy, TenantPolicy, parse_policy, policy_to_json

# tests/data/policy.json is the spec's examples/policy.json, copied into the repository.
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "policy.json"

# The table of policy.md, copied by hand.
SPEC_DEFAULTS: dict[str, Any] = {
    "session_minutes": 15,
    "allowed_session_minutes": [15, 20, 30],
    "slot_step_minutes": 15,
    "min_notice_minutes": 120,
    "horizon_days": 14,
    "buffer_minutes": 5,
    "day_start": "08:00",
    "day_end": "18:00",
    "respect_working_hours": True,
    "no_meeting_days": [],
    "tentative_is_busy": True,
    "focus_markers": ["Focus time", "Focus", "Deep work"],
    "max_sessions_per_day": 3,
    "max_sessions_per_week": 5,
    "max_sessions_per_month": 12,
    "completion_min_ratio": 0.66,
    "checkin_after_days": 7,
    "message_window": None,
}


def _example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text()) if EXAMPLE.exists() else {}
    if not data:
        pytest.skip("shared example policy not available")
    return data


def test_defaults_are_those_of_the_spec() -> None:
    policy = Policy()
    assert policy.day_start == time(8, 0) and policy.day_end == time(18, 0)
    assert policy.allowed_session_minutes == (15, 20, 30)
    assert policy.focus_markers == ("Focus time", "Focus", "Deep work")
    assert policy.no_meeting_days == () and policy.no_meeting_weekdays == frozenset()
    # office_hours is ours (issue 16), not policy.md's: empty means the whole day window.
    assert policy_to_json(TenantPolicy()) == {**SPEC_DEFAULTS, "office_hours": [], "max_group_size": 6, "overrides": {}}
    assert set(POLICY_FIELDS) == {*SPEC_DEFAULTS, "office_hours", "max_group_size"}


def test_empty_object_is_all_defaults() -> None:
    assert parse_policy({}) == TenantPolicy()
    assert parse_policy({}).effective("anyone@contoso.example") == Policy()


def test_example_policy_parses_with_anas_override() -> None:
    tenant = parse_policy(_example())
    assert tenant.base.no_meeting_days == ("friday",)
    assert tenant.base.no_meeting_weekdays == frozenset({4})
    assert tenant.base.max_sessions_per_week == 5
    ana = tenant.effective("ana@contoso.example")
    assert ana.max_sessions_per_week == 3
    # every other field stays the tenant's
    assert ana.buffer_minutes == 5 and ana.no_meeting_days == ("friday",)
    assert tenant.effective("ravi@contoso.example") == tenant.base


def test_override_lookup_ignores_case_and_spaces() -> None:
    tenant = parse_policy({"overrides": {"Ana@Contoso.Example": {"buffer_minutes": 10}}})
    assert list(tenant.overrides) == ["ana@contoso.example"]
    assert tenant.effective(" ANA@contoso.example ").buffer_minutes == 10


def test_round_trip_of_the_example_and_of_a_full_policy() -> None:
    tenant = parse_policy(_example())
    text = policy_to_json(tenant)
    assert parse_policy(json.loads(json.dumps(text))) == tenant
    assert policy_to_json(parse_policy(text)) == text
    assert text["overrides"] == {"ana@contoso.example": {"max_sessions_per_week": 3}}

    full = {
        "session_minutes": 30,
        "allowed_session_minutes": [30, 10],
        "slot_step_minutes": 10,
        "min_notice_minutes": 0,
        "horizon_days": 62,
        "buffer_minutes": 0,
        "day_start": "07:30",
        "day_end": "23:59",
        "respect_working_hours": False,
        "no_meeting_days": ["Saturday", "sunday"],
        "tentative_is_busy": False,
        "focus_markers": [],
        "max_sessions_per_day": 0,
        "max_sessions_per_week": 0,
        "max_sessions_per_month": 0,
        "completion_min_ratio": 1,
        "overrides": {"sita@contoso.example": {"day_start": "09:15", "no_meeting_days": ["friday"]}},
    }
    tenant = parse_policy(full)
    assert tenant.base.no_meeting_days == ("saturday", "sunday")
    assert tenant.base.completion_min_ratio == 1.0
    text = policy_to_json(tenant)
    assert text["no_meeting_days"] == ["saturday", "sunday"]  # stored lower-case
    assert text["completion_min_ratio"] == 1.0
    assert text["overrides"] == {"sita@contoso.example": {"day_start": "09:15", "no_meeting_days": ["friday"]}}
    assert parse_policy(text) == tenant
    sita = tenant.effective("sita@contoso.example")
    assert sita.day_start == time(9, 15) and sita.day_end == time(23, 59)


def test_seconds_of_zero_are_tolerated_in_times() -> None:
    assert parse_policy({"day_start": "08:00:00"}).base.day_start == time(8, 0)


def test_parsing_does_not_change_the_input() -> None:
    data = _example()
    before = copy.deepcopy(data)
    parse_policy(data)
    assert data == before


def _field_of(data: Any) -> str:
    with pytest.raises(InputError) as caught:
        parse_policy(data)
    return caught.value.field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "policy"),
        (None, "policy"),
        ({"max_session_per_week": 3}, "max_session_per_week"),  # unknown (typo)
        ({"max_sessions_per_week": True}, "max_sessions_per_week"),  # bool is not an int
        ({"max_sessions_per_week": 3.0}, "max_sessions_per_week"),
        ({"max_sessions_per_week": "3"}, "max_sessions_per_week"),
        ({"max_sessions_per_week": -1}, "max_sessions_per_week"),
        ({"max_sessions_per_week": 501}, "max_sessions_per_week"),
        ({"max_sessions_per_day": 101}, "max_sessions_per_day"),
        ({"max_sessions_per_month": -3}, "max_sessions_per_month"),
        ({"session_minutes": 25}, "session_minutes"),  # not in allowed_session_minutes
        ({"session_minutes": 0}, "session_minutes"),
        ({"allowed_session_minutes": [15, "20"]}, "allowed_session_minutes[1]"),
        ({"allowed_session_minutes": [15, 0]}, "allowed_session_minutes[1]"),
        ({"allowed_session_minutes": [15, 15]}, "allowed_session_minutes[1]"),
        ({"allowed_session_minutes": [15, 481]}, "allowed_session_minutes[1]"),
        ({"allowed_session_minutes": []}, "allowed_session_minutes"),
        ({"allowed_session_minutes": 15}, "allowed_session_minutes"),
        ({"allowed_session_minutes": [30], "session_minutes": 15}, "session_minutes"),
        ({"slot_step_minutes": 0}, "slot_step_minutes"),
        ({"slot_step_minutes": 7}, "slot_step_minutes"),  # 1440 % 7 != 0
        ({"slot_step_minutes": 1441}, "slot_step_minutes"),
        ({"min_notice_minutes": -5}, "min_notice_minutes"),
        ({"min_notice_minutes": 43201}, "min_notice_minutes"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": 63}, "horizon_days"),
        ({"horizon_days": False}, "horizon_days"),
        ({"buffer_minutes": -1}, "buffer_minutes"),
        ({"buffer_minutes": 241}, "buffer_minutes"),
        ({"day_start": "8:00"}, "day_start"),
        ({"day_start": "24:00"}, "day_start"),
        ({"day_start": "08:60"}, "day_start"),
        ({"day_start": 800}, "day_start"),
        ({"day_end": "08:00:30"}, "day_end"),
        ({"day_end": "24:00"}, "day_end"),
        ({"day_end": "08:00"}, "day_end"),  # == day_start
        ({"day_start": "19:00"}, "day_end"),  # day_end (18:00) is no longer later
        ({"respect_working_hours": "yes"}, "respect_working_hours"),
        ({"tentative_is_busy": 1}, "tentative_is_busy"),
        ({"no_meeting_days": ["friday", "funday"]}, "no_meeting_days[1]"),
        ({"no_meeting_days": ["friday", "Friday"]}, "no_meeting_days[1]"),
        ({"no_meeting_days": [5]}, "no_meeting_days[0]"),
        ({"no_meeting_days": "friday"}, "no_meeting_days"),
        ({"focus_markers": ["Focus", "  "]}, "focus_markers[1]"),
        ({"focus_markers": ["Focus", None]}, "focus_markers[1]"),
        ({"focus_markers": ["x" * 101]}, "focus_markers[0]"),
        ({"focus_markers": "Focus"}, "focus_markers"),
        ({"completion_min_ratio": 0}, "completion_min_ratio"),
        ({"completion_min_ratio": 1.01}, "completion_min_ratio"),
        ({"completion_min_ratio": -0.5}, "completion_min_ratio"),
        ({"completion_min_ratio": True}, "completion_min_ratio"),
        ({"completion_min_ratio": "0.5"}, "completion_min_ratio"),
        ({"completion_min_ratio": float("nan")}, "completion_min_ratio"),
        ({"overrides": []}, "overrides"),
        ({"overrides": {"": {}}}, "overrides"),
        ({"overrides": {"ana@contoso.example": 3}}, "overrides.ana@contoso.example"),
        (
            {"overrides": {"ana@contoso.example": {"buffer_minutes": -5}}},
            "overrides.ana@contoso.example.buffer_minutes",
        ),
        (
            {"overrides": {"Ana@Contoso.example": {"buffer_minutes": True}}},
            "overrides.ana@contoso.example.buffer_minutes",
        ),
        ({"overrides": {"ana@contoso.example": {"colour": "red"}}}, "overrides.ana@contoso.example.colour"),
        (
            {"overrides": {"ana@contoso.example": {"overrides": {}}}},
            "overrides.ana@contoso.example.overrides",
        ),
        (
            {"overrides": {"ana@contoso.example": {}, "ANA@contoso.example": {}}},
            "overrides.ana@contoso.example",
        ),
        (
            {"overrides": {"ana@contoso.example": {"allowed_session_minutes": [15, 20, "x"]}}},
            "overrides.ana@contoso.example.allowed_session_minutes[2]",
        ),
        # cross-field rules on the merged policy name the field the override set
        (
            {"overrides": {"ana@contoso.example": {"session_minutes": 45}}},
            "overrides.ana@contoso.example.session_minutes",
        ),
        (
            {"session_minutes": 30, "overrides": {"ana@contoso.example": {"allowed_session_minutes": [15]}}},
            "overrides.ana@contoso.example.allowed_session_minutes",
        ),
        (
            {"overrides": {"ana@contoso.example": {"day_start": "18:30"}}},
            "overrides.ana@contoso.example.day_start",
        ),
        (
            {"overrides": {"ana@contoso.example": {"day_end": "07:00"}}},
            "overrides.ana@contoso.example.day_end",
        ),
    ],
)
def test_invalid_policies_name_the_field(data: Any, field: str) -> None:
    assert _field_of(data) == field


def test_error_message_is_readable() -> None:
    with pytest.raises(InputError) as caught:
        parse_policy({"horizon_days": 100})
    assert str(caught.value) == "horizon_days: must be between 1 and 62, got 100"


def test_valid_edges_are_accepted() -> None:
    tenant = parse_policy(
        {
            "slot_step_minutes": 1440,
            "min_notice_minutes": 43200,
            "horizon_days": 1,
            "buffer_minutes": 240,
            "day_start": "00:00",
            "day_end": "00:01",
            "completion_min_ratio": 0.0001,
            "no_meeting_days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        }
    )
    assert tenant.base.no_meeting_weekdays == frozenset(range(7))
    assert tenant.base.slot_step_minutes == 1440


def test_policy_validates_when_built_in_code() -> None:
    with pytest.raises(InputError) as caught:
        Policy(buffer_minutes=-1)
    assert caught.value.field == "buffer_minutes"
    with pytest.raises(InputError) as caught:
        Policy(no_meeting_days=("Friday",))  # code must pass normalised names
    assert caught.value.field == "no_meeting_days[0]"
    with pytest.raises(InputError) as caught:
        Policy(allowed_session_minutes=[15, 20, 30])  # type: ignore[arg-type]
    assert caught.value.field == "allowed_session_minutes"


def test_tenant_policy_built_in_code_validates_and_freezes_overrides() -> None:
    overrides = {"Ana@contoso.example": {"max_sessions_per_day": 1}}
    tenant = TenantPolicy(Policy(), overrides)
    overrides["Ana@contoso.example"]["max_sessions_per_day"] = 99  # later changes do not leak in
    assert tenant.effective("ana@contoso.example").max_sessions_per_day == 1
    with pytest.raises(TypeError):
        tenant.overrides["x"] = {}  # type: ignore[index]
    with pytest.raises(InputError) as caught:
        TenantPolicy(Policy(), {"ana@contoso.example": {"max_sessions_per_day": -1}})
    assert caught.value.field == "overrides.ana@contoso.example.max_sessions_per_day"


# --- outcome messages: checkin_after_days and message_window -------------------------------------------


def test_outcome_message_fields_round_trip() -> None:
    tenant = parse_policy({"checkin_after_days": 10, "message_window": {"start": "09:30", "end": "16:00"}})
    assert tenant.base.checkin_after_days == 10
    assert tenant.base.message_window == (time(9, 30), time(16, 0))
    text = policy_to_json(tenant)
    assert text["message_window"] == {"start": "09:30", "end": "16:00"}
    assert parse_policy(text) == tenant
    assert parse_policy({"message_window": None}).base.message_window is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"checkin_after_days": 0}, "checkin_after_days"),
        ({"checkin_after_days": 61}, "checkin_after_days"),
        ({"checkin_after_days": True}, "checkin_after_days"),
        ({"checkin_after_days": "7"}, "checkin_after_days"),
        ({"message_window": "09:00-17:00"}, "message_window"),
        ({"message_window": {"start": "9am", "end": "17:00"}}, "message_window.start"),
        ({"message_window": {"start": "09:00"}}, "message_window.end"),
        ({"message_window": {"start": "17:00", "end": "09:00"}}, "message_window.end"),
        ({"message_window": {"start": "09:00", "end": "09:00"}}, "message_window.end"),
        ({"message_window": {"start": "09:00", "end": "17:00", "tz": "UTC"}}, "message_window.tz"),
        # The day window is 08:00-18:00 by default: a message window after it (or before it) lets nothing out.
        ({"message_window": {"start": "18:00", "end": "20:00"}}, "message_window"),
        ({"day_start": "10:00", "day_end": "12:00", "message_window": {"start": "13:00", "end": "14:00"}},
         "message_window"),
        ({"overrides": {"ana@contoso.example": {"checkin_after_days": 0}}},
         "overrides.ana@contoso.example.checkin_after_days"),
    ],
)
def test_outcome_message_fields_name_the_bad_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_policy(data)
    assert caught.value.field == field
