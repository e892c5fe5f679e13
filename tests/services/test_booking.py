"""Booking through the real adapters: msgraph-sdk against the emulator, SQLite in a temp folder.

Maya (mentor, Europe/London, Mon-Thu 07:30-15:30) and Ravi (mentee, India, Mon-Fri 10:00-19:00):
day windows 08:00-18:00 London (= UTC in winter) and 08:00-18:00 IST (= 02:30-12:30Z);
Ravi's working hours are 04:30-13:30Z. Shared: Mon-Thu 08:00-12:30Z.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.errors import Conflict, InputError, NotFound, PolicyViolation
from core.model import Session
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from policies import TenantPolicy, parse_policy
from services.booking import BookingRequest, book_session
from services.sessions import cancel_session
from store import open_store
from store.base import Store
from tests.conftest import with_graph

T = TypeVar("T")
MAYA, RAVI, SITA = "maya@contoso.example", "ravi@contoso.example", "sita@contoso.example"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
URL = "http://127.0.0.1:7071"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'mm.db'}")


def request(start: datetime = MONDAY_9, **changes: Any) -> BookingRequest:
    values: dict[str, Any] = {
        "mentor": MAYA,
        "mentees": (RAVI,),
        "start": start,
        "question": "How do I run a retro that ends with one clear action?",
        "topic": "Retrospectives",
        "idempotency_key": None,
    }
    values.update(changes)
    return BookingRequest(**values)


def book(graph: GraphGateway, store: Store, req: BookingRequest, policy: TenantPolicy | None = None) -> Any:
    return book_session(graph, store, policy or TenantPolicy(), req, now=NOW, public_url=URL)


def test_booked_session_is_on_both_calendars_with_agenda(graph_settings: GraphSettings, store: Store) -> None:
    async def body(g: GraphGateway) -> Any:
        result = await book(g, store, request())
        mentor_events = await g.calendar_events(MAYA, MONDAY_9, MONDAY_9 + timedelta(hours=1))
        mentee_events = await g.calendar_events(RAVI, MONDAY_9, MONDAY_9 + timedelta(hours=1))
        return result, mentor_events, mentee_events

    result, mentor_events, mentee_events = with_graph(graph_settings, body)
    session = result.session
    assert result.created and session.event_id and session.join_url
    assert (session.start, session.end) == (MONDAY_9, MONDAY_9 + timedelta(minutes=15))
    [event] = mentor_events
    assert event["id"] == session.event_id
    assert event["categories"] == ["Micro-mentoring"]
    assert event["onlineMeeting"]["joinUrl"] == session.join_url
    assert event["allowNewTimeProposals"] is False
    assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["originalStartTimeZone"] == "GMT Standard Time"  # written in Maya's own zone (London)
    assert [a["emailAddress"]["address"] for a in event["attendees"]] == [RAVI]
    assert [a["type"] for a in event["attendees"]] == ["required"]
    body = event["body"]["content"]
    assert "one clear action" in body and "Next steps" in body
    # 09:00Z is 14:30 in India: the agenda shows Ravi his own clock.
    assert "14:30" in body
    assert [e["subject"] for e in mentee_events] == [event["subject"]]
    stored = store.get_session(session.id)
    assert stored is not None and stored.event_id == session.event_id


def test_same_key_twice_books_once_and_other_body_conflicts(graph_settings: GraphSettings, store: Store) -> None:
    async def body(g: GraphGateway) -> Any:
        first = await book(g, store, request(idempotency_key="k-1"))
        again = await book(g, store, request(idempotency_key="k-1"))
        with pytest.raises(Conflict) as clash:
            await book(g, store, request(MONDAY_9 + timedelta(hours=1), idempotency_key="k-1"))
        events = await g.calendar_events(MAYA, NOW, NOW + timedelta(days=1))
        return first, again, clash.value, events

    first, again, clash, events = with_graph(graph_settings, body)
    assert first.created and not again.created
    assert again.session.id == first.session.id
    assert clash.field == "Idempotency-Key"
    assert len([e for e in events if e["categories"] == ["Micro-mentoring"]]) == 1


def test_twenty_concurrent_bookings_of_one_slot_yield_one_session(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    async def body(g: GraphGateway) -> list[Any]:
        attempts = [book(g, store, request(idempotency_key=f"k-{i}")) for i in range(20)]
        return await asyncio.gather(*attempts, return_exceptions=True)

    outcomes = with_graph(graph_settings, body)
    booked = [o for o in outcomes if not isinstance(o, BaseException)]
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(booked) == 1 and len(conflicts) == 19, outcomes
    assert all(c.field == "start" for c in conflicts)
    assert all(getattr(c, "alternatives", None) for c in conflicts)
    state = admin.get("/state")
    maya_events = [e for u in state["users"] if u["userPrincipalName"] == MAYA for e in u["events"]]
    assert len([e for e in maya_events if "Micro-mentoring" in (e.get("categories") or [])]) == 1


def test_a_booking_over_the_weekly_cap_is_refused_naming_the_cap(graph_settings: GraphSettings, store: Store) -> None:
    policy = parse_policy({"max_sessions_per_week": 1})

    async def body(g: GraphGateway) -> PolicyViolation:
        await book(g, store, request(), policy)
        with pytest.raises(PolicyViolation) as refused:
            await book(g, store, request(MONDAY_9 + timedelta(days=1)), policy)
        return refused.value

    refused = with_graph(graph_settings, body)
    assert refused.rule == "max_sessions_per_week"


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"question": "  "}, InputError, "question"),
        ({"question": "x" * 301}, InputError, "question"),
        ({"start": MONDAY_9 + timedelta(minutes=7)}, InputError, "start"),
        ({"start": NOW - timedelta(days=1)}, InputError, "start"),
        ({"mentees": ("nobody@contoso.example",)}, NotFound, "mentee"),
        ({"mentees": ()}, InputError, "mentee"),
        ({"mentees": (MAYA,)}, InputError, "mentee"),
        ({"minutes": 25}, InputError, "minutes"),
    ],
)
def test_bad_input_names_the_field(
    graph_settings: GraphSettings, store: Store, changes: dict[str, Any], error: type[Exception], field: str
) -> None:
    async def body(g: GraphGateway) -> Any:
        with pytest.raises(error) as caught:
            await book(g, store, request(**changes))
        return caught.value

    assert with_graph(graph_settings, body).field == field


def test_question_html_arrives_escaped(graph_settings: GraphSettings, store: Store) -> None:
    question = "<script>alert('x')</script> how do I say no?"

    async def body(g: GraphGateway) -> Any:
        result = await book(g, store, request(question=question))
        return await g.get_event(MAYA, result.session.event_id)

    event = with_graph(graph_settings, body)
    assert "<script>" not in event.body_html
    assert "&lt;script&gt;" in event.body_html


def test_retry_after_a_dropped_connection_leaves_one_event(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    admin.fault(method="POST", path=r"/users/[^/]+/events$", dropAfterWrite=True, times=1)

    async def body(g: GraphGateway) -> Any:
        result = await book(g, store, request(idempotency_key="drop-1"))
        return result, await g.calendar_events(MAYA, NOW, NOW + timedelta(days=1))

    result, events = with_graph(graph_settings, body)
    assert result.created
    assert [e["id"] for e in events if e["categories"] == ["Micro-mentoring"]] == [result.session.event_id]


def test_a_crash_between_claim_and_create_is_finished_by_the_retry(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    # The create fails for good from our side (Graph stays down), leaving a session without an event;
    # the client retries with the same key once Graph is back: one event, the same session.
    admin.fault(method="POST", path=r"/users/[^/]+/events$", status=503, retryAfter=0)

    async def first_try(g: GraphGateway) -> Exception:
        try:
            await book(g, store, request(idempotency_key="crash-1"))
        except Exception as exc:
            return exc
        raise AssertionError("expected the booking to fail while Graph is down")

    failure = with_graph(graph_settings, first_try)
    assert "503" in str(failure)
    [half] = store.list_sessions(mentor=MAYA)
    assert half.event_id is None
    admin.delete("/faults")

    async def retry(g: GraphGateway) -> Any:
        result = await book(g, store, request(idempotency_key="crash-1"))
        return result, await g.calendar_events(MAYA, NOW, NOW + timedelta(days=1))

    result, events = with_graph(graph_settings, retry)
    assert result.session.id == half.id and result.session.event_id
    assert [e["id"] for e in events if e["categories"] == ["Micro-mentoring"]] == [result.session.event_id]


def test_cancel_removes_the_meeting_and_frees_the_slot(graph_settings: GraphSettings, store: Store) -> None:
    async def body(g: GraphGateway) -> Any:
        first = await book(g, store, request(idempotency_key="c-1"))
        cancelled = await cancel_session(g, store, first.session.id, "Something came up", now=NOW)
        again = await book(g, store, request(idempotency_key="c-2"))
        return cancelled, again

    cancelled, again = with_graph(graph_settings, body)
    assert cancelled.state.value == "cancelled"
    assert again.created and again.session.start == MONDAY_9


def test_concurrent_bookings_closer_than_the_buffer_never_both_succeed(
    graph_settings: GraphSettings, store: Store
) -> None:
    # 09:00-09:15 and 09:15-09:30 use different grid cells, but Maya needs 5 minutes between sessions.
    # Three rounds at 09:00, 10:00 and 11:00: each time at most one of the pair is booked; the other is
    # a 409 (lost the race) or a 422 naming the buffer (the winner's meeting was already on the calendar).
    for hour in (9, 10, 11):
        first = MONDAY_9.replace(hour=hour)

        async def body(g: GraphGateway, first: datetime = first) -> list[Any]:
            pair = [
                book(g, store, request(first, idempotency_key=f"near-{first.hour}-a")),
                book(g, store, request(first + timedelta(minutes=15), idempotency_key=f"near-{first.hour}-b")),
            ]
            return await asyncio.gather(*pair, return_exceptions=True)

        outcomes = with_graph(graph_settings, body)
        booked = [o for o in outcomes if not isinstance(o, BaseException)]
        refused = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(booked) <= 1, outcomes
        assert all(
            isinstance(o, Conflict) or (isinstance(o, PolicyViolation) and o.rule == "buffer_minutes") for o in refused
        ), outcomes
    events = [s for s in store.list_sessions(mentor=MAYA) if s.event_id]
    assert all(b.start - a.end >= timedelta(minutes=5) for a, b in itertools.pairwise(events))


def test_a_booking_that_lost_a_race_is_not_made_on_retry(graph_settings: GraphSettings, store: Store) -> None:
    # A racer's session is already written (its meeting not yet created) 15 minutes before ours.
    racer = Session(
        id="racer",
        mentor=MAYA,
        mentees=(RAVI,),
        start=MONDAY_9,
        end=MONDAY_9 + timedelta(minutes=15),
        question="q",
        created_at=NOW,
    )
    store.add_session(racer)
    mine = request(MONDAY_9 + timedelta(minutes=15), idempotency_key="loser")

    async def body(g: GraphGateway) -> tuple[Exception, Exception]:
        with pytest.raises(Conflict) as lost:
            await book(g, store, mine)
        with pytest.raises(Conflict) as again:
            await book(g, store, mine)
        return lost.value, again.value

    lost, again = with_graph(graph_settings, body)
    assert lost.field == again.field == "start"
    assert getattr(lost, "alternatives", None)
    [loser] = [s for s in store.list_sessions(mentor=MAYA) if s.id != "racer"]
    assert loser.state.value == "cancelled" and loser.state_reason == "lost_race" and loser.event_id is None


def test_concurrent_bookings_never_break_a_cap_together(graph_settings: GraphSettings, store: Store) -> None:
    # One session a day for Maya: 09:00 and 11:00 on Monday, at once. Each passes the calendar check
    # alone; together they would make two.
    one_a_day = parse_policy({"max_sessions_per_day": 1})

    async def body(g: GraphGateway) -> list[Any]:
        pair = [
            book(g, store, request(MONDAY_9, idempotency_key="cap-a"), one_a_day),
            book(g, store, request(MONDAY_9 + timedelta(hours=2), idempotency_key="cap-b"), one_a_day),
        ]
        return await asyncio.gather(*pair, return_exceptions=True)

    outcomes = with_graph(graph_settings, body)
    booked = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(booked) <= 1, outcomes
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, PolicyViolation) and o.rule == "max_sessions_per_day" for o in refused), outcomes
    assert len([s for s in store.list_sessions(mentor=MAYA) if s.event_id]) == len(booked)
