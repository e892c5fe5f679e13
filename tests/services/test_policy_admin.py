"""The admin policy use case on a real SQLite store; the last test shows a saved policy changing the next
slot search through `Runtime.tenant_policy()` against the emulator (Maya in London, Ravi in India:
shared hours Mon-Thu 08:00-12:30Z, see tests/services/test_booking.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.errors import Conflict, InputError
from graph.config import GraphSettings
from micromentor.bootstrap import Runtime
from micromentor.settings import Settings
from policies import TenantPolicy, parse_policy
from services.policy_admin import (
    PolicyState,
    parse_if_match,
    policy_history,
    policy_state_to_json,
    read_policy,
    replace_policy,
)
from services.slots import SlotQuery, search_slots
from store import open_store
from store.base import Store
from tests.conftest import POLICY_FILE

ADMIN = "ana@contoso.example"
OTHER_ADMIN = "maya@contoso.example"
WHEN = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'mm.db'}")


def replace(
    store: Store, data: Any, *, by: str = ADMIN, when: datetime = WHEN, expected: int | None = None
) -> PolicyState:
    return asyncio.run(replace_policy(store, data, changed_by=by, now=when, expected_version=expected))


def test_nothing_saved_reads_as_version_zero_with_the_defaults(store: Store) -> None:
    state = asyncio.run(read_policy(store, TenantPolicy()))
    body = policy_state_to_json(state)
    assert (body["version"], body["changedBy"], body["changedAt"]) == (0, None, None)
    assert body["policy"]["session_minutes"] == 15
    assert body["policy"]["allowed_session_minutes"] == [15, 20, 30]
    assert body["policy"]["day_start"] == "08:00" and body["policy"]["no_meeting_days"] == []
    assert body["policy"]["overrides"] == {}
    assert state.etag == '"0"'


def test_nothing_saved_shows_the_policy_file(store: Store) -> None:
    from_file = parse_policy(json.loads(POLICY_FILE.read_text(encoding="utf-8")))
    state = asyncio.run(read_policy(store, from_file))
    assert state.version == 0
    assert state.policy["no_meeting_days"] == ["friday"]
    assert state.policy["overrides"] == {"ana@contoso.example": {"max_sessions_per_week": 3}}


def test_a_saved_policy_is_the_next_version_normalised_with_who_and_when(store: Store) -> None:
    saved = replace(
        store,
        {
            "day_start": "09:00:00",
            "no_meeting_days": ["Friday"],
            "overrides": {"Ravi@Contoso.example": {"buffer_minutes": 10}},
        },
    )
    assert (saved.version, saved.changed_by, saved.changed_at) == (1, ADMIN, WHEN)
    read = asyncio.run(read_policy(store, TenantPolicy()))
    assert read == saved
    assert read.policy["day_start"] == "09:00"
    assert read.policy["no_meeting_days"] == ["friday"]
    assert read.policy["overrides"] == {"ravi@contoso.example": {"buffer_minutes": 10}}
    assert read.policy["session_minutes"] == 15  # unspecified fields take their defaults
    assert policy_state_to_json(read)["changedAt"] == "2026-11-30T10:00:00Z"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"overrides": {"ana@contoso.example": {"max_sessions_per_week": "five"}}},
            "overrides.ana@contoso.example.max_sessions_per_week",
        ),
        ({"horizon_days": 90}, "horizon_days"),
        ({"allowed_session_minutes": [15, True]}, "allowed_session_minutes[1]"),
        ({"lunch_break": True}, "lunch_break"),
        (["not", "an", "object"], "policy"),
    ],
)
def test_an_invalid_policy_names_the_field_and_saves_nothing(store: Store, data: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        replace(store, data)
    assert caught.value.field == field
    assert store.policy_history() == []


def test_if_match_refuses_a_stale_version(store: Store) -> None:
    assert replace(store, {"buffer_minutes": 10}, expected=0).version == 1
    with pytest.raises(Conflict) as caught:
        replace(store, {"buffer_minutes": 0}, by=OTHER_ADMIN, expected=0)
    assert caught.value.field == "If-Match"
    assert "version 1, not 0" in caught.value.message
    assert replace(store, {"buffer_minutes": 0}, by=OTHER_ADMIN, expected=1).version == 2
    assert replace(store, {"buffer_minutes": 15}).version == 3  # without If-Match: last writer wins


def test_concurrent_saves_from_one_version_let_exactly_one_through(store: Store) -> None:
    async def race() -> list[Any]:
        saves = [
            replace_policy(
                store, {"buffer_minutes": i}, changed_by=f"admin{i}@contoso.example", now=WHEN, expected_version=0
            )
            for i in range(10)
        ]
        return await asyncio.gather(*saves, return_exceptions=True)

    outcomes = asyncio.run(race())
    assert sum(isinstance(o, PolicyState) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 9
    assert [v.version for v in store.policy_history()] == [1]


def test_history_lists_every_version_newest_first(store: Store) -> None:
    replace(store, {"buffer_minutes": 10})
    replace(store, {"buffer_minutes": 0}, by=OTHER_ADMIN, when=WHEN + timedelta(hours=1))
    history = asyncio.run(policy_history(store))
    assert [(h.version, h.changed_by, h.changed_at) for h in history] == [
        (2, OTHER_ADMIN, WHEN + timedelta(hours=1)),
        (1, ADMIN, WHEN),
    ]
    assert [h.policy["buffer_minutes"] for h in history] == [0, 10]


@pytest.mark.parametrize(
    ("header", "version"), [(None, None), ("", None), ("*", None), ("3", 3), ('"3"', 3), ('W/"12"', 12), (" 0 ", 0)]
)
def test_if_match_values(header: str | None, version: int | None) -> None:
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ["three", '"-1"', "1.5", '"1", "2"', "9" * 12])
def test_a_malformed_if_match_is_a_400(header: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_if_match(header)
    assert caught.value.field == "If-Match"


def test_a_saved_policy_changes_the_next_search(graph_settings: GraphSettings, tmp_path: Path) -> None:
    rt = Runtime(Settings(graph=graph_settings, store_url=f"sqlite:///{tmp_path / 'rt.db'}"))
    query = SlotQuery(
        mentor="maya@contoso.example", mentees=("ravi@contoso.example",), now=datetime(2026, 11, 30, tzinfo=UTC)
    )

    async def first_slot() -> datetime:
        answer = await search_slots(rt.graph, rt.tenant_policy(), query)
        return answer.slots[0].start

    async def scenario() -> tuple[datetime, datetime]:
        try:
            before = await first_slot()
            await replace_policy(
                rt.store,
                {"overrides": {"maya@contoso.example": {"no_meeting_days": ["monday"]}}},
                changed_by=ADMIN,
                now=WHEN,
            )
            return before, await first_slot()
        finally:
            await rt.aclose()

    before, after = asyncio.run(scenario())
    assert before == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday, the first shared minute
    assert after == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Maya now takes no sessions on Mondays
