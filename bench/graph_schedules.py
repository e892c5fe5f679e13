"""Graph requests and wall time to read free/busy and mailbox settings for 1, 5 and 20 people.

    .venv/bin/python bench/graph_schedules.py [--reps 5] [--latency-ms 0,50]

`GraphGateway.get_schedules` (one getSchedule per 20 people) against the naive alternative, one
calendarView per person (sequential, and all at once with asyncio.gather); `GraphGateway.get_mailboxes`
(one $batch per 20 people, mailbox cache emptied before each run) against one GET mailboxSettings per
person. Requests are counted from the emulator's request log; times are medians over `--reps` runs on a
warm connection pool, after one discarded warm-up run. With `--latency-ms 50` the emulator waits 50 ms
before answering each Graph request, which makes the cost of the request count visible.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from common import MENTOR, NOW, Emulator, GraphCount, median_ms, mentees, start_emulator_process, table

from graph.auth import MsalTokenProvider
from graph.client import build_graph_client
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from graph.values import Schedule

__all__ = ["main"]

SIZES = (1, 5, 20)
WINDOW = (NOW, NOW + timedelta(days=16))  # what a 14-day slot search asks for, padded by a day each side
STEP_MINUTES = 15


def people(count: int) -> list[str]:
    return [MENTOR, *mentees(count - 1)]


class NaiveGraph:
    """The per-person alternative, through the same msgraph-sdk stack as the gateway."""

    def __init__(self, settings: GraphSettings) -> None:
        self.tokens = MsalTokenProvider(settings)
        self.client, self.http = build_graph_client(settings, self.tokens)

    async def mailbox(self, user: str) -> Any:
        return await self.client.users.by_user_id(user).mailbox_settings.get()

    async def aclose(self) -> None:
        await self.http.aclose()


async def measure(
    emu: Emulator, call: Callable[[], Awaitable[Any]], reps: int, before: Callable[[], None] | None = None
) -> tuple[GraphCount, list[float]]:
    """One warm-up run, then `reps` timed runs; the request count is the last run's."""
    times: list[float] = []
    count = GraphCount()
    for rep in range(reps + 1):
        if before is not None:
            before()
        emu.reset_log()
        began = time.perf_counter()
        await call()
        elapsed = time.perf_counter() - began
        count = emu.count()
        if rep:
            times.append(elapsed)
    return count, times


async def run(emu: Emulator, reps: int, latencies: list[int]) -> list[str]:
    gateway = GraphGateway(emu.settings())
    naive = NaiveGraph(gateway.settings)
    await gateway.token()
    await naive.tokens.get_authorization_token(gateway.settings.graph_url)
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

                async def views_parallel(who: list[str] = who) -> list[Any]:
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
                    count, times = await measure(emu, call, reps, before)
                    median = sorted(times)[len(times) // 2]
                    family = "mailbox" if "mailbox" in name else "schedule"
                    baseline.setdefault(family, median)
                    ratio = median / baseline[family] if baseline[family] else float("nan")
                    rows.append([size, name, count.http, count.batch_items, count.errors, median_ms(times), f"{ratio:.1f}×"])
            out.append(
                table(
                    f"Free/busy and mailbox reads, emulator latency {latency} ms (median of {reps})",
                    ["people", "approach", "HTTP requests", "$batch items", "errors", "ms", "time vs gateway"],
                    rows,
                )
            )
    finally:
        emu.set_latency(0)
        await naive.aclose()
        await gateway.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--latency-ms", default="0,50", help="comma-separated emulator latencies")
    args = parser.parse_args()
    latencies = [int(x) for x in str(args.latency_ms).split(",") if x.strip()]
    with start_emulator_process() as emu:
        for text in asyncio.run(run(emu, args.reps, latencies)):
            print(text)
    print(
        "\n$batch items count separately: Graph bills and throttles each item as a request, but the wire "
        "sees one round trip. The emulator applies latencyMs to the $batch and again to every item, one after "
        "another, so with latency the $batch rows overstate what Graph (which runs items in parallel) takes."
    )


if __name__ == "__main__":
    main()
