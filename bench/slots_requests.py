"""Graph requests and wall time per slot search (`services.slots.search_slots`), 1, 5 and 19 mentees.

    .venv/bin/python bench/slots_requests.py [--reps 3] [--latency-ms 0,50]

Each run starts a new GraphGateway (token fetched before the clock starts) and searches twice: the first
search pays the mailbox $batch, the second finds the mailboxes cached. The naive alternative reads each
person's mailboxSettings and calendarView (all at once, with asyncio.gather) and runs the same core
search. "slots" is how many valid slots each found (every slot, no limit): the two must agree.
Requests come from the emulator's request log; times are medians over `--reps` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

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

from core.slots import SlotSearch, cap_window, find_slots
from graph.gateway import GraphGateway
from graph.mapping import mailbox_zone
from policies import TenantPolicy
from services.slots import SlotQuery, search_slots

__all__ = ["main"]

SIZES = (1, 5, 19)
POLICY = TenantPolicy()


async def naive_search(naive: NaiveGraph, mentor: str, others: list[str]) -> SlotSearch:
    """What gather_attendees does, one person at a time: the same windows, the same core search."""
    policy = POLICY.effective(mentor)
    pad = timedelta(days=1)
    window_from = NOW + timedelta(minutes=policy.min_notice_minutes) - pad
    window_to = NOW + timedelta(days=policy.horizon_days) + pad
    mentor_box = await naive.mailbox(mentor)  # the mentor's zone decides the cap window
    caps_from, caps_to = cap_window(now=NOW, policy=policy, mentor_tz=mailbox_zone(mentor_box.get("timeZone")))
    mentor_attendee, *mentee_attendees = await asyncio.gather(
        naive.attendee(mentor, min(caps_from, window_from), max(caps_to, window_to), mentor_box),
        *(naive.attendee(m, window_from, window_to) for m in others),
    )
    return find_slots(
        mentor=mentor_attendee, mentees=mentee_attendees, policy=policy, now=NOW, minutes=policy.session_minutes
    )


class Row:
    def __init__(self) -> None:
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.count = GraphCount()
        self.slots = 0


async def observe(emu: Emulator, row: Row, call: Callable[[], Awaitable[int]]) -> None:
    emu.reset_log()
    wall, cpu = time.perf_counter(), time.process_time()
    row.slots = await call()
    row.walls.append(time.perf_counter() - wall)
    row.cpus.append(time.process_time() - cpu)
    row.count = emu.count()


async def first_in_process(emu: Emulator) -> str:
    """The very first search of a process: msgraph-sdk imports its request builders and models lazily,
    on first use, so a cold Functions worker pays this once on top of the requests."""
    gateway = GraphGateway(emu.settings())
    try:
        await gateway.token()
        row = Row()
        query = SlotQuery(mentor=MENTOR, mentees=tuple(mentees(1)), now=NOW)

        async def search() -> int:
            return len((await search_slots(gateway, POLICY, query)).slots)

        await observe(emu, row, search)
        await observe(emu, row, search)
    finally:
        await gateway.aclose()
    return table(
        "First slot search in a fresh process vs the next one (1 mentee, latency 0 ms, one run each)",
        ["search", "wall ms", "client CPU ms"],
        [
            ["first in process (SDK modules load lazily)", f"{row.walls[0] * 1000:.1f}", f"{row.cpus[0] * 1000:.1f}"],
            ["next (same gateway, mailboxes cached)", f"{row.walls[1] * 1000:.1f}", f"{row.cpus[1] * 1000:.1f}"],
        ],
    )


async def run(emu: Emulator, reps: int, latencies: list[int]) -> list[str]:
    out = [await first_in_process(emu)]
    for latency in latencies:
        emu.set_latency(latency)
        lines: list[list[object]] = []
        for size in SIZES:
            who = mentees(size)
            first, second, naive_row = Row(), Row(), Row()
            for _ in range(reps):
                gateway = GraphGateway(emu.settings())
                naive = NaiveGraph(emu.settings())
                try:
                    await gateway.token()
                    await naive.token()
                    query = SlotQuery(mentor=MENTOR, mentees=tuple(who), now=NOW)

                    async def search(gateway: GraphGateway = gateway, query: SlotQuery = query) -> int:
                        return len((await search_slots(gateway, POLICY, query)).slots)

                    async def naive_slots(naive: NaiveGraph = naive, who: list[str] = who) -> int:
                        return len((await naive_search(naive, MENTOR, who)).slots)

                    await observe(emu, first, search)
                    await observe(emu, second, search)
                    await observe(emu, naive_row, naive_slots)
                finally:
                    await gateway.aclose()
                    await naive.aclose()
            base = statistics.median(first.walls)
            for label, row in (
                ("search_slots, first (mailboxes cold)", first),
                ("search_slots, second (mailboxes cached)", second),
                ("naive: mailboxSettings + calendarView each", naive_row),
            ):
                lines.append(
                    [
                        size,
                        label,
                        row.count.http,
                        row.count.batch_items,
                        row.count.errors,
                        row.count.routes(),
                        median_ms(row.walls),
                        median_ms(row.cpus),
                        f"{statistics.median(row.walls) / base:.1f}x",
                        row.slots,
                    ]
                )
        out.append(
            table(
                f"Graph requests per slot search, emulator latency {latency} ms (median of {reps})",
                [
                    "mentees",
                    "search",
                    "HTTP requests",
                    "$batch items",
                    "errors",
                    "requests by route",
                    "wall ms",
                    "client CPU ms",
                    "wall vs first",
                    "slots",
                ],
                lines,
            )
        )
    emu.set_latency(0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--latency-ms", default="0,50", help="comma-separated emulator latencies")
    args = parser.parse_args()
    latencies = [int(x) for x in str(args.latency_ms).split(",") if x.strip()]
    with start_emulator_process() as emu:
        for text in asyncio.run(run(emu, args.reps, latencies)):
            print(text)


if __name__ == "__main__":
    main()
