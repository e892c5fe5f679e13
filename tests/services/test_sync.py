"""Sync against the emulator with meetings played out through its admin surface.

Sessions: Maya (mentor) and Ravi (mentee), 15 minutes; completion needs 0.66 x 900 s = 594 s each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msal
import pytest
import requests

from core.model import Session, SessionState
from graph.config import GraphSettings
from graph.errors import GraphUnavailable
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.booking import BookingRequest, book_session
from services.sync import find_sync_work, sync_organizer
from store import open_store
from store.base import Store
from tests.conftest import with_graph

T = TypeVar("T")
MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
BOOKED_AT = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
NINE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
POLICY = TenantPolicy()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'mm.db'}")


def book_at(settings: GraphSettings, store: Store, *starts: datetime) -> list[Session]:
    async def body(g: GraphGateway) -> list[Session]:
        booked = []
        for start in starts:
            req = BookingRequest(mentor=MAYA, mentees=(RAVI,), start=start, question="How do I prioritise?")
            result = await book_session(g, store, POLICY, req, now=BOOKED_AT, public_url="http://localhost")
            booked.append(result.session)
        return booked

    return with_graph(settings, body)


def sync(settings: GraphSettings, store: Store, now: datetime, window: int = 20) -> Any:
    return with_graph(settings, lambda g: sync_organizer(g, store, POLICY, MAYA, now=now, window=window))


def play(admin: Any, session: Session, minutes: dict[str, float]) -> None:
    admin.post(
        "/meetings/attendance",
        {
            "joinUrl": session.join_url,
            "start": session.start.isoformat(),
            "end": session.end.isoformat(),
            "records": [
                {
                    "upn": upn,
                    "intervals": [
                        {"join": session.start.isoformat(), "leave": (session.start + timedelta(minutes=m)).isoformat()}
                    ],
                }
                for upn, m in minutes.items()
            ],
        },
    )


def state_of(store: Store, session: Session) -> Session:
    found = store.get_session(session.id)
    assert found is not None
    return found


def graph_call(settings: GraphSettings, method: str, path: str, body: Any = None) -> httpx.Response:
    """A raw Graph call as another client (Outlook) would make it: to move or decline a meeting."""
    http = requests.Session()
    http.trust_env = False
    http.verify = settings.ca_bundle or True
    app = msal.ConfidentialClientApplication(
        settings.client_id,
        client_credential=settings.client_secret,
        authority=settings.authority_url,
        instance_discovery=False,
        http_client=http,
    )
    token = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])["access_token"]
    context = ssl.create_default_context(cafile=settings.ca_bundle)
    with httpx.Client(verify=context, trust_env=False) as client:
        return client.request(
            method, f"{settings.graph_url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
        )


def test_both_present_11_minutes_completes(graph_settings: GraphSettings, store: Store, admin: Any) -> None:
    [session] = book_at(graph_settings, store, NINE)
    play(admin, session, {MAYA: 11, RAVI: 11})
    sync(graph_settings, store, NINE + timedelta(minutes=30))
    assert state_of(store, session).state == SessionState.COMPLETED


def test_mentee_4_minutes_is_a_no_show_naming_the_mentee(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    [session] = book_at(graph_settings, store, NINE)
    play(admin, session, {MAYA: 15, RAVI: 4})
    sync(graph_settings, store, NINE + timedelta(minutes=30))
    after = state_of(store, session)
    assert after.state == SessionState.NO_SHOW and after.missing == (RAVI,)


def test_no_report_yet_is_pending_then_completed(graph_settings: GraphSettings, store: Store, admin: Any) -> None:
    [session] = book_at(graph_settings, store, NINE)
    sync(graph_settings, store, NINE + timedelta(minutes=20))
    assert state_of(store, session).state == SessionState.PENDING_ATTENDANCE
    play(admin, session, {MAYA: 12, RAVI: 10})
    sync(graph_settings, store, NINE + timedelta(minutes=40))
    assert state_of(store, session).state == SessionState.COMPLETED


def test_no_report_after_48_hours_is_a_no_show(graph_settings: GraphSettings, store: Store) -> None:
    [session] = book_at(graph_settings, store, NINE)
    sync(graph_settings, store, NINE + timedelta(hours=49))
    after = state_of(store, session)
    assert after.state == SessionState.NO_SHOW and after.state_reason == "no_report"


def test_cancelled_moved_and_declined_events_are_reflected(graph_settings: GraphSettings, store: Store) -> None:
    cancelled, moved, declined = book_at(
        graph_settings, store, NINE, NINE + timedelta(hours=1), NINE + timedelta(days=1)
    )
    sync(graph_settings, store, BOOKED_AT + timedelta(hours=1))  # first round: nothing changed yet
    assert (
        graph_call(
            graph_settings, "POST", f"/users/{MAYA}/events/{cancelled.event_id}/cancel", {"comment": "sorry"}
        ).status_code
        == 202
    )
    new_start = NINE + timedelta(hours=2)
    patch = {
        "start": {"dateTime": new_start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": (new_start + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
    }
    assert graph_call(graph_settings, "PATCH", f"/users/{MAYA}/events/{moved.event_id}", patch).status_code == 200
    copies = graph_call(
        graph_settings,
        "GET",
        f"/users/{RAVI}/calendarView?startDateTime=2026-12-01T00:00:00Z&endDateTime=2026-12-02T00:00:00Z",
    ).json()["value"]
    [copy] = [e for e in copies if e["subject"].startswith("Micro mentoring")]
    assert (
        graph_call(
            graph_settings, "POST", f"/users/{RAVI}/events/{copy['id']}/decline", {"sendResponse": True}
        ).status_code
        == 202
    )
    sync(graph_settings, store, BOOKED_AT + timedelta(hours=2))
    assert state_of(store, cancelled).state == SessionState.CANCELLED
    after_move = state_of(store, moved)
    assert after_move.state == SessionState.SCHEDULED and after_move.start == new_start
    assert state_of(store, declined).state == SessionState.CANCELLED
    assert state_of(store, declined).state_reason == "all_mentees_declined"


def test_running_sync_twice_changes_nothing(graph_settings: GraphSettings, store: Store, admin: Any) -> None:
    first, second = book_at(graph_settings, store, NINE, NINE + timedelta(hours=1))
    play(admin, first, {MAYA: 15, RAVI: 15})
    play(admin, second, {MAYA: 15, RAVI: 2})
    now = NINE + timedelta(hours=2)
    sync(graph_settings, store, now)
    before = {s.id: s for s in store.list_sessions()}
    again = sync(graph_settings, store, now)
    assert {s.id: s for s in store.list_sessions()} == before
    assert again.decided == {} and again.moved == 0 and again.cancelled == 0


def test_a_sync_killed_halfway_loses_and_double_counts_nothing(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    sessions = book_at(graph_settings, store, NINE, NINE + timedelta(hours=1), NINE + timedelta(hours=2))
    for session in sessions:
        play(admin, session, {MAYA: 15, RAVI: 15})
    now = NINE + timedelta(hours=3)
    admin.post("/config", {"latencyMs": 100})  # slow Graph, so the worker can be killed between rounds

    async def killed(g: GraphGateway) -> None:
        # One session per attendance round; the worker dies as soon as the first is saved.
        worker = asyncio.create_task(sync_organizer(g, store, POLICY, MAYA, now=now, window=1))
        while not worker.done() and not any(s.state == SessionState.COMPLETED for s in store.list_sessions()):
            await asyncio.sleep(0.005)
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    with_graph(graph_settings, killed)
    decided_before = len([s for s in store.list_sessions() if s.state == SessionState.COMPLETED])
    assert 1 <= decided_before < 3
    admin.post("/config", {"latencyMs": 0})
    rerun = sync(graph_settings, store, now)
    assert rerun.decided == {"completed": 3 - decided_before}  # finished ones are not counted again
    assert [s.state for s in store.list_sessions()] == [SessionState.COMPLETED] * 3
    assert find_sync_work(store) == []


def test_a_graph_outage_during_sync_fails_clearly_and_the_next_run_resumes(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    sessions = book_at(graph_settings, store, NINE, NINE + timedelta(hours=1))
    for session in sessions:
        play(admin, session, {MAYA: 15, RAVI: 15})
    now = NINE + timedelta(hours=3)
    outage = admin.fault(path=".*", status=503, retryAfter=0)
    with pytest.raises(GraphUnavailable):
        sync(replace(graph_settings, max_attempts=2), store, now)
    assert {s.state for s in store.list_sessions()} == {SessionState.SCHEDULED}
    admin.delete(f"/faults/{outage['id']}")
    assert sync(graph_settings, store, now).decided == {"completed": 2}


def test_an_abandoned_booking_is_finished_when_graph_made_the_meeting(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    # The create reaches Graph but the answer is lost, and the client (1 attempt) gives up without retrying.
    admin.fault(method="POST", path=r"/users/[^/]+/events$", dropAfterWrite=True, times=1)
    with pytest.raises(GraphUnavailable):
        book_at(replace(graph_settings, max_attempts=1), store, NINE)
    [half] = store.list_sessions(mentor=MAYA)
    assert half.event_id is None
    assert find_sync_work(store) == [MAYA]
    early = sync(graph_settings, store, BOOKED_AT + timedelta(minutes=5))  # may still be in progress
    assert early.repaired == 0 and store.get_session(half.id).event_id is None  # type: ignore[union-attr]
    later = sync(graph_settings, store, BOOKED_AT + timedelta(minutes=30))
    assert later.repaired == 1
    repaired = store.get_session(half.id)
    assert repaired is not None and repaired.event_id and repaired.join_url
    state = admin.get("/state")
    events = [e for u in state["users"] if u["userPrincipalName"] == MAYA for e in u["events"]]
    assert [e["id"] for e in events if "Micro-mentoring" in (e.get("categories") or [])] == [repaired.event_id]


def test_an_abandoned_booking_without_a_meeting_is_cancelled_and_its_slot_freed(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    admin.fault(method="POST", path=r"/users/[^/]+/events$", status=503, retryAfter=0, times=1)
    with pytest.raises(GraphUnavailable):
        book_at(replace(graph_settings, max_attempts=1), store, NINE)
    [half] = store.list_sessions(mentor=MAYA)
    result = sync(graph_settings, store, BOOKED_AT + timedelta(minutes=30))
    assert result.cancelled == 1
    dropped = store.get_session(half.id)
    assert dropped is not None and dropped.state == SessionState.CANCELLED
    assert dropped.state_reason == "booking_not_finished"
    # The slot is free again: booking it now succeeds.
    [again] = book_at(graph_settings, store, NINE)
    assert again.event_id and again.start == NINE


def test_a_report_that_cannot_be_read_leaves_the_session_for_the_next_run(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    # The call dropped and restarted: two reports, 5 and 10 minutes each (15 of 15 in all: completed).
    [session] = book_at(graph_settings, store, NINE)
    for start, minutes in ((NINE, 5), (NINE + timedelta(minutes=5), 10)):
        join, leave = start.isoformat(), (start + timedelta(minutes=minutes)).isoformat()
        records = [{"upn": upn, "intervals": [{"join": join, "leave": leave}]} for upn in (MAYA, RAVI)]
        body = {"joinUrl": session.join_url, "start": join, "end": leave, "records": records}
        report = admin.post("/meetings/attendance", body)
    # Reading the second report fails (a 500 inside the batch): deciding on the first alone would be a no-show.
    admin.fault(method="GET", path=f"attendanceReports/{report['id']}", status=500, times=1)
    sync(graph_settings, store, NINE + timedelta(hours=1))
    waiting = state_of(store, session)  # ended, no report read yet: never a decision on half of them
    assert (waiting.state, waiting.state_reason) == (SessionState.PENDING_ATTENDANCE, "awaiting_report")
    sync(graph_settings, store, NINE + timedelta(hours=1))
    assert state_of(store, session).state == SessionState.COMPLETED


def test_a_delta_link_from_another_graph_endpoint_starts_a_fresh_round(
    graph_settings: GraphSettings, store: Store
) -> None:
    # As after `sync --tenant` runs against a new emulator: the saved link points at one that is gone.
    [session] = book_at(graph_settings, store, NINE)
    gone = {"link": "https://127.0.0.1:9/v1.0/users/x/calendarView/delta()?$deltatoken=1",
            "from": "2026-11-20T00:00:00+00:00", "to": "2027-02-20T00:00:00+00:00"}  # fmt: skip
    store.set_checkpoint(f"delta:{MAYA}", json.dumps(gone))
    sync(graph_settings, store, BOOKED_AT + timedelta(hours=1))
    saved = json.loads(store.get_checkpoint(f"delta:{MAYA}") or "{}")
    assert saved["link"].startswith(graph_settings.graph_url)
    assert state_of(store, session).state == SessionState.SCHEDULED


def test_two_workers_syncing_one_organizer_count_each_decision_once(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    """A duplicate queue message (or one back after its visibility timeout) runs a second sync of the
    same organizer at the same time: the sessions are decided once, and counted once."""
    sessions = book_at(graph_settings, store, NINE, NINE + timedelta(hours=1))
    for session in sessions:
        play(admin, session, {MAYA: 11, RAVI: 11})
    later = NINE + timedelta(hours=2)

    async def both(g: GraphGateway) -> list[Any]:
        return list(await asyncio.gather(*(sync_organizer(g, store, POLICY, MAYA, now=later) for _ in range(3))))

    results = with_graph(graph_settings, both)
    assert sum(r.decided.get("completed", 0) for r in results) == 2
    assert all(state_of(store, s).state == SessionState.COMPLETED for s in sessions)
    checkpoint = store.read_checkpoint(f"delta:{MAYA}")
    assert checkpoint is not None and json.loads(checkpoint.value)["link"]
