"""Automatic booking from requests, through the real adapters: msgraph-sdk against the emulator seeded
with tests/data/onboarding-tenant.json, SQLite in a temp folder, the catalogue onboarding-mentors.json.

People (winter: Paris and Berlin are UTC+1, London UTC, India UTC+5:30, Seattle UTC-8):
- Camille, mentee, Paris, Mon-Fri 09:00-17:00 = 08:00-16:00Z; busy Tue 1 Dec 08:00-10:00Z (workshop).
- Ben, Berlin, 09:00-17:00 = 08:00-16:00Z, stand-up every weekday 08:00-08:30Z. With the 5-minute
  buffer his first slot with Camille is 08:45Z.
- Dora, Berlin, 08:00-16:00Z, free. Kiran, India, 10:00-19:00 IST = 04:30-13:30Z (day window
  08:00-18:00 IST = 02:30-12:30Z), a "Focus time" hold shown as free Tue 08:00-09:00Z.
- Lena, London, 09:00-17:00Z, busy Wed 2 Dec 09:00-11:00Z. Pat, Seattle, 17:00-01:00Z: no overlap.
The catalogue tags Ben, Camille, Dora, Kiran and Lena with "python", Pat with "sales".
Now is Monday 30 Nov 06:00Z; two hours' notice makes 08:00Z the earliest start.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.errors import Conflict, InputError, NotFound
from core.metrics import CapLimits, compute_report
from core.model import Session
from graph.config import GraphSettings
from graph.errors import GraphUnavailable
from graph.gateway import GraphGateway
from policies import TenantPolicy, parse_policy
from services.requests import (
    CatalogueError,
    MentorCatalogue,
    NoSessionBooked,
    RequestInput,
    RequestOutcome,
    Unmet,
    load_catalogue,
    parse_catalogue,
    submit_request,
)
from store import open_store
from store.base import Store
from tests.conftest import DATA, Admin, with_graph

T = TypeVar("T")
EMULATOR_SEED = DATA / "onboarding-tenant.json"  # the emulator fixture's tenant (tests/conftest.py)
CATALOGUE_FILE = DATA / "onboarding-mentors.json"
CAMILLE, BEN, DORA, KIRAN, LENA, PAT = (
    f"{name}@contoso.example" for name in ("camille", "ben", "dora", "kiran", "lena", "pat")
)
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
URL = "http://127.0.0.1:7071"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 30, hour, minute, tzinfo=UTC) + timedelta(days=day)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(f"sqlite:///{tmp_path / 'mm.db'}")
    # Dora already mentors someone on Thursday: she is the most loaded python mentor.
    opened.add_session(
        Session(
            id="dora-busy",
            mentor=DORA,
            mentees=("someone@contoso.example",),
            start=at(3, 9),
            end=at(3, 9, 15),
            question="How do I profile a slow query?",
            created_at=NOW - timedelta(days=1),
        )
    )
    return opened


@pytest.fixture
def catalogue() -> MentorCatalogue:
    return load_catalogue(CATALOGUE_FILE)


def ask(**changes: Any) -> RequestInput:
    values: dict[str, Any] = {
        "mentee": CAMILLE,
        "skill": "Python",
        "question": "How should I structure my first Python service?",
        "sessions": 3,
    }
    values.update(changes)
    return RequestInput(**values)


def submit(
    graph_settings: GraphSettings,
    store: Store,
    catalogue: MentorCatalogue,
    data: RequestInput,
    policy: TenantPolicy | None = None,
) -> RequestOutcome:
    async def body(graph: GraphGateway) -> RequestOutcome:
        return await submit_request(graph, store, policy or TenantPolicy(), catalogue, data, now=NOW, public_url=URL)

    return with_graph(graph_settings, body)


def booked(outcome: RequestOutcome) -> list[tuple[str, datetime]]:
    return [(s.mentor, s.start) for s in outcome.sessions]


def mentoring_events(admin: Admin, upn: str) -> list[dict[str, Any]]:
    """Micro mentoring meetings on someone's calendar (the organizer's copy or the invitation)."""
    state = admin.get("/state")
    [user] = [u for u in state["users"] if u["userPrincipalName"] == upn]
    return [e for e in user["events"] if str(e.get("subject", "")).startswith("Micro mentoring:")]


def test_onboarding_books_three_least_loaded_mentors_on_three_days(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue, admin: Admin
) -> None:
    outcome = submit(graph_settings, store, catalogue, ask())

    # Ben, Kiran and Lena have no sessions, Dora has one: Dora is left out, and Camille (also tagged
    # python) is never her own mentor. Ben first (ties by UPN): Monday 08:45Z after his stand-up.
    # Kiran: Monday is taken by Ben's session, so the first slot on a new day, Tuesday, after Camille's
    # workshop (10:00Z; Kiran's focus hold ended 09:00Z). Lena: Wednesday, after planning + buffer.
    assert booked(outcome) == [(BEN, at(0, 8, 45)), (KIRAN, at(1, 10)), (LENA, at(2, 11, 15))]
    assert outcome.created and outcome.unmet == ()
    request = outcome.request
    assert (request.mentee, request.skill, request.sessions_wanted, request.created_at) == (CAMILLE, "Python", 3, NOW)
    assert store.get_request(request.id) == request
    for session in outcome.sessions:
        assert session.request_id == request.id and session.event_id and session.join_url
        assert session.minutes == 15 and session.mentees == (CAMILLE,) and session.topic == "Python"
        assert NOW + timedelta(hours=2) <= session.start < NOW + timedelta(days=14)
    assert len(mentoring_events(admin, CAMILLE)) == 3

    # No cap broken: one session per mentor per day and week, against 3 and 5.
    stored = [s for s in store.list_sessions() if s.request_id == request.id]
    per_day = Counter((s.mentor, s.start.date()) for s in stored)
    assert max(per_day.values()) == 1

    report = compute_report(
        sessions=store.list_sessions(),
        requests=store.list_requests(),
        period_from=at(0, 0),
        period_to=at(7, 0),
        caps=CapLimits(3, 5, 12),
    )
    [wait] = report.time_to_first_session.requests
    # Asked Monday 06:00Z, first session Monday 08:45Z: 165 minutes.
    assert (wait.request_id, wait.minutes) == (request.id, 165.0)
    assert report.time_to_first_session.median_minutes == 165.0


def test_a_mentor_without_a_slot_is_skipped_for_the_next_least_loaded(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue
) -> None:
    policy = parse_policy({"overrides": {KIRAN: {"max_sessions_per_week": 0}}})
    outcome = submit(graph_settings, store, catalogue, ask(), policy)
    # Kiran is paused; Lena takes Tuesday (10:00Z, after Camille's workshop), Dora Wednesday 08:00Z.
    assert booked(outcome) == [(BEN, at(0, 8, 45)), (LENA, at(1, 10)), (DORA, at(2, 8))]
    assert outcome.unmet == (Unmet(KIRAN, "mentor weekly cap reached"),)


def test_named_mentors_are_booked_in_the_order_given(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue
) -> None:
    outcome = submit(graph_settings, store, catalogue, ask(mentors=(LENA.upper(), BEN), sessions=2))
    # Lena first: Monday 09:00Z, her day's start. Ben on a new day: Tuesday, after Camille's workshop.
    assert booked(outcome) == [(LENA, at(0, 9)), (BEN, at(1, 10))]
    assert outcome.request.mentors == (LENA, BEN)


def test_one_session_goes_to_the_least_loaded_mentor_at_the_earliest_slot(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue
) -> None:
    outcome = submit(graph_settings, store, catalogue, ask(sessions=None, skill="  public   SPEAKING "))
    assert booked(outcome) == [(LENA, at(0, 9))]
    assert outcome.request.skill == "public SPEAKING" and outcome.request.sessions_wanted == 1


def test_an_unknown_mentor_is_a_404_naming_it_and_records_nothing(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue
) -> None:
    with pytest.raises(NotFound) as caught:
        submit(graph_settings, store, catalogue, ask(mentors=(BEN, "nobody@contoso.example"), sessions=2))
    assert caught.value.field == "mentors[1]" and "nobody@contoso.example" in caught.value.message
    assert store.list_requests() == []


def test_an_unknown_mentee_is_a_404(graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue) -> None:
    with pytest.raises(NotFound) as caught:
        submit(graph_settings, store, catalogue, ask(mentee="ghost@contoso.example"))
    assert caught.value.field == "mentee"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sessions": 4}, "sessions"),
        ({"sessions": 0}, "sessions"),
        ({"sessions": True}, "sessions"),
        ({"mentors": (BEN,), "sessions": 2}, "sessions"),
        ({"mentors": (CAMILLE,)}, "mentors[0]"),
        ({"mentors": (BEN, "Ben@contoso.example"), "sessions": 2}, "mentors[1]"),
        ({"skill": "   "}, "skill"),
        ({"skill": "x" * 121}, "skill"),
        ({"skill": "py\x00thon"}, "skill"),
        ({"question": ""}, "question"),
        ({"minutes": 25}, "minutes"),
        ({"mentee": " "}, "mentee"),
        ({"idempotency_key": "k" * 201}, "Idempotency-Key"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    changes: dict[str, Any], field: str, store: Store, catalogue: MentorCatalogue
) -> None:
    # Checked before any Graph call: a Graph nobody listens at is never contacted.
    offline = GraphSettings("t", "c", "s", graph_url="https://127.0.0.1:9/v1.0", authority="https://127.0.0.1:9/t")
    with pytest.raises(InputError) as caught:
        submit(offline, store, catalogue, ask(**changes))
    assert caught.value.field == field
    assert store.list_requests() == []


def test_no_slot_with_the_named_mentor_is_a_422_with_the_reason_and_the_request_waits(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue
) -> None:
    with pytest.raises(NoSessionBooked) as caught:
        submit(graph_settings, store, catalogue, ask(mentors=(PAT,), sessions=1, skill="sales"))
    outcome = caught.value.outcome
    assert outcome.sessions == ()
    assert outcome.unmet == (Unmet(PAT, "no overlap of working hours"),)
    assert caught.value.rule == "mentors"
    # The ask is on record: it counts as waiting in time to first session.
    report = compute_report(
        sessions=store.list_sessions(),
        requests=store.list_requests(),
        period_from=at(0, 0),
        period_to=at(7, 0),
        caps=CapLimits(3, 5, 12),
    )
    assert report.time_to_first_session.waiting == 1


def test_a_skill_nobody_has_is_a_422(graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue) -> None:
    with pytest.raises(NoSessionBooked) as caught:
        submit(graph_settings, store, catalogue, ask(skill="COBOL"))
    assert caught.value.outcome.unmet == (Unmet(None, "no mentor in the catalogue lists the skill 'COBOL'"),)


def test_fewer_mentors_than_sessions_books_what_it_can_and_says_so(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue
) -> None:
    outcome = submit(graph_settings, store, catalogue, ask(skill="code review"))
    assert booked(outcome) == [(BEN, at(0, 8, 45))]
    assert outcome.unmet == (Unmet(None, "booked 1 of 3 sessions: no other mentor had a free slot"),)


def test_the_same_key_again_books_nothing_new_and_another_body_conflicts(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue, admin: Admin
) -> None:
    first = submit(graph_settings, store, catalogue, ask(idempotency_key="ask-1"))
    again = submit(graph_settings, store, catalogue, ask(idempotency_key="ask-1"))
    assert first.created and not again.created
    assert again.request == first.request
    assert [s.id for s in again.sessions] == [s.id for s in first.sessions]
    assert len(store.list_requests()) == 1
    assert len(mentoring_events(admin, CAMILLE)) == 3
    with pytest.raises(Conflict) as caught:
        submit(graph_settings, store, catalogue, ask(idempotency_key="ask-1", sessions=2))
    assert caught.value.field == "Idempotency-Key"


def test_a_retry_after_graph_failed_midway_finishes_the_request_without_duplicates(
    graph_settings: GraphSettings, store: Store, catalogue: MentorCatalogue, admin: Admin
) -> None:
    admin.fault(method="POST", path=r"/users/kiran[^/]*/events$", status=503, retryAfter=0)
    with pytest.raises(GraphUnavailable):
        submit(graph_settings, store, catalogue, ask(idempotency_key="ask-2"))
    half = sorted((s for s in store.list_sessions() if s.request_id), key=lambda s: s.start)
    assert [(s.mentor, s.event_id is not None) for s in half] == [(BEN, True), (KIRAN, False)]
    admin.delete("/faults")

    outcome = submit(graph_settings, store, catalogue, ask(idempotency_key="ask-2"))
    assert not outcome.created
    assert booked(outcome) == [(BEN, at(0, 8, 45)), (KIRAN, at(1, 10)), (LENA, at(2, 11, 15))]
    assert [s.id for s in outcome.sessions[:2]] == [s.id for s in half]
    assert all(s.event_id for s in outcome.sessions)
    assert len(mentoring_events(admin, CAMILLE)) == 3
    assert len(mentoring_events(admin, KIRAN)) == 1


# --- catalogue and body parsing (no Graph) ----------------------------------------------------------


def test_the_catalogue_matches_skills_ignoring_case_and_spacing(catalogue: MentorCatalogue) -> None:
    assert catalogue.with_skill("PYTHON") == (BEN, CAMILLE, DORA, KIRAN, LENA)
    assert catalogue.with_skill("Public Speaking") == (LENA,)
    assert catalogue.with_skill("cobol") == ()
    assert load_catalogue(None) == MentorCatalogue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"upn": "a@b"}, "catalogue: expected a JSON list of mentors"),
        (["a@b"], "catalogue[0]: expected an object with upn and skills"),
        ([{"skills": []}], "catalogue[0].upn: required, as a user principal name"),
        ([{"upn": "a@b", "skills": "python"}], "catalogue[0].skills: required, as a list of non-empty strings"),
        ([{"upn": "a@b", "skills": []}, {"upn": "A@b", "skills": []}], "catalogue[1].upn: a@b is listed twice"),
    ],
)
def test_a_malformed_catalogue_names_the_entry(data: Any, message: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(data)
    # A Misconfigured error: the setting at fault, then what is wrong with the file.
    assert (caught.value.setting, caught.value.message) == ("MICROMENTOR_MENTORS_FILE", message)


def test_an_unreadable_catalogue_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(CatalogueError):
        load_catalogue(broken)
    fine = tmp_path / "fine.json"
    fine.write_text(json.dumps([{"upn": BEN, "skills": ["go"]}]), encoding="utf-8")
    assert load_catalogue(fine).with_skill("go") == (BEN,)
