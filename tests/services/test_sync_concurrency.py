"""Sync near Graph's limits: never more Outlook requests at once than the app's limit (4, all mailboxes
together), nor more onlineMeetings requests than the organizer's (4, the emulator's strict choice), a
throttled item waits alone for its Retry-After while the rest of the organizer's work goes on, and
nothing is decided twice or skipped."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.model import Session, SessionState
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from graph.values import EventDraft
from policies import TenantPolicy
from services.sync import find_sync_work, sync_organizer
from store import open_store
from store.base import Store
from tests.conftest import with_graph

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'mm.db'}")


def maya_id(settings: GraphSettings) -> str:
    async def body(graph: GraphGateway) -> str:
        return (await graph.get_user(MAYA)).id

    return with_graph(settings, body)


def ended_sessions(settings: GraphSettings, store: Store, admin: Any, count: int, *, ids_known: bool) -> list[Session]:
    """`count` ended 15-minute Teams meetings of Maya with Ravi; every fifth one Ravi leaves after 3
    minutes (a no-show), the others both stay 12 minutes (completed)."""

    async def body(graph: GraphGateway) -> list[Session]:
        organizer_id = (await graph.get_user(MAYA)).id
        sessions = []
        for i in range(count):
            start = NOW - timedelta(hours=2) - timedelta(minutes=15 * i)
            draft = EventDraft(
                subject=f"Micro mentoring {i}",
                body_html="<p>agenda</p>",
                start=start,
                end=start + timedelta(minutes=15),
                zone=UTC,
                attendees=((RAVI, RAVI),),
                transaction_id=f"t-{i}",
                categories=("Micro-mentoring",),
            )
            event = await graph.create_event(MAYA, draft)
            assert event.join_url
            meeting_id = (
                (await graph.find_meetings(organizer_id, [event.join_url]))[event.join_url] if ids_known else None
            )
            stayed = 3 if i % 5 == 0 else 12
            admin.post(
                "/meetings/attendance",
                {
                    "joinUrl": event.join_url,
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=15)).isoformat(),
                    "records": [
                        {
                            "upn": upn,
                            "intervals": [
                                {"join": start.isoformat(), "leave": (start + timedelta(minutes=m)).isoformat()}
                            ],
                        }
                        for upn, m in ((MAYA, 12), (RAVI, stayed))
                    ],
                },
            )
            session = Session(
                id=f"s{i:03d}",
                mentor=MAYA,
                mentees=(RAVI,),
                start=start,
                end=start + timedelta(minutes=15),
                question="q",
                created_at=start - timedelta(days=1),
                event_id=event.id,
                join_url=event.join_url,
                transaction_id=f"t-{i}",
                online_meeting_id=meeting_id,
            )
            store.add_session(session)
            sessions.append(session)
        return sessions

    return with_graph(settings, body)


def peaks(counted: dict[str, Any]) -> dict[str, int]:
    """The emulator's peaks by gate, without the app id: "outlook" or "onlineMeetings|<organizer id>"."""
    return {key.split("|", 1)[1]: n for key, n in counted["peak"].items()}


def sync(settings: GraphSettings, store: Store, window: int) -> Any:
    return with_graph(
        settings, lambda g: sync_organizer(g, store, TenantPolicy(), MAYA, now=NOW, window=window)
    )


