"""Run every Graph-facing bench and the cold-start bench, one subprocess each, and print their tables.

    .venv/bin/python bench/run_all.py [--quick] [--with-others]

`--quick` runs each with the smallest settings (a smoke test of the benches, not numbers to quote);
`--with-others` also runs bench/slots_core.py and bench/store_bench.py. Each bench is stopped if it runs
longer than `--timeout` seconds. The header records what the numbers depend on: date, Python, cores and
the load average (other work on the machine inflates wall times; CPU times suffer less).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
BENCHES: tuple[tuple[str, list[str], list[str]], ...] = (
    # (script, normal arguments, --quick arguments)
    ("cold_start.py", [], ["--runs", "1"]),
    ("graph_schedules.py", [], ["--reps", "1", "--latency-ms", "0"]),
    ("slots_requests.py", [], ["--reps", "1", "--latency-ms", "0"]),
    ("booking.py", [], ["--sequential", "3", "--concurrent", "2", "--http", "2"]),
)
OTHERS: tuple[tuple[str, list[str], list[str]], ...] = (
    ("slots_core.py", [], ["--runs", "5"]),
    ("store_bench.py", [], ["--ops", "50"]),
)


def header() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"micromentor benches, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()} on "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores; load average {load}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--with-others", action="store_true")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per bench")
    args = parser.parse_args()
    print(header())
    failed = []
    for script, normal, quick in BENCHES + (OTHERS if args.with_others else ()):
        print(f"\n## {script} {' '.join(quick if args.quick else normal)}".rstrip(), flush=True)
        began = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, str(HERE / script), *(quick if args.quick else normal)],
                cwd=HERE.parent,
                timeout=args.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            print(f"\n{script}: stopped after {args.timeout:.0f} s", flush=True)
            failed.append(script)
            continue
        if done.returncode:
            failed.append(script)
        print(f"\n({script}: {time.perf_counter() - began:.0f} s, exit code {done.returncode})", flush=True)
    print(f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
