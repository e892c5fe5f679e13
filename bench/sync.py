"""Sync throughput: ended sessions synced per second through msgraph-sdk against the emulator with
100 ms latency on every Graph request and a 429 (Retry-After: 1) every 50 requests.

    .venv/bin/python bench/sync.py            # 1,000 and 10,000 sessions
    .venv/bin/python bench/sync.py 500        # other sizes

Compares micromentor's sync ($batch: 20 lookups per request) with the naive one request per call, on
the smallest size. Prints requests, wall time, sessions per second and peak RSS.
"""

from __future__ import annotations

import asyncio
import resource
import ssl
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.model import Session
from emulator import start_emulator
from graph.gateway import GraphGateway
from graph.values import EventDraft
from micromentor.cli import SYNC_PARALLEL
from micromentor.tenant import emulator_settings
from policies import TenantPolicy
from services.sync import find_sync_work, sync_organizer
from store import open_store

MENTORS = 10
MENTEES = 50
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
LATENCY_MS = 100
THROTTLE_EVERY = 50


def seed() -> dict[str, Any]:
    def user(kind: str, n: int) -> dict[str, Any]:
        upn = f"{kind}{n}@bench.example"
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, upn)),
            "userPrincipalName": upn,
            "mail": upn,
            "displayName": f"{kind} {n}",
            "mailboxSettings": {"timeZone": "UTC"},
            "events": [],
        }

    users = [user("mentor", n) for n in range(MENTORS)] + [user("mentee", n) for n in range(MENTEES)]
    return {"tenantId": "99999999-0000-0000-0000-000000000001", "users": users}


class Admin:
    def __init__(self, emulator: Any) -> None:
        context = ssl.create_default_context(cafile=emulator.ca_cert_path)
        self.http = httpx.AsyncClient(base_url=emulator.admin_url, verify=context, trust_env=False, timeout=60)

    async def post(self, path: str, body: Any) -> Any:
        answer = await self.http.post(path, json=body)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    async def delete(self, path: str) -> None:
        (await self.http.delete(path)).raise_for_status()

    async def graph_requests(self) -> tuple[int, int]:
        """HTTP requests to Graph (token requests excluded), and the items carried inside $batch; from
        the log's counters, which count everything (its list of entries keeps only the latest 20,000)."""
        log = (await self.http.get("/requests")).json()
        tokens = sum(n for route, n in log["counts"].items() if "token" in route.lower())
        items = int(log["batchItems"])
        return int(log["total"]) - items - tokens, items


async def prepare(count: int, emulator: Any, store: Any, *, ids_known: bool) -> list[Session]:
    """`count` ended sessions, each a real Teams meeting on its mentor's calendar with a report. With
    `ids_known`, each session already holds its online meeting's id, as an earlier sync run before the
    meeting ended leaves it (the lookup is made here, outside the measured sync)."""
    graph = GraphGateway(emulator_settings(emulator))
    admin = Admin(emulator)
    gate = asyncio.Semaphore(32)
    sessions: list[Session] = []

    async def one(i: int) -> None:
        mentor, mentee = f"mentor{i % MENTORS}@bench.example", f"mentee{i % MENTEES}@bench.example"
        start = NOW - timedelta(hours=1) - timedelta(minutes=15 * (i // MENTORS + 1))
        async with gate:
            draft = EventDraft(
                subject=f"Micro mentoring {i}",
                body_html="<p>agenda</p>",
                start=start,
                end=start + timedelta(minutes=15),
                zone=UTC,
                attendees=((mentee, mentee),),
                transaction_id=f"bench-{i}",
                categories=("Micro-mentoring",),
            )
            event = await graph.create_event(mentor, draft)
            meeting_id = None
            if ids_known:
                organizer_id = (await graph.get_user(mentor)).id
                meeting_id = (await graph.find_meetings(organizer_id, [event.join_url or ""])).get(event.join_url or "")
            stayed = 12 if i % 7 else 3  # one in seven mentees leaves early: a no-show
            await admin.post(
                "/meetings/attendance",
                {
                    "joinUrl": event.join_url,
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=15)).isoformat(),
                    "records": [
                        {
                            "upn": mentor,
                            "intervals": [
                                {"join": start.isoformat(), "leave": (start + timedelta(minutes=15)).isoformat()}
                            ],
                        },
                        {
                            "upn": mentee,
                            "intervals": [
                                {"join": start.isoformat(), "leave": (start + timedelta(minutes=stayed)).isoformat()}
                            ],
                        },
                    ],
                },
            )
        session = Session(
            id=f"s{i:05d}",
            mentor=mentor,
            mentees=(mentee,),
            start=start,
            end=start + timedelta(minutes=15),
            question="q",
            created_at=start - timedelta(days=1),
            event_id=event.id,
            join_url=event.join_url,
            transaction_id=f"bench-{i}",
            online_meeting_id=meeting_id,
        )
        await asyncio.to_thread(store.add_session, session)
        sessions.append(session)

    await asyncio.gather(*(one(i) for i in range(count)))
    await graph.aclose()
    await admin.http.aclose()
    return sessions


