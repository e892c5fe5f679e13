"""Cold start: wall time and peak RSS of `import function_app` in a fresh interpreter, against `import msgraph`,
`from msgraph import GraphServiceClient` (what graph/client.py needs) and an interpreter that imports nothing.

    .venv/bin/python bench/cold_start.py [--runs 5] [--first-search-latency-ms 100] [--first-search-only]

Each case runs `--runs` times in a new subprocess (after one untimed run that fills the bytecode cache);
the child times the import with `time.perf_counter` and reads its own peak RSS with
`resource.getrusage(RUSAGE_SELF).ru_maxrss`; the table shows medians. Bytecode goes to a temporary
`PYTHONPYCACHEPREFIX`, so every module (the project's own included) loads from cached bytecode, as in a
deployed app, and the working tree gets no __pycache__. The last table is `-X importtime` of
`import function_app`, self time summed per top-level package. Then the first slot search of a fresh
process at 100 ms Graph latency (import, app token, one `search_slots`), beside its limit (1 s) and the
ratio, with the process's CPU time: on a loaded machine the wall time grows with the load, the CPU much less.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any

from common import ROOT, table

__all__ = ["main"]

CASES = (
    ("nothing (interpreter baseline)", ""),
    ("import msgraph", "import msgraph"),
    ("from msgraph import GraphServiceClient", "from msgraph import GraphServiceClient"),
    ("import azure.functions", "import azure.functions"),
    ("import function_app", "import function_app"),
)
# A development venv has click and rich (test tools need them), so `import httpx` also loads its
# command-line client (httpx/__init__.py: `from ._main import main`, about 85 modules); the deployed app
# (requirements.txt) has neither and skips it. Refusing that import makes the child load what production does.
PRODUCTION_IMPORTS = "import sys; sys.modules.setdefault('httpx._main', None)\n"

CHILD = PRODUCTION_IMPORTS + """
import json, resource, sys, time
began = time.perf_counter()
{statement}
elapsed = time.perf_counter() - began
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
print(json.dumps({{
    "seconds": elapsed,
    "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "hwm_kib": int(status["VmHWM"].split()[0]),
    "modules": len(sys.modules),
    "emulator": any(m == "emulator" or m.startswith("emulator.") for m in sys.modules),
}}))
"""


def child(statement: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    # Linux keeps ru_maxrss across fork and exec, so a child started from this (bigger) process would
    # report our peak; /bin/sh forks the interpreter from its own small image instead.
    return subprocess.run(
        ["/bin/sh", "-c", '"$0" "$@"; exit $?', sys.executable, *extra, "-c", CHILD.format(statement=statement)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def measure(statement: str, env: dict[str, str], runs: int) -> list[dict[str, Any]]:
    child(statement, env)  # fills the bytecode cache
    results = []
    for _ in range(runs):
        began = time.perf_counter()
        answer: dict[str, Any] = json.loads(child(statement, env).stdout)
        answer["process_seconds"] = time.perf_counter() - began
        results.append(answer)
    return results


def import_profile(env: dict[str, str]) -> list[list[object]]:
    """Self time per top-level package, from one `-X importtime` run of `import function_app`."""
    stderr = child("import function_app", env, "-X", "importtime").stderr
    per_package: Counter[str] = Counter()
    modules: Counter[str] = Counter()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
        package = name.strip().split(".")[0]
        per_package[package] += int(self_us)
        modules[package] += 1
    total = sum(per_package.values())
    rows: list[list[object]] = [
        [package, modules[package], f"{us / 1000:.0f}", f"{us / total:.0%}"]
        for package, us in per_package.most_common(8)
    ]
    rows.append(["(all packages)", sum(modules.values()), f"{total / 1000:.0f}", "100%"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--first-search-latency-ms", type=int, default=100, help="-1: skip the first-search case")
    parser.add_argument("--first-search-only", action="store_true", help="only the first-search case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mm-bench-pyc-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        rows: list[list[object]] = []
        baseline_kib = 0.0
        for label, statement in () if args.first_search_only else CASES:
            results = measure(statement, env, args.runs)
            rss_kib = statistics.median(r["maxrss_kib"] for r in results)
            baseline_kib = baseline_kib or rss_kib
            rows.append(
                [
                    label,
                    f"{statistics.median(r['seconds'] for r in results) * 1000:.0f}",
                    f"{statistics.median(r['process_seconds'] for r in results) * 1000:.0f}",
                    f"{rss_kib / 1024:.1f}",
                    f"{statistics.median(r['hwm_kib'] for r in results) / 1024:.1f}",
                    f"{(rss_kib - baseline_kib) / 1024:.1f}",
                    results[-1]["modules"],
                    "yes" if results[-1]["emulator"] else "no",
                ]
            )
        print(
            "" if args.first_search_only else table(
                f"Cold start in a fresh interpreter (median of {args.runs}, bytecode cached)",
                [
                    "case",
                    "import ms",
                    "whole process ms",
                    "peak RSS MiB (ru_maxrss)",
                    "VmHWM MiB",
                    "RSS over baseline MiB",
                    "modules loaded",
                    "emulator loaded",
                ],
                rows,
            )
        )
        if not args.first_search_only:
            print(
                table(
                    "Where `import function_app` spends its time (-X importtime, self time per top-level package)",
                    ["package", "modules", "self ms", "share"],
                    import_profile(env),
                )
            )
        if args.first_search_latency_ms >= 0:
            print(
                table(
                    f"First slot search in a fresh process, Graph latency {args.first_search_latency_ms} ms "
                    f"(median of {args.runs}; `import function_app`, the app token, one search_slots; "
                    f"load average {', '.join(f'{n:.2f}' for n in os.getloadavg())})",
                    ["mentees", "import ms", "token ms", "search ms", "total ms", "limit ms", "ratio",
                     "process CPU ms"],
                    first_search(env, args.runs, args.first_search_latency_ms),
                )
            )


FIRST_SEARCH = PRODUCTION_IMPORTS + """
import json, os, time
began = time.perf_counter()
import asyncio
from datetime import datetime
import function_app  # what the deployed host loads
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.slots import SlotQuery, search_slots
imported = time.perf_counter()
spec = json.loads(os.environ["MM_BENCH_FIRST_SEARCH"])