def test_sync_keeps_to_four_requests_at_once_on_the_mailbox_and_uses_them(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    ended_sessions(graph_settings, store, admin, 30, ids_known=False)
    admin.post("/config", {"latencyMs": 30})
    admin.post("/requests/reset", {})
    result = sync(graph_settings, store, window=10)
    # 30 sessions, every fifth a no-show: 6 no-shows, 24 completed, each decided once.
    assert result.decided == {"completed": 24, "no_show": 6}
    counted = admin.get("/concurrency")
    assert counted["refused"] == 0  # the emulator refuses a fifth request at once, as Graph does
    seen = peaks(counted)
    # Maya's meetings: up to the limit and never beyond; Outlook (her calendar's delta): within the app's 4.
    assert seen[f"onlineMeetings|{maya_id(graph_settings)}"] == 4
    assert set(seen) <= {f"onlineMeetings|{maya_id(graph_settings)}", "outlook"} and seen.get("outlook", 0) <= 4
    assert find_sync_work(store) == []


def test_a_lower_configured_limit_is_kept(graph_settings: GraphSettings, store: Store, admin: Any) -> None:
    ended_sessions(graph_settings, store, admin, 12, ids_known=True)
    admin.post("/config", {"latencyMs": 30, "mailboxConcurrency": 2})
    admin.post("/requests/reset", {})
    result = sync(replace(graph_settings, mailbox_concurrency=2, meeting_concurrency=2), store, window=4)
    assert result.decided == {"completed": 9, "no_show": 3}
    counted = admin.get("/concurrency")
    assert counted["refused"] == 0 and peaks(counted)[f"onlineMeetings|{maya_id(graph_settings)}"] == 2
    assert max(counted["peak"].values()) == 2


def test_ended_sessions_with_their_meeting_id_cost_two_items_each(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    ended_sessions(graph_settings, store, admin, 10, ids_known=True)
    admin.post("/requests/reset", {})
    sync(graph_settings, store, window=100)
    counts = admin.get("/requests")["counts"]
    items = admin.get("/requests")["batchItems"]
    assert items == 20  # the reports of each meeting, and its one report with its records
    assert sum(n for route, n in counts.items() if "attendanceReport" in route) == 20


def test_a_throttled_item_waits_alone_while_the_organizers_other_work_goes_on(
    graph_settings: GraphSettings, store: Store, admin: Any
) -> None:
    sessions = ended_sessions(graph_settings, store, admin, 8, ids_known=True)
    slow = min(sessions, key=lambda s: s.start)  # in the first round: the others come after it
    listing = f"{slow.online_meeting_id}/attendanceReports$"
    admin.post("/faults", {"path": listing, "status": 429, "retryAfter": 1, "times": 1})
    admin.post("/requests/reset", {})
    result = sync(graph_settings, store, window=2)
    assert result.decided == {"completed": 6, "no_show": 2}
    assert [s.state for s in store.list_sessions()].count(SessionState.COMPLETED) == 6
    log = [e for e in admin.get("/requests")["requests"] if e.get("batch")]
    mine = [n for n, e in enumerate(log) if e["path"].endswith(f"{slow.online_meeting_id}/attendanceReports")]
    assert [log[n]["status"] for n in mine] == [429, 200]  # refused once, then read
    between = log[mine[0] + 1 : mine[1]]
    # Other sessions' reports were read while this one waited its second: the organizer was not paused.
    other_reports = [e for e in between if "/attendanceReports/" in e["path"] and e["status"] == 200]
    assert len(other_reports) >= 4


def test_two_organizers_meetings_run_eight_at_once_while_outlook_keeps_to_the_apps_four(
    graph_settings: GraphSettings, admin: Any
) -> None:
    # Maya's and Ravi's meeting lookups have a lane of 4 each (onlineMeetings are not Outlook's: the
    # emulator's strict per organizer gate), so 8 run at once; meanwhile 12 calendarView reads of both
    # mailboxes share Outlook's 4 for the app (throttling-limits.md, "Limits per app ID"). One lane of 4
    # for everything would show peaks of at most 4 over all three gates; lanes per mailbox, 429s on Outlook.
    urls = [f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_probe{i:03d}%40thread.v2/0" for i in range(40)]
    day = NOW - timedelta(days=1)

    async def body(graph: GraphGateway) -> tuple[list[str], list[Any]]:
        organizers = [(await graph.get_user(upn)).id for upn in (MAYA, RAVI)]
        admin.post("/config", {"latencyMs": 100})  # long enough that 4 chains started together overlap
        admin.post("/requests/reset", {})
        lookups = [graph.find_meetings(o, urls) for o in organizers]
        reads = [graph.calendar_events(upn, day, NOW) for upn in (MAYA, RAVI) * 6]
        return organizers, list(await asyncio.gather(*lookups, *reads))

    try:
        organizers, answers = with_graph(graph_settings, body)
    finally:
        admin.post("/config", {"latencyMs": 0})
    assert [set(f.values()) for f in answers[:2]] == [{None}, {None}]  # no probe URL is a meeting
    assert all(isinstance(a, list) for a in answers[2:])
    counted = admin.get("/concurrency")
    assert counted["refused"] == 0
    seen = peaks(counted)
    assert seen.pop("outlook") <= 4  # both mailboxes' reads together
    # Each organizer's lane stays within its 4 (how close to 4 it gets depends on the machine's load).
    assert set(seen) == {f"onlineMeetings|{o}" for o in organizers}
    assert all(1 <= peak <= 4 for peak in seen.values())
    # The organizers' lookups ran alongside each other and the Outlook reads: more than one lane of 4
    # for the whole app could ever allow.
    [together] = counted["appPeak"].values()  # one app
    assert together > 4
