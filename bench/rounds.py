"""Round trips of a slot search and a booking at 100 ms Graph latency: each figure beside its limit.

    .venv/bin/python bench/rounds.py [--reps 5] [--latency-ms 100]

"One round" is measured, not assumed: a single GET mailboxSettings on a warm gateway (the latency plus
the client's own per-request cost). Then, each on a fresh gateway whose token is already held:
- cold search: the first `search_slots` (mailbox settings and directory entries not cached yet); limit
  2 rounds (it takes one: the mentor's mailbox settings, getSchedule, the mentor's calendarView and the
  mentees' directory entries all at once, services/slots.py);
- warm search: the next one (cached); limit 1.1 rounds;
- booking: `book_session` on a warm gateway (the re-check, then the create); limit 2 rounds.
Medians over `--reps`; HTTP requests and $batch items per call from the emulator's log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from common import MENTOR, NOW, Emulator, GraphCount, mentees, start_emulator_process, table

from graph.gateway import GraphGateway
from policies import parse_policy
from services.booking import BookingRequest, book_session
from services.slots import SlotQuery, search_slots
from store import open_store

__all__ = ["main"]

POLICY = parse_policy({"max_sessions_per_day": 100, "max_sessions_per_week": 500, "max_sessions_per_month": 2000})


async def timed(emu: Emulator, call: Callable[[], Awaitable[Any]]) -> tuple[tuple[float, float], GraphCount]:
    """(wall, this process's CPU) seconds of the call, and the Graph requests it made."""
    emu.reset_log()
    began, cpu = time.perf_counter(), time.process_time()
    await call()
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    return (wall, cpu), emu.count()


Found = dict[str, tuple[list[tuple[float, float]], GraphCount]]


async def measure(emu: Emulator, reps: int, people: int) -> Found:
    found: Found = {}

    def note(label: str, wall: tuple[float, float], count: GraphCount) -> None:
        walls, _ = found.setdefault(label, ([], count))
        walls.append(wall)
        found[label] = (walls, count)

    others = tuple(mentees(people))
    query = SlotQuery(mentor=MENTOR, mentees=others, now=NOW)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'rounds.db'}")
        for _ in range(reps):
            gateway = GraphGateway(emu.settings())
            try:
                await gateway.token()
                mailbox = gateway._client.users.by_user_id(MENTOR).mailbox_settings  # the bench's yardstick
                await gateway._json("GET mailboxSettings", mailbox.to_get_request_information())
                again = partial(gateway._json, "GET mailboxSettings", mailbox.to_get_request_information())
                note("one round (GET mailboxSettings)", *await timed(emu, again))
            finally:
                await gateway.aclose()
            gateway = GraphGateway(emu.settings())
            try:
                await gateway.token()
                note("cold search (token held)", *await timed(emu, partial(search_slots, gateway, POLICY, query)))
                answer = await search_slots(gateway, POLICY, query)
                note("warm search", *await timed(emu, partial(search_slots, gateway, POLICY, query)))
                start = answer.slots[len(answer.slots) // 2].start
                request = BookingRequest(
                    mentor=MENTOR, mentees=others[:1], start=start, question="q", idempotency_key=uuid.uuid4().hex
                )
                booking = partial(
                    book_session, gateway, store, POLICY, request, now=NOW, public_url="http://127.0.0.1:7071"
                )
                note("booking (warm gateway)", *await timed(emu, booking))
            finally:
                await gateway.aclose()
    return found


LIMITS = {"cold search (token held)": 2.0, "warm search": 1.1, "booking (warm gateway)": 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--mentees", default="1,5")
    args = parser.parse_args()
    rows = []
    with start_emulator_process() as emu:
        emu.set_latency(args.latency_ms)
        for people in (int(n) for n in args.mentees.split(",")):
            found = asyncio.run(measure(emu, args.reps, people))
            round_ms = statistics.median(w for w, _ in found["one round (GET mailboxSettings)"][0]) * 1000
            for label, (walls, count) in found.items():
                wall = statistics.median(w for w, _ in walls) * 1000
                cpu = statistics.median(c for _, c in walls) * 1000
                limit = LIMITS.get(label)
                rows.append([
                    people, label, count.http, count.batch_items, f"{wall:.0f}", f"{cpu:.0f}",
                    f"{wall / round_ms:.2f}", f"<= {limit}" if limit else "",
                    ("yes" if wall / round_ms <= limit else "NO") if limit else "",
                ])  # fmt: skip
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"Graph latency {args.latency_ms} ms; median of {args.reps}; rounds = wall / one measured round; "
          f"load average at the end {load} on {os.cpu_count()} cores")  # fmt: skip
    print(table("Round trips", ["mentees", "call", "HTTP requests", "$batch items", "wall ms", "client CPU ms",
                                "rounds", "limit (rounds)", "within"], rows))  # fmt: skip


if __name__ == "__main__":
    main()
