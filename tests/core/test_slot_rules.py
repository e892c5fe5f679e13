"""The slot rules' one table: the docstring of core/slots.py says what `RULE_OUTCOMES` does, and the
statuses it shows are those of the error table at the HTTP boundary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import core.slots
from core.errors import Conflict, InputError, PolicyViolation
from core.slots import RULE_OUTCOMES, Rejection, Rule, rule_error
from micromentor.answers import answer_for
from policies import Policy

_ROW = re.compile(
    r"^\| `(?P<rule>[a-z_]+)`(?: / `_week` / `_month`)? \| .+ "
    r"\| (?P<error>\w+) \| (?P<status>\d{3}) \| (?P<field>.+) \|$"
)


def _documented() -> dict[str, tuple[str, int, str]]:
    rows: dict[str, tuple[str, int, str]] = {}
    for line in (core.slots.__doc__ or "").splitlines():
        found = _ROW.match(line)
        if found:
            rows[found["rule"]] = (found["error"], int(found["status"]), found["field"])
    return rows


def test_every_rule_has_one_row_and_the_row_says_what_the_code_does() -> None:
    rows = _documented()
    caps = (Rule.MAX_SESSIONS_PER_WEEK, Rule.MAX_SESSIONS_PER_MONTH)  # share the day cap's row
    assert set(rows) == {r.value for r in Rule if r not in caps}
    for rule, outcome in RULE_OUTCOMES.items():
        error, status, field = rows["max_sessions_per_day" if rule in caps else rule.value]
        raised = outcome.error(outcome.field, "x")
        assert error == outcome.error.__name__, rule
        answer = answer_for(raised)
        assert answer is not None and answer.status == status, rule
        expected_field = {"the rule": rule.value, "`day_start`/`day_end`": "day_start"}.get(field, field.strip("`"))
        assert outcome.field == expected_field, rule


def test_too_soon_and_past_the_horizon_are_policy_violations_naming_the_rule() -> None:
    policy = Policy()
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for rule in (Rule.MIN_NOTICE_MINUTES, Rule.HORIZON_DAYS):
        error = rule_error(Rejection(rule, None, "no"), start=start, policy=policy, zones={})
        assert isinstance(error, PolicyViolation) and error.rule == rule.value
    off_grid = rule_error(Rejection(Rule.SLOT_STEP_MINUTES, None, "off"), start=start, policy=policy, zones={})
    assert isinstance(off_grid, InputError) and off_grid.field == "start"
    taken = rule_error(Rejection(Rule.BUSY, "m@x", "busy"), start=start, policy=policy, zones={})
    assert isinstance(taken, Conflict) and taken.field == "start"


def test_the_day_window_names_the_end_the_start_falls_outside() -> None:
    policy = Policy(day_start=time(8), day_end=time(18))
    tokyo = {"m@x": ZoneInfo("Asia/Tokyo")}  # 09:00Z is 18:00 in Tokyo: at the end; 22:00Z is 07:00
    late = rule_error(
        Rejection(Rule.DAY_WINDOW, "m@x", "out"), start=datetime(2026, 3, 2, 9, tzinfo=UTC), policy=policy, zones=tokyo
    )
    early = rule_error(
        Rejection(Rule.DAY_WINDOW, "m@x", "out"), start=datetime(2026, 3, 1, 22, tzinfo=UTC), policy=policy, zones=tokyo
    )
    assert (late.field, early.field) == ("day_end", "day_start")