async def first() -> tuple[float, float, int]:
    graph = GraphGateway(GraphSettings(**spec["settings"]))
    try:
        start = time.perf_counter()
        await graph.token()
        token = time.perf_counter() - start
        now = datetime.fromisoformat(spec["now"])
        query = SlotQuery(mentor=spec["mentor"], mentees=tuple(spec["mentees"]), now=now)
        start = time.perf_counter()
        answer = await search_slots(graph, TenantPolicy(), query)
        return token, time.perf_counter() - start, len(answer.slots)
    finally:
        await graph.aclose()

token, search, slots = asyncio.run(first())
print(json.dumps({"import": imported - began, "token": token, "search": search, "slots": slots,
                  "total": time.perf_counter() - began, "cpu": time.process_time()}))
"""


def first_search(env: dict[str, str], runs: int, latency_ms: int) -> list[list[object]]:
    """Import, token and first slot search in a fresh process, against the emulator at `latency_ms`."""
    from common import MENTOR, NOW, mentees, start_emulator_process

    rows: list[list[object]] = []
    with start_emulator_process() as emu:
        emu.set_latency(latency_ms)
        settings = emu.settings()
        fields = ("tenant_id", "client_id", "client_secret", "graph_url", "authority", "ca_bundle")
        for people in (1, 5):
            spec = {
                "settings": {f: getattr(settings, f) for f in fields},
                "mentor": MENTOR,
                "mentees": mentees(people),
                "now": NOW.isoformat(),
            }
            child_env = {**env, "MM_BENCH_FIRST_SEARCH": json.dumps(spec)}
            run = [sys.executable, "-c", FIRST_SEARCH]
            subprocess.run(run, cwd=ROOT, env=child_env, capture_output=True, text=True, timeout=120, check=True)
            results = [
                json.loads(
                    subprocess.run(
                        run, cwd=ROOT, env=child_env, capture_output=True, text=True, timeout=120, check=True
                    ).stdout
                )
                for _ in range(runs)
            ]

            def ms(key: str, found: list[dict[str, Any]] = results) -> float:
                return float(statistics.median(r[key] for r in found) * 1000)

            total = ms("total")
            rows.append([
                people, f"{ms('import'):.0f}", f"{ms('token'):.0f}", f"{ms('search'):.0f}", f"{total:.0f}",
                "<= 1000", f"{total / 1000:.2f}", f"{ms('cpu'):.0f}",
            ])  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
