"""The `store.base.Store` contract, run against every backend (see the `store` fixture in conftest).

SQLite (file and in-memory) always runs; Table Storage runs when MICROMENTOR_TEST_TABLES is set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.errors import Conflict, InputError
from core.model import MentoringRequest, Participant, Session, SessionState
from store.base import IdempotencyRecord, PolicyVersion, SessionNotFound, Store

Concurrently = Callable[[int, Callable[[int], Any]], list[Any]]

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime(2024, 5, 6, tzinfo=UTC)  # a Monday; Paris is UTC+2 (summer time) on that day


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def session(
    session_id: str,
    mentor: str = "ann@contoso.com",
    start: datetime | None = None,
    state: SessionState = SessionState.SCHEDULED,
    **extra: Any,
) -> Session:
    begin = start if start is not None else at(9)
    return Session(
        id=session_id,
        mentor=mentor,
        mentees=("bob@contoso.com",),
        start=begin,
        end=begin + timedelta(minutes=30),
        question="How do I review a pull request?",
        created_at=at(8),
        state=state,
        **extra,
    )


def ids(sessions: list[Session]) -> list[str]:
    return [s.id for s in sessions]


def assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)


# --- sessions: round trips -----------------------------------------------------------------------


def test_session_round_trips_every_field(store: Store) -> None:
    # Times given in Paris (UTC+2 in May) with microseconds: stored and read back as the same instant in UTC.
    start = datetime(2024, 5, 6, 11, 30, 15, 123456, tzinfo=PARIS)
    full = Session(
        id="sess-1",
        mentor="ann@contoso.com",
        mentees=("bob@contoso.com", "cy@contoso.com", "dee@contoso.com"),
        start=start,
        end=start + timedelta(minutes=45),
        question="Naïve question — with ünïcode, 'quotes' and | pipes?",
        created_at=datetime(2024, 5, 1, 8, 0, 0, 1, tzinfo=UTC),
        state=SessionState.PENDING_ATTENDANCE,
        topic="Code review",
        request_id="req-9",
        event_id="AAMkAD=",
        join_url="https://teams.microsoft.com/l/meetup-join/19%3ameeting",
        transaction_id="tx-42",
        missing=("dee@contoso.com",),
        state_reason="awaiting attendance report",
        updated_at=datetime(2024, 5, 6, 12, 20, tzinfo=PARIS),
        people=(
            Participant("ann@contoso.com", "0f1e", frozenset({"ann@contoso.com", "ann.lee@contoso.co.uk"})),
            Participant("bob@contoso.com"),
        ),
        online_meeting_id="MSo0Yjc1MTg5Yi1jMTk1",
    )
    store.add_session(full)
    got = store.get_session("sess-1")

    assert got == full
    assert got is not None
    assert got.start == datetime(2024, 5, 6, 9, 30, 15, 123456, tzinfo=UTC)
    assert got.end == datetime(2024, 5, 6, 10, 15, 15, 123456, tzinfo=UTC)
    assert got.updated_at == datetime(2024, 5, 6, 10, 20, tzinfo=UTC)
    for value in (got.start, got.end, got.created_at, got.updated_at):
        assert_utc(value)
    assert isinstance(got.mentees, tuple)
    assert got.mentees == ("bob@contoso.com", "cy@contoso.com", "dee@contoso.com")
    assert isinstance(got.missing, tuple)
    assert got.state is SessionState.PENDING_ATTENDANCE


def test_session_round_trips_none_and_empty_fields(store: Store) -> None:
    bare = Session(
        id="bare",
        mentor="ann@contoso.com",
        mentees=(),
        start=at(9),
        end=at(9, 30),
        question="",
        created_at=at(8),
    )
    store.add_session(bare)
    got = store.get_session("bare")

    assert got == bare
    assert got is not None
    assert (got.topic, got.request_id, got.event_id, got.join_url) == (None, None, None, None)
    assert (got.transaction_id, got.state_reason, got.updated_at) == (None, None, None)
    assert got.mentees == ()
    assert got.missing == ()
    assert got.question == ""


def test_add_session_twice_returns_the_first(store: Store) -> None:
    first = session("dup", topic="first")
    assert store.add_session(first) == first

    again = store.add_session(session("dup", topic="second", start=at(14)))

    assert again == first
    assert store.get_session("dup") == first
    assert ids(store.list_sessions()) == ["dup"]


def test_unknown_session_is_none_and_cannot_be_updated(store: Store) -> None:
    assert store.get_session("nope") is None
    with pytest.raises(SessionNotFound):
        store.update_session("nope", lambda s: s)


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = dataclasses.replace(session("naive"), start=datetime(2024, 5, 6, 9, 0))  # noqa: DTZ001
    with pytest.raises(InputError):
        store.add_session(naive)
    assert store.get_session("naive") is None


# --- sessions: listing -----------------------------------------------------------------------------


@pytest.fixture
def five_sessions(store: Store) -> Store:
    """ann: s1 09:00 scheduled, s3 10:00 completed, s4 10:00 scheduled; bo: s2 08:00 cancelled, s5 11:00."""
    for s in (
        session("s5", mentor="bo@contoso.com", start=at(11)),
        session("s3", start=at(10), state=SessionState.COMPLETED),
        session("s1", start=at(9)),
        session("s4", start=at(10)),
        session("s2", mentor="bo@contoso.com", start=at(8), state=SessionState.CANCELLED),
    ):
        store.add_session(s)
    return store


def test_list_sessions_orders_by_start_then_id(five_sessions: Store) -> None:
    assert ids(five_sessions.list_sessions()) == ["s2", "s1", "s3", "s4", "s5"]


def test_list_sessions_by_mentor(five_sessions: Store) -> None:
    assert ids(five_sessions.list_sessions(mentor="ann@contoso.com")) == ["s1", "s3", "s4"]
    assert ids(five_sessions.list_sessions(mentor="bo@contoso.com")) == ["s2", "s5"]
    assert five_sessions.list_sessions(mentor="nobody@contoso.com") == []


def test_list_sessions_start_range_is_half_open(five_sessions: Store) -> None:
    store = five_sessions
    assert ids(store.list_sessions(start_from=at(9), start_to=at(10))) == ["s1"]
    assert ids(store.list_sessions(start_from=at(9), start_to=at(11))) == ["s1", "s3", "s4"]
    assert ids(store.list_sessions(start_from=at(10))) == ["s3", "s4", "s5"]
    assert ids(store.list_sessions(start_to=at(9))) == ["s2"]
    assert ids(store.list_sessions(start_from=at(10), start_to=at(10))) == []
    # The same instants written in Paris time select the same sessions.
    assert ids(store.list_sessions(start_from=at(9).astimezone(PARIS), start_to=at(11).astimezone(PARIS))) == [
        "s1",
        "s3",
        "s4",
    ]
    # One microsecond past 10:00 leaves both 10:00 sessions out.
    just_after = at(10) + timedelta(microseconds=1)
    assert ids(store.list_sessions(start_from=just_after)) == ["s5"]


def test_list_sessions_by_state(five_sessions: Store) -> None:
    store = five_sessions
    assert ids(store.list_sessions(states=[SessionState.CANCELLED])) == ["s2"]
    assert ids(store.list_sessions(states={SessionState.SCHEDULED, SessionState.COMPLETED})) == [
        "s1",
        "s3",
        "s4",
        "s5",
    ]
    assert store.list_sessions(states=[]) == []
    assert store.list_sessions(states=[SessionState.NO_SHOW]) == []


def test_list_sessions_combines_filters(five_sessions: Store) -> None:
    store = five_sessions
    assert ids(
        store.list_sessions(
            mentor="ann@contoso.com", start_from=at(9, 30), start_to=at(12), states=[SessionState.SCHEDULED]
        )
    ) == ["s4"]
    assert ids(store.list_sessions(mentor="bo@contoso.com", start_from=at(8), states=(SessionState.SCHEDULED,))) == [
        "s5"
    ]


def test_list_sessions_keeps_look_alike_mentors_apart(store: Store) -> None:
    # Key separators and forbidden key characters inside names must not merge two mentors.
    for number, mentor in enumerate(["m", "m|x", "m/x", "m#?\\%", "m%7Cx", "m'x"]):
        store.add_session(session(f"id-{number}", mentor=mentor))
    assert ids(store.list_sessions(mentor="m")) == ["id-0"]
    assert ids(store.list_sessions(mentor="m|x")) == ["id-1"]
    assert ids(store.list_sessions(mentor="m/x")) == ["id-2"]
    assert ids(store.list_sessions(mentor="m#?\\%")) == ["id-3"]
    assert ids(store.list_sessions(mentor="m%7Cx")) == ["id-4"]
    assert ids(store.list_sessions(mentor="m'x")) == ["id-5"]


# --- sessions: updates -----------------------------------------------------------------------------


def test_update_session_applies_and_returns_the_change(store: Store) -> None:
    store.add_session(session("u1"))
    done_at = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)

    updated = store.update_session(
        "u1",
        lambda s: dataclasses.replace(
            s, state=SessionState.COMPLETED, event_id="evt-1", state_reason="attended", updated_at=done_at
        ),
    )

    expected = dataclasses.replace(
        session("u1"), state=SessionState.COMPLETED, event_id="evt-1", state_reason="attended", updated_at=done_at
    )
    assert updated == expected
    assert store.get_session("u1") == expected
    assert ids(store.list_sessions(states=[SessionState.COMPLETED])) == ["u1"]
    assert store.list_sessions(states=[SessionState.SCHEDULED]) == []


def test_update_session_can_move_start_and_mentor(store: Store) -> None:
    store.add_session(session("mv", start=at(9)))

    store.update_session("mv", lambda s: dataclasses.replace(s, start=at(15), end=at(15, 30), mentor="bo@contoso.com"))

    assert store.list_sessions(start_from=at(9), start_to=at(10)) == []
    assert store.list_sessions(mentor="ann@contoso.com") == []
    moved = store.list_sessions(mentor="bo@contoso.com", start_from=at(15), start_to=at(16))
    assert ids(moved) == ["mv"]
    assert moved[0].start == at(15)
    assert ids(store.list_sessions()) == ["mv"]


def test_update_session_may_not_change_the_id(store: Store) -> None:
    store.add_session(session("keep"))
    with pytest.raises(InputError):
        store.update_session("keep", lambda s: dataclasses.replace(s, id="other"))
    assert store.get_session("keep") == session("keep")
    assert store.get_session("other") is None


def test_concurrent_updates_all_land(store: Store, concurrently: Concurrently) -> None:
    store.add_session(dataclasses.replace(session("busy"), mentees=()))
    newcomers = [f"mentee{i:02d}@contoso.com" for i in range(20)]

    def join(index: int) -> Session:
        return store.update_session("busy", lambda s: dataclasses.replace(s, mentees=(*s.mentees, newcomers[index])))

    results = concurrently(20, join)

    assert [r for r in results if isinstance(r, BaseException)] == []
    final = store.get_session("busy")
    assert final is not None
    assert sorted(final.mentees) == newcomers  # every append survived: no lost update
    assert len(final.mentees) == 20


# --- slot claims -----------------------------------------------------------------------------------


def test_claim_slot_is_all_or_nothing(store: Store) -> None:
    mentor = "ann@contoso.com"
    store.claim_slot(mentor, [at(9), at(9, 15)], "A")

    # B overlaps A at 09:15 and would add 09:30: refused, and 09:30 must stay free.
    with pytest.raises(Conflict):
        store.claim_slot(mentor, [at(9, 15), at(9, 30)], "B")

    store.claim_slot(mentor, [at(9, 30)], "C")  # proves B took nothing
    with pytest.raises(Conflict):
        store.claim_slot(mentor, [at(9, 30)], "B")


def test_same_session_may_reclaim_its_cells(store: Store) -> None:
    mentor = "ann@contoso.com"
    store.claim_slot(mentor, [at(9), at(9, 15)], "A")
    store.claim_slot(mentor, [at(9), at(9, 15)], "A")
    store.claim_slot(mentor, [at(9, 15), at(9, 30), at(9, 30)], "A")  # grows, with a duplicate cell

    with pytest.raises(Conflict):
        store.claim_slot(mentor, [at(9, 30)], "B")


def test_claims_are_per_mentor_and_per_instant(store: Store) -> None:
    store.claim_slot("ann@contoso.com", [at(9)], "A")
    store.claim_slot("bo@contoso.com", [at(9)], "B")  # another mentor's calendar
    with pytest.raises(Conflict):
        # 11:00 Paris is 09:00 UTC: the same cell.
        store.claim_slot("ann@contoso.com", [datetime(2024, 5, 6, 11, 0, tzinfo=PARIS)], "C")
    store.claim_slot("ann@contoso.com", [], "D")  # nothing to hold


def test_one_of_twenty_concurrent_claims_wins(store: Store, concurrently: Concurrently) -> None:
    mentor = "ann@contoso.com"
    cells = [at(13), at(13, 15)]

    results = concurrently(20, lambda i: store.claim_slot(mentor, cells, f"race-{i}"))

    winners = [i for i, r in enumerate(results) if r is None]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1
    assert len(losers) == 19
    winner = f"race-{winners[0]}"
    store.claim_slot(mentor, cells, winner)  # the winner holds both cells
    for cell in cells:
        with pytest.raises(Conflict):
            store.claim_slot(mentor, [cell], "late")


def test_release_slot_frees_only_that_sessions_cells(store: Store) -> None:
    ann, bo = "ann@contoso.com", "bo@contoso.com"
    store.claim_slot(ann, [at(9), at(9, 15)], "A")
    store.claim_slot(ann, [at(10)], "B")
    store.claim_slot(bo, [at(9)], "A")  # same session id under another mentor

    store.release_slot(ann, "A")

    store.claim_slot(ann, [at(9), at(9, 15)], "C")  # A's cells are free
    with pytest.raises(Conflict):
        store.claim_slot(ann, [at(10)], "C")  # B still holds 10:00
    with pytest.raises(Conflict):
        store.claim_slot(bo, [at(9)], "C")  # bo's cell was not released
    store.release_slot(ann, "nobody")  # releasing nothing is fine


def test_release_orphan_claims_frees_only_old_claims_without_a_live_session(store: Store) -> None:
    ann = "ann@contoso.com"
    early, late = at(8), at(8, 30)
    store.claim_slot(ann, [at(9), at(9, 15)], "never-written", claimed_at=early)  # the booking died
    store.claim_slot(ann, [at(10)], "too-recent", claimed_at=late)  # may still be writing its session
    store.add_session(session("live", start=at(11)))
    store.claim_slot(ann, [at(11)], "live", claimed_at=early)
    store.add_session(session("dropped", start=at(12), state=SessionState.CANCELLED))
    store.claim_slot(ann, [at(12)], "dropped", claimed_at=early)
    store.claim_slot(ann, [at(7)], "past", claimed_at=early)  # before cells_from: left alone

    freed = store.release_orphan_claims(claimed_before=at(8, 15), cells_from=at(7, 30))

    assert freed == 3  # 09:00, 09:15 and 12:00
    store.claim_slot(ann, [at(9), at(9, 15), at(12)], "next")
    for cell, holder in ((at(10), "too-recent"), (at(11), "live"), (at(7), "past")):
        with pytest.raises(Conflict):
            store.claim_slot(ann, [cell], "next")
        store.claim_slot(ann, [cell], holder)
    assert store.release_orphan_claims(claimed_before=at(8, 15), cells_from=at(7, 30)) == 0


# --- idempotency keys ------------------------------------------------------------------------------


def test_claim_idempotency_inserts_if_absent(store: Store) -> None:
    first = IdempotencyRecord("key-1", "hash-a", "sess-a", datetime(2024, 5, 6, 11, 0, tzinfo=PARIS))
    stored = store.claim_idempotency(first)
    assert stored == first
    assert_utc(stored.created_at)

    again = store.claim_idempotency(IdempotencyRecord("key-1", "hash-b", "sess-b", at(12)))

    assert again == IdempotencyRecord("key-1", "hash-a", "sess-a", at(9))
    other = IdempotencyRecord("key-2", "hash-b", "sess-b", at(12))
    assert store.claim_idempotency(other) == other


def test_find_idempotency_reads_a_key_without_claiming_it(store: Store) -> None:
    assert store.find_idempotency("onboard:ana@x:1") is None
    assert store.find_idempotency("onboard:ana@x:1") is None  # the look-up claimed nothing
    record = IdempotencyRecord("onboard:ana@x:1", "hash-a", "sess-a", at(9))
    store.claim_idempotency(record)
    assert store.find_idempotency("onboard:ana@x:1") == record
    assert store.find_idempotency("onboard:ana@x:2") is None


def test_concurrent_idempotency_claims_agree_on_one_winner(store: Store, concurrently: Concurrently) -> None:
    candidates = [IdempotencyRecord("shared", f"hash-{i}", f"sess-{i}", at(9, i)) for i in range(20)]

    results = concurrently(20, lambda i: store.claim_idempotency(candidates[i]))

    assert all(isinstance(r, IdempotencyRecord) for r in results)
    assert len(set(results)) == 1
    assert results[0] in candidates
    assert store.claim_idempotency(candidates[0]) == results[0]


# --- policy versions -------------------------------------------------------------------------------


def test_policy_versions_append(store: Store) -> None:
    assert store.latest_policy() is None
    assert store.policy_history() == []
    policies: list[dict[str, Any]] = [
        {"max_sessions_per_week": 3},
        {"max_sessions_per_week": 2, "focus": {"days": [0, 2], "protect": True}},
        {"max_sessions_per_week": 4, "note": "ünïcode"},
    ]

    saved = [store.save_policy(p, "admin@contoso.com", at(9 + i)) for i, p in enumerate(policies)]

    assert [v.version for v in saved] == [1, 2, 3]
    expected = [PolicyVersion(i + 1, p, "admin@contoso.com", at(9 + i)) for i, p in enumerate(policies)]
    assert saved == expected
    assert store.policy_history() == expected
    assert store.latest_policy() == expected[2]


def test_concurrent_policy_saves_get_distinct_versions(store: Store, concurrently: Concurrently) -> None:
    results = concurrently(12, lambda i: store.save_policy({"writer": i}, f"admin{i}", at(9)))

    assert all(isinstance(r, PolicyVersion) for r in results)
    assert sorted(r.version for r in results) == list(range(1, 13))
    history = store.policy_history()
    assert [v.version for v in history] == list(range(1, 13))
    # Each version holds the policy its own writer saved.
    assert {v.version: v.policy["writer"] for v in history} == {r.version: r.policy["writer"] for r in results}
    latest = store.latest_policy()
    assert latest is not None
    assert latest.version == 12


def test_policy_save_with_an_expected_version_is_atomic(store: Store, concurrently: Concurrently) -> None:
    store.save_policy({"n": 1}, "admin", at(9), expected_version=0)
    with pytest.raises(Conflict) as stale:
        store.save_policy({"n": "late"}, "admin", at(9), expected_version=0)
    assert stale.value.field == "If-Match"
    # Ten admins all saw version 1 and save at once: exactly one wins, the others are told it moved on.
    results = concurrently(10, lambda i: store.save_policy({"writer": i}, f"admin{i}", at(9), expected_version=1))
    winners = [r for r in results if isinstance(r, PolicyVersion)]
    assert len(winners) == 1 and winners[0].version == 2
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, PolicyVersion))
    assert [v.version for v in store.policy_history()] == [1, 2]


# --- checkpoints -----------------------------------------------------------------------------------


def test_checkpoints_overwrite(store: Store) -> None:
    assert store.get_checkpoint("delta:ann") is None
    store.set_checkpoint("delta:ann", "https://graph.microsoft.com/v1.0/delta?$deltatoken=1")
    store.set_checkpoint("delta:ann", "https://graph.microsoft.com/v1.0/delta?$deltatoken=2")
    store.set_checkpoint("subscription/bo#1", "sub-7")

    assert store.get_checkpoint("delta:ann") == "https://graph.microsoft.com/v1.0/delta?$deltatoken=2"
    assert store.get_checkpoint("subscription/bo#1") == "sub-7"
    assert store.get_checkpoint("delta:bo") is None


def test_checkpoint_compare_and_set_refuses_a_stale_version(store: Store) -> None:
    name = "delta:cas"
    assert store.read_checkpoint(name) is None
    assert store.replace_checkpoint(name, "link-1", None)
    assert not store.replace_checkpoint(name, "link-x", None)  # created meanwhile: not ours to overwrite
    first = store.read_checkpoint(name)
    assert first is not None and first.value == "link-1"
    # Two workers read link-1; the first to write wins, the second writes nothing.
    assert store.replace_checkpoint(name, "link-2a", first)
    assert not store.replace_checkpoint(name, "link-2b", first)
    assert store.get_checkpoint(name) == "link-2a"
    second = store.read_checkpoint(name)
    assert second is not None and store.replace_checkpoint(name, "link-3", second)
    assert store.get_checkpoint(name) == "link-3"


def test_concurrent_checkpoint_writers_from_one_version_leave_one_winner(
    store: Store, concurrently: Callable[..., list[Any]]
) -> None:
    store.set_checkpoint("delta:race", "link-0")
    seen = store.read_checkpoint("delta:race")
    outcomes = concurrently(8, lambda i: store.replace_checkpoint("delta:race", f"link-{i + 1}", seen))
    assert sum(1 for o in outcomes if o is True) == 1
    winner = next(i for i, o in enumerate(outcomes) if o is True)
    assert store.get_checkpoint("delta:race") == f"link-{winner + 1}"


# --- requests --------------------------------------------------------------------------------------


def request(request_id: str, created_at: datetime, **extra: Any) -> MentoringRequest:
    fields: dict[str, Any] = {
        "id": request_id,
        "mentee": "bob@contoso.com",
        "skill": "python",
        "question": "Async or threads?",
        "created_at": created_at,
    }
    return MentoringRequest(**{**fields, **extra})


def test_request_round_trips_and_is_insert_once(store: Store) -> None:
    full = request(
        "r1",
        datetime(2024, 5, 6, 10, 0, 0, 250000, tzinfo=PARIS),
        mentors=("ann@contoso.com", "bo@contoso.com"),
        sessions_wanted=3,
    )
    assert store.add_request(full) == full
    got = store.get_request("r1")
    assert got == full
    assert got is not None
    assert got.created_at == datetime(2024, 5, 6, 8, 0, 0, 250000, tzinfo=UTC)
    assert_utc(got.created_at)
    assert got.mentors == ("ann@contoso.com", "bo@contoso.com")

    assert store.add_request(request("r1", at(12), skill="go")) == full
    assert store.get_request("missing") is None


def test_list_requests_by_creation_half_open(store: Store) -> None:
    for request_id, created in (("r3", at(11)), ("r1", at(9)), ("r2", at(10)), ("r0", at(10))):
        store.add_request(request(request_id, created))

    assert [r.id for r in store.list_requests()] == ["r1", "r0", "r2", "r3"]
    assert [r.id for r in store.list_requests(created_from=at(10))] == ["r0", "r2", "r3"]
    assert [r.id for r in store.list_requests(created_to=at(10))] == ["r1"]
    assert [r.id for r in store.list_requests(created_from=at(9), created_to=at(11))] == ["r1", "r0", "r2"]
