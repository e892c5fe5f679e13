"""Sync throughput: ended sessions of 10 organizers synced per second through msgraph-sdk against the
emulator (a child process) with 100 ms latency on every Graph request, a 429 (Retry-After: 1) every 50
requests, and the emulator's concurrency gates enforced: Outlook's 4 requests at once per app (documented)
and 4 onlineMeetings requests at once per organizer (the emulator's strict choice; no doc gives one).

    .venv/bin/python bench/sync.py            # 10 x 100 and 10 x 1,000 sessions, meeting ids stored
    .venv/bin/python bench/sync.py 500 --lookup --naive   # other sizes; meetings looked up; naive way

Each size runs in its own process (peak RSS per size). Prints sessions/s beside the ceiling Graph's
limits allow (see `ceiling`, explained in bench/README.md) and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import start_emulator_process, table
from core.model import Session
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
OUTLOOK_LIMIT = 4  # per app, all mailboxes: documented (throttling-limits.md, "Limits per app ID")
MEETING_LIMIT = 4  # per organizer: the emulator's strict choice for onlineMeetings (no documented limit)


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

    async def outlook_requests(self) -> int:
        """Requests (batch items included) that went through Outlook's gate: everything below
        /users/{user}/ but onlineMeetings (emulator/graphapi.py `_mailbox`)."""
        log = (await self.http.get("/requests")).json()
        return sum(
            n for route, n in log["counts"].items()
            if "/users/{user}/" in route and "/onlineMeetings" not in route
        )  # fmt: skip

    async def graph_requests(self) -> tuple[int, int]:
        """HTTP requests to Graph (token requests excluded), and the items carried inside $batch; from
        the log's counters, which count everything (its list of entries keeps only the latest 20,000)."""
        log = (await self.http.get("/requests")).json()
        tokens = sum(n for route, n in log["counts"].items() if "token" in route.lower())
        items = int(log["batchItems"])
        return int(log["total"]) - items - tokens, items


async def prepare(count: int, emulator: Any, store: Any, *, ids_known: bool) -> None:
    """`count` ended sessions, each a real Teams meeting on its mentor's calendar with a report. With
    `ids_known`, each session already holds its online meeting's id, as an earlier sync run before the
    meeting ended leaves it (the lookups are made here, one organizer's together, outside the measured sync)."""
    graph = GraphGateway(emulator_settings(emulator))
    admin = Admin(emulator)
    gate = asyncio.Semaphore(32)

    async def one(i: int) -> Session:
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
        return Session(
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
        )

    sessions = await asyncio.gather(*(one(i) for i in range(count)))
    if ids_known:

        async def ids_of(mentor: str) -> dict[str, str | None]:
            organizer_id = (await graph.get_user(mentor)).id
            return await graph.find_meetings(organizer_id, [s.join_url or "" for s in sessions if s.mentor == mentor])

        found: dict[str, str | None] = {}
        for ids in await asyncio.gather(*(ids_of(m) for m in sorted({s.mentor for s in sessions}))):
            found.update(ids)
        sessions = [replace(s, online_meeting_id=found.get(s.join_url or "")) for s in sessions]
    for session in sessions:
        store.add_session(session)
    await graph.aclose()
    await admin.http.aclose()


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


def ceiling(sessions: int, items_per_session: int, outlook_requests: int) -> float:
    """Sessions per second the concurrency limits allow (bench/README.md, "The sync ceiling"). Two lanes
    run side by side, so sync takes at least the longer of:
    - attendance: `sessions x items_per_session` onlineMeetings requests, MEETING_LIMIT at once per
      organizer (the emulator's strict choice), each taking the latency;
    - Outlook: `outlook_requests` (calendar delta, events), OUTLOOK_LIMIT at once for the whole app
      (documented), each taking the latency.
    One request in THROTTLE_EVERY + 1 is a 429 that must be sent again."""
    latency = LATENCY_MS / 1000
    attendance = sessions * items_per_session / (MENTORS * MEETING_LIMIT / latency)
    outlook = outlook_requests / (OUTLOOK_LIMIT / latency)
    return sessions / max(attendance, outlook) * THROTTLE_EVERY / (THROTTLE_EVERY + 1)


