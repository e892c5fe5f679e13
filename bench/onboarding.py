"""Onboarding a cohort (`services.onboarding.onboard_cohort`): wall time and Graph requests of a dry run,
a real run and a rerun (which books nothing twice), for `--joiners` joiners and `--mentors` mentors.

    .venv/bin/python bench/onboarding.py [--joiners 40] [--mentors 10]

The tenant: mentors in London with one or two meetings a day, joiners across the nine zones of
`common.ZONES` (all overlapping London's day), everyone Mon-Fri 08:00-17:00; every joiner starts on the
bench's Monday with one of three skills. The reads are one mailbox $batch (joiners and mentors), per
mentor one getSchedule per 19 joiners and one calendarView; each booking adds the booking's own reads and
writes (services/booking.py). A SQLite store in a temporary folder; requests from the emulator's log.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from common import NOW, ZONES, busy_calendar, seed_user, start_emulator_process, table

from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.joiners import JoinerRow
from services.onboarding import OnboardingResult, onboard_cohort
from services.requests import parse_catalogue
from store import open_store

SKILLS = ("python", "sales", "design")


def _seed(joiners: int, mentors: int) -> dict[str, Any]:
    rng = random.Random(20261130)
    people = [
        seed_user(
            f"mentor{i:02d}@bench.example", f"Mentor {i}", "GMT Standard Time", busy_calendar(rng, 1, mentor=True)
        )
        for i in range(mentors)
    ]
    people += [
        seed_user(
            f"joiner{i:03d}@bench.example", f"Joiner {i}", ZONES[i % len(ZONES)], busy_calendar(rng, 1, mentor=False)
        )
        for i in range(joiners)
    ]
    return {"tenantId": "b3c4d5e6-0000-4000-8000-000000000016", "users": people}


async def _run(
    emulator: Any, store: Any, rows: tuple[JoinerRow, ...], catalogue: Any, dry_run: bool
) -> tuple[float, OnboardingResult]:
    graph = GraphGateway(emulator.settings())
    try:
        began = time.perf_counter()
        result = await onboard_cohort(
            graph, store, TenantPolicy(), catalogue, rows, now=NOW, public_url="http://127.0.0.1:7071", dry_run=dry_run
        )
        return time.perf_counter() - began, result
    finally:
        await graph.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joiners", type=int, default=40)
    parser.add_argument("--mentors", type=int, default=10)
    args = parser.parse_args()
    rows = tuple(
        JoinerRow(f"joiner{i:03d}@bench.example", NOW.date(), (SKILLS[i % len(SKILLS)],)) for i in range(args.joiners)
    )
    catalogue = parse_catalogue(
        [{"upn": f"mentor{i:02d}@bench.example", "skills": [SKILLS[i % len(SKILLS)]]} for i in range(args.mentors)]
    )
    lines = []
    with start_emulator_process(_seed(args.joiners, args.mentors)) as emulator, tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        for name, dry_run in (
            ("dry run (plan only)", True),
            ("run (plan and book)", False),
            ("rerun (nothing new)", False),
        ):
            emulator.reset_log()
            seconds, result = asyncio.run(_run(emulator, store, rows, catalogue, dry_run))
            count = emulator.count()
            placed = sum(1 for j in result.joiners if j.placed)
            sessions = sum(len(j.sessions) for j in result.joiners)
            lines.append((name, f"{seconds:.2f}", count.http, count.batch_items, placed, sessions))
        booked = len(store.list_sessions())
    print(
        table(
            f"Onboarding {args.joiners} joiners with {args.mentors} mentors ({booked} sessions in the store)",
            ("phase", "wall s", "Graph HTTP requests", "$batch items", "joiners placed", "sessions"),
            lines,
        )
    )


if __name__ == "__main__":
    main()