async def run_sync(emulator: Any, store: Any) -> dict[str, Any]:
    graph = GraphGateway(emulator_settings(emulator))
    gate = asyncio.Semaphore(SYNC_PARALLEL)
    decided: dict[str, int] = {}

    async def one(organizer: str) -> None:
        async with gate:
            result = await sync_organizer(graph, store, TenantPolicy(), organizer, now=NOW)
        for state, n in result.decided.items():
            decided[state] = decided.get(state, 0) + n

    await asyncio.gather(*(one(o) for o in find_sync_work(store)))
    await graph.aclose()
    return decided


async def run_naive(emulator: Any, sessions: list[Session]) -> int:
    """One request per lookup: find the meeting, list its reports, read each report."""
    graph = GraphGateway(emulator_settings(emulator))
    client = graph._client  # the bench reaches into the adapter on purpose, to time the naive way
    gate = asyncio.Semaphore(16)
    done = 0

    async def one(session: Session) -> None:
        nonlocal done
        async with gate:
            organizer = (await graph.get_user(session.mentor)).id
            meetings = client.users.by_user_id(organizer).online_meetings
            # The join URL encoded once on the wire, as Graph's example shows.
            url = f"{graph.settings.graph_url}/users/{organizer}/onlineMeetings?$filter=" + quote(
                f"JoinWebUrl eq '{session.join_url}'", safe=""
            )
            found = await graph._call("lookup", lambda: meetings.with_url(url).get())
            meeting = found.value[0].id
            listing = await graph._call("list", lambda: meetings.by_online_meeting_id(meeting).attendance_reports.get())
            for report in listing.value or ():
                item = meetings.by_online_meeting_id(meeting).attendance_reports.by_meeting_attendance_report_id(
                    report.id
                )
                await graph._call("report", lambda item=item: item.get())
        done += 1

    await asyncio.gather(*(one(s) for s in sessions))
    await graph.aclose()
    return done


async def measure(count: int, naive: bool) -> list[list[str]]:
    rows = []
    for ids_known in (False, True):
        with start_emulator(seed()) as emulator, tempfile.TemporaryDirectory() as folder:
            store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
            started = time.perf_counter()
            sessions = await prepare(count, emulator, store, ids_known=ids_known)
            print(f"  prepared {count} sessions in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            admin = Admin(emulator)
            await admin.post("/config", {"latencyMs": LATENCY_MS})
            await admin.post("/faults", {"status": 429, "retryAfter": 1, "every": THROTTLE_EVERY})
            await admin.post("/requests/reset", {})
            started = time.perf_counter()
            decided = await run_sync(emulator, store)
            wall = time.perf_counter() - started
            requests, items = await admin.graph_requests()
            label = f"{requests:,} ({items:,} batch items, {items / count:.2f} per session)"
            how = "micromentor, meeting ids stored" if ids_known else "micromentor, meetings looked up"
            rows.append([f"{count:,}", how, label, f"{wall:.1f}", f"{count / wall:.0f}", str(decided)])
            if naive and not ids_known:
                await admin.post("/requests/reset", {})
                started = time.perf_counter()
                await run_naive(emulator, sessions)
                wall_naive = time.perf_counter() - started
                naive_requests, _ = await admin.graph_requests()
                rows.append(
                    [
                        f"{count:,}",
                        "naive (1 request per call)",
                        f"{naive_requests:,}",
                        f"{wall_naive:.1f}",
                        f"{count / wall_naive:.0f}",
                        f"x{wall_naive / wall:.1f} slower",
                    ]
                )
            await admin.http.aclose()
    return rows


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000]
    header = ["sessions", "sync", "Graph requests", "wall s", "sessions/s", "outcome"]
    rows: list[list[str]] = []
    for n, size in enumerate(sizes):
        print(f"sync bench: {size} sessions …", file=sys.stderr)
        rows += asyncio.run(measure(size, naive=n == 0))
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"latency {LATENCY_MS} ms per Graph request, a 429 (Retry-After: 1) every {THROTTLE_EVERY} requests")
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run (emulator included): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
