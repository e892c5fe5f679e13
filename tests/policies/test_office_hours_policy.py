"""Office hours in the policy JSON: parsed, written back, and refused with 422 (`Unprocessable`) naming
the window when it cannot work: outside the day window, overlapping, ending before it starts, on no weekday."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from core.errors import InputError, Unprocessable
from policies import parse_policy, policy_to_json
from policies.model import OfficeWindow

ANA = "ana@contoso.example"
TUE = {"day": "Tuesday", "start": "14:00", "end": "15:00"}
THU = {"day": "thursday", "start": "14:00", "end": "15:00"}


def mentor(*windows: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"overrides": {ANA: {"office_hours": list(windows), **fields}}}


def test_office_hours_are_read_into_the_mentors_policy_and_written_back() -> None:
    policy = parse_policy(mentor(TUE, THU))
    assert policy.effective(ANA).office_hours == (
        OfficeWindow("tuesday", time(14), time(15)),
        OfficeWindow("thursday", time(14), time(15)),
    )
    assert policy.effective("someone@contoso.example").office_hours == ()
    written = policy_to_json(policy)
    assert written["office_hours"] == []
    assert written["overrides"][ANA]["office_hours"] == [
        {"day": "tuesday", "start": "14:00", "end": "15:00"},
        {"day": "thursday", "start": "14:00", "end": "15:00"},
    ]
    assert parse_policy(written) == policy


def test_windows_that_touch_are_not_overlapping() -> None:
    later = {"day": "tuesday", "start": "15:00", "end": "16:00"}
    assert len(parse_policy(mentor(TUE, later)).effective(ANA).office_hours) == 2


@pytest.mark.parametrize(
    ("windows", "fields", "field"),
    [
        # 07:30 is before the default day window 08:00-18:00.
        ([{"day": "monday", "start": "07:30", "end": "08:30"}], {}, "office_hours[0]"),
        ([TUE, {"day": "tuesday", "start": "17:30", "end": "18:30"}], {}, "office_hours[1]"),
        # The mentor's own narrower day window.
        ([TUE], {"day_end": "14:30"}, "office_hours[0]"),
        ([TUE, {"day": "tuesday", "start": "14:30", "end": "15:30"}], {}, "office_hours[1]"),
        ([TUE, THU, {"day": "TUESDAY", "start": "13:00", "end": "16:00"}], {}, "office_hours[2]"),
        ([{"day": "tuesday", "start": "15:00", "end": "15:00"}], {}, "office_hours[0].end"),
        ([{"day": "tuesday", "start": "15:00", "end": "14:00"}], {}, "office_hours[0].end"),
        ([TUE, {"day": "tues", "start": "14:00", "end": "15:00"}], {}, "office_hours[1].day"),
    ],
)
def test_windows_that_cannot_work_are_422_naming_the_window(
    windows: list[dict[str, Any]], fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(Unprocessable) as refused:
        parse_policy(mentor(*windows, **fields))
    assert refused.value.field == f"overrides.{ANA}.{field}"


def test_a_mentors_day_window_that_excludes_tenant_office_hours_names_the_day_window() -> None:
    with pytest.raises(Unprocessable) as refused:
        parse_policy({"office_hours": [TUE], "overrides": {ANA: {"day_end": "14:30"}}})
    assert refused.value.field == f"overrides.{ANA}.day_end"


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"day": "tuesday"}, "office_hours"),
        (["tuesday 14-15"], "office_hours[0]"),
        ([{"day": "tuesday", "start": "14h", "end": "15:00"}], "office_hours[0].start"),
        ([{"day": "tuesday", "start": "14:00"}], "office_hours[0].end"),
        ([{"day": 2, "start": "14:00", "end": "15:00"}], "office_hours[0].day"),
        ([{**TUE, "room": "B2"}], "office_hours[0].room"),
    ],
)
def test_malformed_office_hours_are_400_naming_the_field(value: Any, field: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_policy({"overrides": {ANA: {"office_hours": value}}})
    assert not isinstance(refused.value, Unprocessable)
    assert refused.value.field == f"overrides.{ANA}.{field}"
