"""Graph requests and wall time per booking (`services.booking.book_session`), and bookings per second
through the local host over real HTTP.

    .venv/bin/python bench/booking.py [--sequential 20] [--concurrent 10] [--http 20]

In-process, with a SQLite store in a temporary folder: `--sequential` bookings one after another on one
gateway (the first finds the mailbox cache cold), then `--concurrent` bookings at once (asyncio.gather),
on a new gateway (cold cache) and again on a warm one. Over HTTP: uvicorn on a free loopback port serving
`LocalHost(function_app.app).asgi(run_background=False)` (no timer or queue workers, so only the route's
own Graph requests are counted), `--http` POST /api/sessions one after another, then as many again, 10 in
flight, each with the mentor's bearer token (signed by the emulator's identity endpoint).

Every booking takes its own free slot (found by one slot search first, 30 minutes apart), a mentor and
one mentee; the caps are raised so that they do not stop the run. The target per booking is one
getSchedule, one calendarView (the caps) and one POST event, plus one mailbox $batch while the cache is
cold. Requests come from the emulator's request log; CPU is this process's and the emulator's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from common import (
    MENTOR,
    NOW,
    Emulator,
    GraphCount,
    busy_calendar,
    mentees,
    seed_user,
    start_emulator_process,
    table,
)

from graph.gateway import GraphGateway
from micromentor.bootstrap import Runtime, configure
from micromentor.localhost import LocalHost
from micromentor.settings import Settings
from policies import parse_policy
from services.booking import BookingRequest, book_session
from services.slots import SlotQuery, search_slots
from store import open_store
from store.base import Store

__all__ = ["main"]

CAPS = {"max_sessions_per_day": 100, "max_sessions_per_week": 500, "max_sessions_per_month": 2000}
POLICY = parse_policy(CAPS)
QUESTION = "How do I run a retro that ends with one clear action?"
URL = "http://127.0.0.1:7071"
HTTP_MENTOR, HTTP_MENTEE = "http-mentor@bench.example", "http-mentee@bench.example"
SPACING = timedelta(minutes=30)  # 15-minute sessions with 5-minute buffers never touch


async def free_starts(emu: Emulator, mentor: str, mentee: str, count: int) -> list[datetime]:
    gateway = GraphGateway(emu.settings())
    try:
        answer = await search_slots(gateway, POLICY, SlotQuery(mentor=mentor, mentees=(mentee,), now=NOW))
    finally:
        await gateway.aclose()
    starts: list[datetime] = []
    for slot in answer.slots:
        if not starts or slot.start >= starts[-1] + SPACING:
            starts.append(slot.start)
    if len(starts) < count:
        raise SystemExit(f"only {len(starts)} spaced free slots for {mentor} and {mentee}, {count} needed")
    return starts[:count]


def request(start: datetime, mentor: str = MENTOR, mentee: str = mentees(1)[0]) -> BookingRequest:
    return BookingRequest(
        mentor=mentor, mentees=(mentee,), start=start, question=QUESTION, idempotency_key=uuid.uuid4().hex
    )


async def book(gateway: GraphGateway, store: Store, start: datetime) -> Any:
    return await book_session(gateway, store, POLICY, request(start), now=NOW, public_url=URL)


@dataclass
class Tally:
    """Requests, wall time and CPU (ours and the emulator's) over a number of bookings."""

    bookings: int = 0
    count: GraphCount = field(default_factory=GraphCount)
    walls: list[float] = field(default_factory=list)  # one per booking, or one for a whole gather
    client_cpu: float = 0.0
    emulator_cpu: float = 0.0

    def add(self, count: GraphCount) -> None:
        self.count.http += count.http
        self.count.batch_items += count.batch_items
        self.count.errors += count.errors
        self.count.by_route.update(count.by_route)

    def row(self, label: str) -> list[object]:
        n = self.bookings
        return [
            label,
            n,
            f"{self.count.http / n:.2f}",
            f"{self.count.batch_items / n:.2f}",
            self.count.errors,
            self.count.routes(per=n),
            f"{statistics.median(self.walls) * 1000:.0f}",
            f"{self.client_cpu / n * 1000:.0f}",
            f"{self.emulator_cpu / n * 1000:.0f}",
            f"{n / sum(self.walls):.2f}",
        ]


async def measured(emu: Emulator, tally: Tally, bookings: list[Awaitable[Any]]) -> None:
    """Run `bookings` at once (one is sequential), adding their requests and times to `tally`."""
    emu.reset_log()
    emulator_cpu, wall, cpu = emu.cpu_seconds(), time.perf_counter(), time.process_time()
    results = await asyncio.gather(*bookings, return_exceptions=True)
    tally.walls.append(time.perf_counter() - wall)
    tally.client_cpu += time.process_time() - cpu
    tally.emulator_cpu += emu.cpu_seconds() - emulator_cpu
    tally.bookings += len(bookings)
    tally.add(emu.count())
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise SystemExit(f"{len(failures)} of {len(bookings)} bookings failed, first: {failures[0]!r}")


async def in_process(emu: Emulator, store: Store, starts: list[datetime], sequential: int, concurrent: int) -> str:
    rows: list[list[object]] = []
    gateway = GraphGateway(emu.settings())
    try:
        await gateway.token()
        first, later = Tally(), Tally()
        for index, start in enumerate(starts[:sequential]):
            await measured(emu, later if index else first, [book(gateway, store, start)])
        rows.append(first.row("sequential: first (mailboxes cold)"))
        rows.append(later.row(f"sequential: bookings 2-{sequential}"))
    finally:
        await gateway.aclose()

    groups = [starts[sequential : sequential + concurrent], starts[sequential + concurrent :]]
    gateway = GraphGateway(emu.settings())
    try:
        await gateway.token()
        for label, group in zip(("new gateway (cold)", "same gateway (warm)"), groups, strict=True):
            tally = Tally()
            await measured(emu, tally, [book(gateway, store, s) for s in group])
            rows.append(tally.row(f"{len(group)} at once (gather): {label}"))
    finally:
        await gateway.aclose()
    return table(
        "Bookings in process (book_session, SQLite store, 1 mentee; per booking unless said)",
        [
            "run",
            "bookings",
            "HTTP requests",
            "$batch items",
            "errors",
            "requests by route",
            "wall ms (median; a gather: all)",
            "client CPU ms",
            "emulator CPU ms",
            "bookings/s",
        ],
        rows,
    )


class ServerThread:
    """uvicorn in a thread with its own event loop; the Runtime's gateway is closed on that loop."""

    def __init__(self, app: Any, rt: Runtime) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.runtime = rt
        self.thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name="bench-uvicorn", daemon=True)

    async def _serve(self) -> None:
        try:
            await self.server.serve()
        finally:
            await self.runtime.aclose()

    def start(self) -> int:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port: int = self.server.servers[0].sockets[0].getsockname()[1]
        return port

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


