"""Graph requests and wall time to read free/busy and mailbox settings for 1, 5 and 20 people.

    .venv/bin/python bench/graph_schedules.py [--reps 3] [--latency-ms 0,50]

`GraphGateway.get_schedules` (one getSchedule per 20 people) against the naive alternative, one
calendarView per person (sequential, and all at once with asyncio.gather); `GraphGateway.get_mailboxes`
(one $batch per 20 people, mailbox cache emptied before each run) against one GET mailboxSettings per
person. Requests are counted from the emulator's request log; times are medians over `--reps` runs on a
warm connection pool; "client CPU" is this process's CPU time (the emulator has its own process). With
`--latency-ms 50` the emulator waits 50 ms before answering each Graph request, which makes the cost of
the request count visible. A last table compares the client CPU of parsing one calendarView page into
msgraph-sdk models with `json.loads` of the same answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from common import (
    MENTOR,
    NOW,
    Emulator,
    GraphCount,
    NaiveGraph,
    median_ms,
    mentees,
    start_emulator_process,
    table,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import CalendarViewRequestBuilder

from core.timefmt import iso_z
from graph.gateway import GraphGateway
from graph.values import Schedule

__all__ = ["main"]

SIZES = (1, 5, 20)
WINDOW = (NOW, NOW + timedelta(days=16))  # what a 14-day slot search asks for, padded by a day each side
CAP_WINDOW = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))  # core.slots.cap_window at NOW
STEP_MINUTES = 15


def people(count: int) -> list[str]:
    return [MENTOR, *mentees(count - 1)]


async def measure(
    emu: Emulator, call: Callable[[], Awaitable[Any]], reps: int, before: Callable[[], None] | None = None
) -> tuple[GraphCount, list[float], list[float]]:
    """`reps` timed runs: the last run's request count, wall seconds and this process's CPU seconds (the
    emulator runs in another process, so that is the client's own work: the SDK's parsing above all)."""
    walls: list[float] = []
    cpus: list[float] = []
    count = GraphCount()
    for _ in range(reps):
        if before is not None:
            before()
        emu.reset_log()
        wall, cpu = time.perf_counter(), time.process_time()
        await call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        count = emu.count()
    return count, walls, cpus


async def run(emu: Emulator, reps: int, latencies: list[int]) -> list[str]:
    gateway = GraphGateway(emu.settings())
    naive = NaiveGraph(gateway.settings)
    await gateway.token()
    await naive.token()
    # Open the connections both sides will reuse, so no timed run pays TLS handshakes.
    await gateway.get_mailboxes(people(max(SIZES)))
    await asyncio.gather(*(naive.mailbox(u) for u in people(max(SIZES))))
    out: list[str] = []
    try:
        for latency in latencies:
            emu.set_latency(latency)
            rows: list[list[object]] = []
            for size in SIZES:
                who = people(size)

                async def schedules(who: list[str] = who) -> dict[str, Schedule]:
                    return await gateway.get_schedules(MENTOR, who, *WINDOW, STEP_MINUTES)

                async def views_sequential(who: list[str] = who) -> list[Any]:
                    return [await gateway.calendar_items(u, *WINDOW) for u in who]

                async def views_parallel(who: list[str] = who) -> list[list[Any]]:
                    return await asyncio.gather(*(gateway.calendar_items(u, *WINDOW) for u in who))

                async def mailboxes(who: list[str] = who) -> Any:
                    return await gateway.get_mailboxes(who)

                async def mailbox_gets(who: list[str] = who) -> list[Any]:
                    return await asyncio.gather(*(naive.mailbox(u) for u in who))

                # The mailbox cache is the point of get_mailboxes; empty it so each run pays the $batch.
                def cold() -> None:
                    gateway._mailboxes.clear()

                cases: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], None] | None]] = [
                    ("get_schedules (getSchedule)", schedules, None),
                    ("naive: calendarView each, sequential", views_sequential, None),
                    ("naive: calendarView each, gather", views_parallel, None),
                    ("get_mailboxes ($batch, cold cache)", mailboxes, cold),
                    ("naive: GET mailboxSettings each, gather", mailbox_gets, None),
                ]
                baseline: dict[str, float] = {}
                for name, call, before in cases:
                    count, walls, cpus = await measure(emu, call, reps, before)
                    median = statistics.median(walls)
                    family = "mailbox" if "mailbox" in name else "schedule"
                    baseline.setdefault(family, median)
                    ratio = median / baseline[family]
                    rows.append(
                        [
                            size,
                            name,
                            count.http,
                            count.batch_items,
                            count.errors,
                            median_ms(walls),
                            median_ms(cpus),
                            f"{ratio:.1f}x",
                        ]
                    )
            out.append(
                table(
                    f"Free/busy and mailbox reads, emulator latency {latency} ms (median of {reps})",
                    [
                        "people",
                        "approach",
                        "HTTP requests",
                        "$batch items",
                        "errors",
                        "wall ms",
                        "client CPU ms",
                        "wall vs gateway",
                    ],
                    rows,
                )
            )
    finally:
        emu.set_latency(0)
        await naive.aclose()
        await gateway.aclose()
    return out


async def parse_cost(emu: Emulator, reps: int) -> str:
    """Client CPU of one calendarView page: through msgraph-sdk's Event models (what the gateway does)
    against plain `json.loads` of the same answer (httpx, same TLS, same query)."""
    gateway = GraphGateway(emu.settings())
    token = await gateway.token()
    verify = ssl.create_default_context(cafile=emu.ca_cert_path)
    rows: list[list[object]] = []
    try:
        async with httpx.AsyncClient(verify=verify, trust_env=False, timeout=30) as raw:

            async def plain(user: str, start: datetime, end: datetime) -> list[Any]:
                answer = await raw.get(
                    f"{emu.graph_url}/users/{user}/calendarView",
                    params={"startDateTime": iso_z(start), "endDateTime": iso_z(end), "$top": "100"},
                    headers={"Authorization": f"Bearer {token}", "Prefer": 'outlook.timezone="UTC"'},
                )
                answer.raise_for_status()
                value: list[Any] = json.loads(answer.content)["value"]
                return value

            cases = [("16-day search window", WINDOW), ("mentor cap window (Nov 1 - Jan 1)", CAP_WINDOW)]

            async def sdk_models(user: str, start: datetime, end: datetime) -> list[Any]:
                query = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
                    start_date_time=iso_z(start), end_date_time=iso_z(end), top=100
                )
                config: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
                page = await gateway._client.users.by_user_id(user).calendar_view.get(config)
                return list(page.value or []) if page else []

            readers = (
                ("msgraph-sdk Event models", sdk_models),
                ("GraphGateway.calendar_events (JSON)", gateway.calendar_events),
                ("json.loads over plain httpx", plain),
            )
            for label, (start, end) in cases:
                for name, read in readers:
                    await read(MENTOR, start, end)  # warm the connection
                    cpus = []
                    events = 0
                    for _ in range(reps):
                        began = time.process_time()
                        events = len(await read(MENTOR, start, end))
                        cpus.append(time.process_time() - began)
                    per_event = statistics.median(cpus) / max(events, 1) * 1000
                    rows.append([label, events, name, median_ms(cpus), f"{per_event:.2f}"])
    finally:
        await gateway.aclose()
    return table(
        f"Client CPU of one mentor calendarView page (median of {reps})",
        ["window", "events", "parsed with", "client CPU ms", "CPU ms per event"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--latency-ms", default="0,50", help="comma-separated emulator latencies")
    args = parser.parse_args()
    latencies = [int(x) for x in str(args.latency_ms).split(",") if x.strip()]
    with start_emulator_process() as emu:
        for text in asyncio.run(run(emu, args.reps, latencies)):
            print(text)
        print(asyncio.run(parse_cost(emu, max(args.reps, 5))))
    print(
        "\n$batch items count separately: Graph throttles each item as a request, but the wire sees one round "
        "trip. The emulator runs up to 4 items of a $batch at a time, as Outlook does (json-batching.md), and "
        "applies latencyMs to the $batch and to each item: a $batch of 20 at 50 ms takes about (1 + 20/4) x 50 "
        "ms, so with latency the per-person GETs can answer sooner, at 20 times the requests."
    )


if __name__ == "__main__":
    main()
