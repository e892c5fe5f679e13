"""Group flash sessions through the real adapters: msgraph-sdk against the emulator, SQLite in a temp
folder, with real concurrency (20 joins at once on one event loop: concurrent HTTP to the emulator and
concurrent store threads).

Maya (mentor, Europe/London = UTC in winter) works Mon-Thu 07:30-15:30 with an empty calendar. The clock
is Monday 30 Nov 2026 00:00Z; the groups are on Tuesday 1 Dec at 10:00Z and 11:00Z (15 minutes).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.errors import NotFound, PolicyViolation
from core.model import Session
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from policies import TenantPolicy, parse_policy
from services.booking import BookingRequest, book_session
from services.groups import GroupDraft, GroupFull, join_group, leave_group, publish_group, reconcile_groups
from services.sync import sync_organizer
from store import open_store
from store.base import Store
from tests.conftest import Admin, with_graph

MAYA, RAVI, SITA = "maya@contoso.example", "ravi@contoso.example", "sita@contoso.example"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
URL = "http://127.0.0.1:7071"
JOINERS = [f"joiner{i:02d}@contoso.example" for i in range(20)]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'mm.db'}")


@pytest.fixture
def joiners(admin: Admin) -> list[str]:
    for upn in JOINERS:
        admin.post("/users", {"userPrincipalName": upn, "displayName": upn.split("@")[0]})
    return JOINERS


def publish(g: GraphGateway, store: Store, start: datetime = TUESDAY_10, seats: int = 5, **kw: Any) -> Any:
    policy = kw.pop("policy", None) or TenantPolicy()
    draft = GroupDraft(mentor=MAYA, topic="Writing a good design doc", start=start, seats=seats)
    return publish_group(g, store, policy, draft, now=NOW, public_url=URL)


async def attendees(g: GraphGateway, session: Session) -> set[str]:
    assert session.event_id is not None
    event = await g.get_event(session.mentor, session.event_id)
    assert event is not None
    return set(event.responses)


def test_of_twenty_mentees_joining_five_seats_at_once_exactly_five_get_in(
    graph_settings: GraphSettings, any_store: Store, joiners: list[str]
) -> None:
    store = any_store

    async def body(g: GraphGateway) -> tuple[Session, list[Any], set[str]]:
        group = await publish(g, store)
        answers = await asyncio.gather(
            *(join_group(g, store, group.id, m, now=NOW) for m in joiners), return_exceptions=True
        )
        final = store.get_session(group.id)
        assert final is not None
        return final, answers, await attendees(g, final)

    final, answers, invited = with_graph(graph_settings, body)
    joined = [m for m, a in zip(JOINERS, answers, strict=True) if isinstance(a, Session)]
    refused = [a for a in answers if isinstance(a, GroupFull)]
    assert len(joined) == 5 and len(refused) == 15, answers
    assert sorted(final.mentees) == sorted(joined) and final.seats == 5
    assert invited == set(joined)  # the one meeting's attendees are exactly the seats


def test_seats_are_between_two_and_the_policys_max_group_size(graph_settings: GraphSettings, store: Store) -> None:
    async def body(g: GraphGateway) -> list[Any]:
        results: list[Any] = []
        for seats, policy in ((1, None), (7, None), (7, parse_policy({"max_group_size": 8}))):
            try:
                results.append((await publish(g, store, seats=seats, policy=policy)).seats)
            except PolicyViolation as exc:
                results.append(exc.rule)
        return results

    assert with_graph(graph_settings, body) == ["seats", "seats", 7]


def test_a_full_session_answers_the_mentors_next_open_groups(
    graph_settings: GraphSettings, store: Store, joiners: list[str]
) -> None:
    async def body(g: GraphGateway) -> tuple[GroupFull, Session]:
        full = await publish(g, store, seats=2)
        later = await publish(g, store, start=TUESDAY_10 + timedelta(hours=1), seats=3)
        for mentee in joiners[:2]:
            await join_group(g, store, full.id, mentee, now=NOW)
        with pytest.raises(GroupFull) as refused:
            await join_group(g, store, full.id, joiners[2], now=NOW)
        return refused.value, later

    refused, later = with_graph(graph_settings, body)
    assert refused.alternatives == [
        {"id": later.id, "topic": "Writing a good design doc", "start": "2026-12-01T11:00:00Z",
         "end": "2026-12-01T11:15:00Z", "seatsLeft": 3}
    ]  # fmt: skip


def test_leaving_frees_the_seat_and_takes_the_mentee_off_the_meeting(
    graph_settings: GraphSettings, store: Store
) -> None:
    async def body(g: GraphGateway) -> list[tuple[tuple[str, ...], set[str]]]:
        group = await publish(g, store, seats=2)
        seen = []
        for step in (
            join_group(g, store, group.id, RAVI, now=NOW),
            join_group(g, store, group.id, SITA, now=NOW),
            leave_group(g, store, group.id, RAVI, now=NOW),
            join_group(g, store, group.id, RAVI, now=NOW),
            join_group(g, store, group.id, RAVI, now=NOW),  # twice is one seat
        ):
            session = await step
            seen.append((session.mentees, await attendees(g, session)))
        return seen

    assert with_graph(graph_settings, body) == [
        ((RAVI,), {RAVI}),
        ((RAVI, SITA), {RAVI, SITA}),
        ((SITA,), {SITA}),
        ((SITA, RAVI), {RAVI, SITA}),
        ((SITA, RAVI), {RAVI, SITA}),
    ]


def test_the_mentor_and_strangers_cannot_join(graph_settings: GraphSettings, store: Store) -> None:
    async def body(g: GraphGateway) -> list[str]:
        group = await publish(g, store)
        fields = []
        for who in (MAYA, "nobody@contoso.example"):
            try:
                await join_group(g, store, group.id, who, now=NOW)
            except (NotFound, ValueError) as exc:
                fields.append(getattr(exc, "field", ""))
        try:
            await join_group(g, store, "no-such-group", RAVI, now=NOW)
        except NotFound as exc:
            fields.append(exc.field)
        return fields

    assert with_graph(graph_settings, body) == ["mentee", "mentee", "id"]


def test_a_group_counts_as_one_session_toward_the_mentors_caps(
    graph_settings: GraphSettings, store: Store, joiners: list[str]
) -> None:
    # Two sessions a day: the group (two mentees, one meeting) and one 1:1 fit; a second 1:1 does not.
    policy = parse_policy({"max_sessions_per_day": 2})

    def one_to_one(hour: int) -> BookingRequest:
        start = TUESDAY_10.replace(hour=hour)
        return BookingRequest(mentor=MAYA, mentees=(joiners[0],), start=start, question="How to?")

    async def body(g: GraphGateway) -> str:
        group = await publish(g, store, policy=policy)
        await join_group(g, store, group.id, RAVI, now=NOW)
        await join_group(g, store, group.id, SITA, now=NOW)
        await book_session(g, store, policy, one_to_one(11), now=NOW, public_url=URL)
        with pytest.raises(PolicyViolation) as refused:
            await book_session(g, store, policy, one_to_one(12), now=NOW, public_url=URL)
        return refused.value.rule

    assert with_graph(graph_settings, body) == "max_sessions_per_day"


def test_a_crash_between_seat_claim_and_patch_is_reconciled_by_the_next_run(
    graph_settings: GraphSettings, store: Store
) -> None:
    async def body(g: GraphGateway) -> tuple[set[str], set[str], int, set[str], int]:
        group = await publish(g, store)
        await join_group(g, store, group.id, RAVI, now=NOW)
        # The process dies right after Sita's seat is written: her PATCH never goes out.
        store.update_session(group.id, lambda s: replace(s, mentees=(*s.mentees, SITA)))
        before = await attendees(g, group)
        await sync_organizer(g, store, TenantPolicy(), MAYA, now=NOW)  # the next sync run
        after_sync = await attendees(g, group)
        # Same again, then reconciled directly: it counts the meetings it corrected.
        store.update_session(group.id, lambda s: replace(s, mentees=(RAVI,)))
        fixed = await reconcile_groups(g, store, now=NOW)
        after = await attendees(g, group)
        return before, after_sync, fixed, after, await reconcile_groups(g, store, now=NOW)

    before, after_sync, fixed, after, again = with_graph(graph_settings, body)
    assert before == {RAVI} and after_sync == {RAVI, SITA}
    assert fixed == 1 and after == {RAVI} and again == 0


def test_a_group_nobody_joined_is_cancelled_when_it_starts_not_a_no_show(
    graph_settings: GraphSettings, store: Store
) -> None:
    async def body(g: GraphGateway) -> tuple[str, str | None, bool, str]:
        empty = await publish(g, store)
        taken = await publish(g, store, start=TUESDAY_10 + timedelta(hours=1))
        await join_group(g, store, taken.id, RAVI, now=NOW)
        await sync_organizer(g, store, TenantPolicy(), MAYA, now=TUESDAY_10 - timedelta(minutes=1))
        assert store.get_session(empty.id).state.value == "scheduled"  # type: ignore[union-attr]
        later = TUESDAY_10 + timedelta(hours=1, minutes=5)
        await sync_organizer(g, store, TenantPolicy(), MAYA, now=later)
        closed, kept = store.get_session(empty.id), store.get_session(taken.id)
        assert closed is not None and kept is not None and empty.event_id is not None
        event = await g.get_event(MAYA, empty.event_id)
        return closed.state.value, closed.state_reason, event is None or event.is_cancelled, kept.state.value

    state, reason, gone, kept_state = with_graph(graph_settings, body)
    assert (state, reason, gone) == ("cancelled", "nobody_joined", True)
    assert kept_state == "scheduled"  # Ravi's session runs; its attendance is decided after it ends


def test_a_join_patches_only_attendees_so_the_seated_mentees_hear_nothing(
    graph_settings: GraphSettings, store: Store
) -> None:
    # event-update.md: "An event update that includes only the attendees property in the request body sends
    # a meeting update to only the attendees that have changed." Ravi's copy must stay as it was when Sita
    # joins (same changeKey), which holds only if the join's PATCH carries `attendees` and nothing else.
    async def body(g: GraphGateway) -> tuple[str, str, set[str]]:
        group = await publish(g, store, seats=3)
        await join_group(g, store, group.id, RAVI, now=NOW)
        window = (TUESDAY_10 - timedelta(hours=1), TUESDAY_10 + timedelta(hours=1))
        (before,) = await g.calendar_events(RAVI, *window)
        session = await join_group(g, store, group.id, SITA, now=NOW)
        (after,) = await g.calendar_events(RAVI, *window)
        return before["changeKey"], after["changeKey"], await attendees(g, session)

    before, after, seated = with_graph(graph_settings, body)
    assert seated == {RAVI, SITA}
    assert after == before