def vm_hwm_mb(pid: int | str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def clear_peak(pid: int | str) -> None:
    """Reset a process's VmHWM to its current RSS (Linux: 5 > /proc/PID/clear_refs), so a peak read
    later is the peak of what ran since."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def sync_child(spec: dict[str, Any]) -> dict[str, Any]:
    """The measured sync, in a fresh interpreter of its own (`--sync-child`): its peak RSS (VmHWM, which
    exec resets; ru_maxrss would carry the bench's own over) is the sync's, not preparation's. CPU is
    this process's (all threads: the store's writes run in worker threads) and the event loop thread's."""
    emulator = SimpleNamespace(**spec["emulator"])
    store = open_store(spec["store"])
    # Not timed: msgraph-sdk loads a request builder's modules when first used, once per process (a
    # long-lived host has them); bench/cold_start.py measures that.
    user = GraphGateway(emulator_settings(emulator))._client.users.by_user_id("warm-up")
    meeting = user.online_meetings.by_online_meeting_id("m")
    meeting.attendance_reports.by_meeting_attendance_report_id("r").to_get_request_information()
    user.calendar_view.delta.to_get_request_information()
    before = os.getloadavg()
    started, cpu, loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    decided = asyncio.run(run_sync(emulator, store))
    wall = time.perf_counter() - started
    cpu, loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
    return {"wall": wall, "cpu": cpu, "loop_cpu": loop_cpu, "decided": decided,
            "client_rss_mb": vm_hwm_mb("self"), "load": [before, os.getloadavg()]}  # fmt: skip


async def measure_one(count: int, ids_known: bool, naive: bool) -> dict[str, Any]:
    """One size: prepared in this process, synced in a child process, the emulator in another (so each
    one's peak RSS is its own)."""
    with start_emulator_process(seed()) as emulator, tempfile.TemporaryDirectory() as folder:
        store_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        store = open_store(store_url)
        started = time.perf_counter()
        await prepare(count, emulator, store, ids_known=ids_known)
        print(f"  prepared {count} sessions in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        admin = Admin(emulator)
        await admin.post("/config", {"latencyMs": LATENCY_MS})
        await admin.post("/faults", {"status": 429, "retryAfter": 1, "every": THROTTLE_EVERY})
        await admin.post("/requests/reset", {})
        where = {k: getattr(emulator, k) for k in ("tenant_id", "graph_url", "authority", "ca_cert_path")}
        spec = json.dumps({"emulator": where, "store": store_url})
        emulator_rss_before = vm_hwm_mb(emulator.process.pid)
        clear_peak(emulator.process.pid)
        emulator_cpu = emulator.cpu_seconds()
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, __file__, "--sync-child", spec], check=True, capture_output=True, text=True
        )
        emulator_cpu = emulator.cpu_seconds() - emulator_cpu
        synced = json.loads(done.stdout.strip().splitlines()[-1])
        requests, items = await admin.graph_requests()
        outlook = await admin.outlook_requests()
        limits = (await admin.http.get("/concurrency")).json()
        row: dict[str, Any] = {
            "sessions": count,
            "ids_known": ids_known,
            "requests": requests,
            "items": items,
            "outlook_requests": outlook,
            "emulator_cpu": emulator_cpu,
            "peak_outlook": max((n for k, n in limits["peak"].items() if k.endswith("|outlook")), default=0),
            "peak_meetings": max((n for k, n in limits["peak"].items() if "|onlineMeetings|" in k), default=0),
            "peak_app": max(limits["appPeak"].values(), default=0),
            "refused": limits["refused"],
            "emulator_rss_before_mb": emulator_rss_before,
            "emulator_rss_mb": vm_hwm_mb(emulator.process.pid),
            **synced,
        }
        if naive:
            await admin.post("/requests/reset", {})
            started = time.perf_counter()
            await run_naive(emulator, store.list_sessions())
            row["naive_wall"] = time.perf_counter() - started
            row["naive_requests"], _ = await admin.graph_requests()
        await admin.http.aclose()
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[MENTORS * 100, MENTORS * 1_000])
    parser.add_argument("--lookup", action="store_true", help="also sync sessions whose meeting ids are unknown")
    parser.add_argument("--naive", action="store_true", help="also time one request per call (smallest size)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child run: one size, JSON out
    parser.add_argument("--ids-unknown", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sync-child", help=argparse.SUPPRESS)  # the measured sync: JSON in, JSON out
    args = parser.parse_args()
    if args.sync_child:
        print(json.dumps(sync_child(json.loads(args.sync_child))))
        return
    if args.one:
        print(json.dumps(asyncio.run(measure_one(args.one, not args.ids_unknown, args.naive))))
        return
    rows = []
    for n, size in enumerate(args.sizes):
        for ids_known in (True, False) if args.lookup else (True,):
            how = "stored" if ids_known else "looked up"
            print(f"sync bench: {size} sessions, meeting ids {how} …", file=sys.stderr)
            command = [sys.executable, __file__, "--one", str(size)]
            command += [] if ids_known else ["--ids-unknown"]
            command += ["--naive"] if args.naive and n == 0 and not ids_known else []
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            sys.stderr.write(done.stderr)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        f"{MENTORS} organizers, latency {LATENCY_MS} ms per Graph request, a 429 (Retry-After: 1) every "
        f"{THROTTLE_EVERY} requests; enforced by the emulator: at most {OUTLOOK_LIMIT} Outlook requests at once "
        f"per app (documented, throttling-limits.md) and {MEETING_LIMIT} onlineMeetings requests at once per "
        "organizer (the emulator's strict choice: no doc gives one)"
    )
    print(
        "ceiling = sessions / max(attendance s, Outlook s) x 50/51, attendance s = sessions x items per session / "
        f"({MENTORS} organizers x {MEETING_LIMIT} / {LATENCY_MS / 1000:g} s), Outlook s = Outlook requests / "
        f"({OUTLOOK_LIMIT} / {LATENCY_MS / 1000:g} s)"
    )
    header = ["sessions", "meeting ids", "HTTP requests", "items/session", "wall s", "sessions/s", "target",
              "ceiling/s", "ratio", "target", "client CPU s (loop)", "client CPU ms/session", "emulator CPU s",
              "load 1 min (start/end)", "Outlook requests", "peak Outlook", "peak per organizer", "peak app",
              "refused"]  # fmt: skip
    lines = []
    for row in rows:
        nominal = 2 if row["ids_known"] else 3
        rate = row["sessions"] / row["wall"]
        top = ceiling(row["sessions"], nominal, row["outlook_requests"])
        lines.append([
            f"{row['sessions']:,}", "stored" if row["ids_known"] else "looked up", f"{row['requests']:,}",
            f"{row['items'] / row['sessions']:.2f}", f"{row['wall']:.1f}", f"{rate:.0f}", ">= 150",
            f"{top:.0f}", f"{rate / top:.2f}", ">= 0.75", f"{row['cpu']:.1f} ({row['loop_cpu']:.1f})",
            f"{row['cpu'] / row['sessions'] * 1000:.2f}", f"{row['emulator_cpu']:.1f}",
            f"{row['load'][0][0]:.1f} / {row['load'][1][0]:.1f}", str(row["outlook_requests"]),
            f"{row['peak_outlook']} (<= {OUTLOOK_LIMIT})", f"{row['peak_meetings']} (<= {MEETING_LIMIT})",
            str(row["peak_app"]), str(row["refused"]),
        ])  # fmt: skip
        if "naive_wall" in row:
            naive_rate = row["sessions"] / row["naive_wall"]
            lines.append([f"{row['sessions']:,}", "naive", f"{row['naive_requests']:,}", "", f"{row['naive_wall']:.1f}",
                          f"{naive_rate:.0f}"] + [""] * 13)  # fmt: skip
    print(table("Sync throughput", header, lines))
    memory = [
        [f"{row['sessions']:,}", "stored" if row["ids_known"] else "looked up", f"{row['client_rss_mb']:.0f}",
         f"{row['emulator_rss_before_mb']:.0f}", f"{row['emulator_rss_mb']:.0f}"]
        for row in rows
    ]  # fmt: skip
    title = "Peak RSS (VmHWM, MB): the sync process; the emulator before the sync and its peak during it"
    columns = ["sessions", "meeting ids", "client (sync process)", "emulator before sync", "emulator peak"]
    print(table(title, columns, memory))
    stored = [r for r in rows if r["ids_known"]]
    if len(stored) >= 2:
        small, big = stored[0], stored[-1]
        growth = big["emulator_rss_mb"] - small["emulator_rss_mb"]
        client = big["client_rss_mb"] - small["client_rss_mb"]
        print(
            f"client peak RSS: {small['client_rss_mb']:.0f} MB at {small['sessions']:,} sessions, "
            f"{big['client_rss_mb']:.0f} MB at {big['sessions']:,} (+{client:.0f} MB; target: no more than the "
            f"emulator's own growth, +{growth:.0f} MB)"
        )


if __name__ == "__main__":
    main()