async def over_http(emu: Emulator, folder: Path, n: int) -> str:
    import function_app

    # A second mentor and mentee, added through the emulator's admin surface, with calendars as busy as
    # the seeded ones (the cost of a booking grows with the mentor's calendarView).
    rng = random.Random(7)
    emu.add_user(seed_user(HTTP_MENTOR, "HTTP Mentor", "GMT Standard Time", busy_calendar(rng, 1, mentor=True)))
    emu.add_user(seed_user(HTTP_MENTEE, "HTTP Mentee", "GMT Standard Time", busy_calendar(rng, 2, mentor=False)))
    starts = await free_starts(emu, HTTP_MENTOR, HTTP_MENTEE, 2 * n)
    policy_file = folder / "policy.json"
    policy_file.write_text(json.dumps(CAPS), encoding="utf-8")
    settings = Settings(
        graph=emu.settings(), store_url=f"sqlite:///{folder / 'http.db'}", policy_file=str(policy_file), public_url=URL
    )
    rt = Runtime(settings, clock=lambda: NOW)
    configure(rt)
    server = ServerThread(LocalHost(function_app.app).asgi(run_background=False), rt)
    port = server.start()
    rows: list[list[object]] = []
    try:
        # The routes take a bearer token now: the mentor's own, signed by the emulator's identity endpoint,
        # so each booking also pays the token validation (JWKS cached after the first).
        auth = {"Authorization": f"Bearer {emu.user_token(HTTP_MENTOR)}"}
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=60, headers=auth
        ) as client:

            async def post(start: datetime) -> float:
                body = {
                    "mentor": HTTP_MENTOR,
                    "mentees": [HTTP_MENTEE],
                    "start": start.isoformat(),
                    "question": QUESTION,
                }
                began = time.perf_counter()
                answer = await client.post("/api/sessions", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                if answer.status_code in (401, 403):
                    raise PermissionError(answer.status_code)
                if answer.status_code != 201:
                    raise SystemExit(f"POST /api/sessions answered {answer.status_code}: {answer.text[:300]}")
                return time.perf_counter() - began

            async def phase(label: str, call: Callable[[], Awaitable[list[float]]]) -> None:
                emu.reset_log()
                emulator_cpu, began, cpu = emu.cpu_seconds(), time.perf_counter(), time.process_time()
                latencies = await call()
                elapsed, used = time.perf_counter() - began, time.process_time() - cpu
                emulator_used = emu.cpu_seconds() - emulator_cpu
                count, n = emu.count(), len(latencies)
                rows.append(
                    [
                        label,
                        n,
                        f"{count.http / n:.2f}",
                        count.errors,
                        count.routes(per=n),
                        f"{statistics.median(latencies) * 1000:.0f}",
                        f"{used / n * 1000:.0f}",
                        f"{emulator_used / n * 1000:.0f}",
                        f"{n / elapsed:.2f}",
                    ]
                )

            async def one_by_one() -> list[float]:
                return [await post(s) for s in starts[:n]]

            async def ten_in_flight() -> list[float]:
                gate = asyncio.Semaphore(10)

                async def limited(start: datetime) -> float:
                    async with gate:
                        return await post(start)

                return list(await asyncio.gather(*(limited(s) for s in starts[n:])))

            try:
                await phase("HTTP, one at a time (first finds the cache cold)", one_by_one)
                await phase("HTTP, 10 in flight", ten_in_flight)
            except PermissionError as refused:
                return (
                    f"\nHTTP part skipped: POST /api/sessions answered {refused.args[0]} "
                    "to the mentor's emulator-signed bearer token."
                )
    finally:
        server.stop()
        configure(None)
    return table(
        "Bookings over HTTP (POST /api/sessions to the local host on loopback; per booking)",
        [
            "run",
            "bookings",
            "Graph HTTP requests",
            "errors",
            "Graph requests by route",
            "POST median ms",
            "host+client CPU ms",
            "emulator CPU ms",
            "bookings/s",
        ],
        rows,
    )


async def run(emu: Emulator, sequential: int, concurrent: int, http: int) -> list[str]:
    starts = await free_starts(emu, MENTOR, mentees(1)[0], sequential + 2 * concurrent)
    with tempfile.TemporaryDirectory(prefix="mm-bench-booking-") as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        out = [await in_process(emu, store, starts, sequential, concurrent)]
        if http:
            out.append(await over_http(emu, Path(folder), http))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequential", type=int, default=20)
    parser.add_argument("--concurrent", type=int, default=10)
    parser.add_argument("--http", type=int, default=20, help="bookings per HTTP phase (0 skips HTTP)")
    args = parser.parse_args()
    with start_emulator_process() as emu:
        for text in asyncio.run(run(emu, args.sequential, args.concurrent, args.http)):
            print(text)


if __name__ == "__main__":
    main()
