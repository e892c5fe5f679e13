"""A request whose length a mentor's policy refuses is a 400 on `minutes`, and nothing is stored (review of
issue 14: it was a 422 `policy_violation` on `mentors`, with the request stored and counted as waiting)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from graph.config import GraphSettings
from policies import parse_policy
from services.requests import load_catalogue
from store import open_store
from tests.conftest import DATA
from tests.services.test_requests import BEN, CAMILLE, CATALOGUE_FILE, DORA, ask, submit

# Nobody listens here: the length is refused before any Graph call.
OFFLINE = GraphSettings("t", "c", "s", graph_url="https://127.0.0.1:9/v1.0", authority="https://127.0.0.1:9/t")


def test_a_named_mentor_who_allows_30_only_refuses_15_before_anything_is_stored(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'mm.db'}")
    policy = parse_policy({"overrides": {BEN: {"allowed_session_minutes": [30], "session_minutes": 30}}})
    with pytest.raises(InputError) as caught:
        submit(OFFLINE, store, load_catalogue(CATALOGUE_FILE), ask(mentors=(BEN,), sessions=1, minutes=15), policy)
    assert caught.value.field == "minutes"
    assert BEN in caught.value.message and "(30)" in caught.value.message
    assert store.list_requests() == []


def test_catalogue_mentors_who_all_refuse_the_length_are_a_400(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'mm.db'}")
    catalogue = load_catalogue(DATA / "onboarding-mentors.json")
    thirty = {"allowed_session_minutes": [30], "session_minutes": 30}
    python_mentors = [m for m in catalogue.with_skill("python") if m != CAMILLE]
    assert DORA in python_mentors and BEN in python_mentors
    policy = parse_policy({"overrides": {m: thirty for m in python_mentors}})
    with pytest.raises(InputError) as caught:
        submit(OFFLINE, store, catalogue, ask(sessions=1, minutes=20), policy)
    assert caught.value.field == "minutes"
    assert store.list_requests() == []
