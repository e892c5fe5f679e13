"""The onboarding planner alone (`core.onboarding.plan_onboarding`), no Graph: wall time and `fits` calls for
`--joiners` joiners and `--mentors` mentors, every pair offered every 15-minute slot 08:00-17:00 UTC on the
weekdays of the first two weeks (caps raised to 20 a day, 50 a week so the caps do not end the plan early).

    .venv/bin/python bench/onboarding_planner.py [--joiners 200] [--mentors 20]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta

import core.onboarding as onboarding
from core.model import Slot
from policies.model import Policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joiners", type=int, default=200)
    parser.add_argument("--mentors", type=int, default=20)
    args = parser.parse_args()
    base = datetime(2026, 11, 30, 8, tzinfo=UTC)
    starts = [
        base + timedelta(days=d, minutes=15 * k)
        for d in range(12)
        if (base + timedelta(days=d)).weekday() < 5
        for k in range(36)
    ]
    slots = tuple(Slot(s, s + timedelta(minutes=15)) for s in starts)
    joiners = [onboarding.NewJoiner(f"j{i:03d}", date(2026, 11, 30), UTC) for i in range(args.joiners)]
    policy = Policy(max_sessions_per_week=50, max_sessions_per_day=20)
    mentors = [onboarding.MentorLoad(f"m{i:02d}", UTC, policy) for i in range(args.mentors)]
    pairs = [onboarding.JoinerSlots(j.upn, m.upn, slots) for j in joiners for m in mentors]

    calls = 0
    fits = onboarding._State.fits

    def counted(self: onboarding._State, joiner: str, mentor: onboarding.MentorLoad, slot: Slot) -> bool:
        nonlocal calls
        calls += 1
        return fits(self, joiner, mentor, slot)

    onboarding._State.fits = counted  # type: ignore[method-assign]
    began = time.perf_counter()
    plan = onboarding.plan_onboarding(joiners, mentors, pairs, now=base - timedelta(days=1))
    seconds = time.perf_counter() - began
    print(
        f"{args.joiners} joiners x {args.mentors} mentors ({len(slots)} slots a pair): {seconds:.2f} s, "
        f"{calls} fits calls, {len(plan.placements)} sessions placed, {len(plan.unplaced)} joiners not placed"
    )


if __name__ == "__main__":
    main()
