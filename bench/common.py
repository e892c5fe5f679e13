"""What the Graph-facing benches share: a generated tenant, the emulator in its own process, its request
log, timing and Markdown tables.

The emulator runs as `python -m emulator` in a child process (not in the bench's own process), so its
request handling does not compete with the client for the GIL: the client's wall time is closer to what
it would be against a remote Graph. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import select
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from core.model import Attendee
from graph.auth import MsalTokenProvider
from graph.client import build_graph_client
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from graph.mapping import mailbox_zone, working_hours_from_json
from micromentor.tenant import emulator_settings

__all__ = [
    "MENTOR",
    "NOW",
    "ROOT",
    "Emulator",
    "GraphCount",
    "NaiveGraph",
    "busy_calendar",
    "median_ms",
    "mentees",
    "seed_user",
    "start_emulator_process",
    "table",
    "tenant_seed",
    "timed",
]

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
TENANT_ID = "b3c4d5e6-0000-4000-8000-000000000001"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # a Monday; the services take `now`, so the dates are fixed
MENTOR = "mentor@bench.example"
USERS = 25  # mentees user00..user24: enough for 20-person schedules and 19-mentee searches
# Zones whose 08:00-18:00 day windows overlap London's (08:00-14:00Z in winter for all of them), so a
# 19-mentee search still finds slots. Windows names, as Exchange stores them.
ZONES = (
    "GMT Standard Time",
    "W. Europe Standard Time",
    "Romance Standard Time",
    "Central European Standard Time",
    "GTB Standard Time",
    "South Africa Standard Time",
    "E. Africa Standard Time",
    "Arabian Standard Time",
    "UTC",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def mentees(count: int) -> list[str]:
    return [f"user{i:02d}@bench.example" for i in range(count)]


def _moment(at: datetime) -> dict[str, str]:
    return {"dateTime": at.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def busy_calendar(rng: random.Random, busy_per_day: int, mentor: bool) -> list[dict[str, Any]]:
    """About `busy_per_day` meetings per weekday over four weeks around NOW, a daily stand-up series,
    and (for the mentor) a few earlier micro-mentoring sessions, which the caps count."""
    events: list[dict[str, Any]] = [
        {
            "subject": "Stand-up",
            "start": _moment(NOW.replace(hour=8, minute=45) - timedelta(days=7)),
            "end": _moment(NOW.replace(hour=9) - timedelta(days=7)),
            "showAs": "busy",
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": list(WEEKDAYS)},
                "range": {"type": "noEnd", "startDate": (NOW - timedelta(days=7)).date().isoformat()},
            },
        }
    ]
    first: date = (NOW - timedelta(days=7)).date()
    for offset in range(28):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for index in range(busy_per_day):
            start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                minutes=30 * rng.randrange(14, 34)  # 07:00-16:30Z
            )
            length = timedelta(minutes=rng.choice((30, 30, 60)))
            event: dict[str, Any] = {
                "subject": "Focus time" if index == 0 and offset % 3 == 0 else f"Meeting {offset}-{index}",
                "start": _moment(start),
                "end": _moment(start + length),
                "showAs": rng.choice(("busy", "busy", "busy", "tentative", "free")),
            }
            if mentor and index == 0 and offset % 5 == 1:
                event["categories"] = ["Micro-mentoring"]
            events.append(event)
    return events


def seed_user(upn: str, name: str, zone: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "userPrincipalName": upn,
        "mail": upn,
        "displayName": name,
        "mailboxSettings": {
            "timeZone": zone,
            "workingHours": {
                "daysOfWeek": list(WEEKDAYS),
                "startTime": "08:00:00.0000000",
                "endTime": "17:00:00.0000000",
                "timeZone": {"name": zone},
            },
        },
        "events": events,
    }


def tenant_seed(users: int = USERS) -> dict[str, Any]:
    """A deterministic tenant: one London mentor and `users` mentees across nine zones, each with a
    stand-up series and about one or two meetings per working day."""
    rng = random.Random(20261130)
    people = [seed_user(MENTOR, "Bench Mentor", "GMT Standard Time", busy_calendar(rng, 1, mentor=True))]
    for index, upn in enumerate(mentees(users)):
        people.append(
            seed_user(upn, f"Bench User {index}", ZONES[index % len(ZONES)], busy_calendar(rng, 2, mentor=False))
        )
    return {"tenantId": TENANT_ID, "users": people}


@dataclass
class GraphCount:
    """Graph requests the emulator logged: HTTP requests on the wire, and the items inside $batch."""

    http: int = 0
    batch_items: int = 0
    errors: int = 0
    by_route: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_log(cls, log: dict[str, Any]) -> GraphCount:
        count = cls()
        for entry in log.get("requests") or ():
            route = str(entry.get("route"))
            if entry.get("batch"):
                count.batch_items += 1
                count.by_route[f"{route} (in $batch)"] += 1
            else:
                count.http += 1
                count.by_route[route] += 1
            if int(entry.get("status") or 0) >= 400:
                count.errors += 1
        return count

    def routes(self, per: int = 1) -> str:
        """`POST getSchedule 1, GET calendarView 1` style, divided by `per` (e.g. per booking)."""
        parts = []
        for route, n in sorted(self.by_route.items()):
            short = route.replace("/users/{user}", "").replace("/calendar/", "")
            shown = f"{n / per:.2f}".rstrip("0").rstrip(".") if per != 1 else str(n)
            parts.append(f"{short} x{shown}")
        return ", ".join(parts) or "none"


class NaiveGraph:
    """The per-person alternative to the gateway's getSchedule and $batch: one GET mailboxSettings and one
    calendarView per person, through the same msgraph-sdk stack, no cache."""

    def __init__(self, settings: GraphSettings) -> None:
        self.settings = settings
        self.tokens = MsalTokenProvider(settings)
        self.client, self.http = build_graph_client(settings, self.tokens)
        self.views = GraphGateway(settings)  # only for its calendar_items (calendarView, paged), never cached

    async def token(self) -> None:
        await self.tokens.get_authorization_token(self.settings.graph_url)
        await self.views.token()

    async def mailbox(self, user: str) -> Any:
        """One GET per person: the naive alternative to the gateway's $batch."""
        info = self.client.users.by_user_id(user).mailbox_settings.to_get_request_information()
        return await self.views._json(f"GET mailboxSettings {user}", info)

    async def attendee(self, user: str, start: datetime, end: datetime, settings: Any = None) -> Attendee:
        """Mailbox settings (unless given) and calendarView, at once, as the core's Attendee."""
        if settings is None:
            settings, items = await asyncio.gather(self.mailbox(user), self.views.calendar_items(user, start, end))
        else:
            items = await self.views.calendar_items(user, start, end)
        zone = mailbox_zone((settings or {}).get("timeZone"))
        hours = working_hours_from_json((settings or {}).get("workingHours"), zone)
        return Attendee(upn=user, tz=zone, working_hours=hours, items=tuple(items))

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.views.aclose()


@dataclass
class Emulator:
    """A `python -m emulator` child process and an admin client for it."""

    graph_url: str
    authority: str
    admin_url: str
    ca_cert_path: str
    tenant_id: str
    process: subprocess.Popen[bytes]
    admin: httpx.Client

    def settings(self) -> GraphSettings:
        return emulator_settings(self)

    def reset_log(self) -> None:
        self.admin.post(f"{self.admin_url}/requests/reset").raise_for_status()

    def count(self) -> GraphCount:
        answer = self.admin.get(f"{self.admin_url}/requests")
        answer.raise_for_status()
        return GraphCount.from_log(answer.json())

    def cpu_seconds(self) -> float:
        """CPU time the emulator process has used so far (Linux /proc), to tell its work from the client's."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def set_latency(self, milliseconds: int) -> None:
        self.admin.post(f"{self.admin_url}/config", json={"latencyMs": milliseconds}).raise_for_status()

    def user_token(self, upn: str) -> str:
        """A signed user token for the API (audience api://micromentor), from the emulator's identity."""
        answer = self.admin.post(f"{self.admin_url}/token", json={"upn": upn})
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def add_user(self, user: dict[str, Any]) -> None:
        self.admin.post(f"{self.admin_url}/users", json=user).raise_for_status()


def _ready_line(process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffered = b""
    while b"\n" not in buffered:
        left = deadline - time.monotonic()
        if left <= 0 or process.poll() is not None:
            raise RuntimeError(f"the emulator did not start (exit code {process.poll()})")
        readable, _, _ = select.select([process.stdout], [], [], left)
        if readable:
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                continue
            buffered += chunk
    line: dict[str, Any] = json.loads(buffered.split(b"\n", 1)[0])
    return line


@contextmanager
def start_emulator_process(seed: dict[str, Any] | None = None) -> Iterator[Emulator]:
    """The emulator on a free loopback port, seeded with `seed` (default: `tenant_seed()`)."""
    seed = seed if seed is not None else tenant_seed()
    with tempfile.TemporaryDirectory(prefix="mm-bench-") as folder:
        seed_path = Path(folder) / "tenant.json"
        seed_path.write_text(json.dumps(seed), encoding="utf-8")
        with open(Path(folder) / "emulator.log", "wb") as errors:
            process = subprocess.Popen(
                [sys.executable, "-m", "emulator", "--tenant", str(seed_path), "--host", "127.0.0.1"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=errors,
            )
            try:
                ready = _ready_line(process, timeout=30)
                context = ssl.create_default_context(cafile=ready["ca"])
                with httpx.Client(verify=context, trust_env=False, timeout=30) as admin:
                    yield Emulator(
                        graph_url=ready["graph"],
                        authority=ready["authority"],
                        admin_url=ready["admin"],
                        ca_cert_path=ready["ca"],
                        tenant_id=str(seed["tenantId"]),
                        process=process,
                        admin=admin,
                    )
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def timed(call: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    """(seconds, result) of one awaited call, by the monotonic wall clock."""
    began = time.perf_counter()
    result = await call()
    return time.perf_counter() - began, result


def median_ms(seconds: Sequence[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.1f}"


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes into the README and the issue notes unchanged)."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([f"\n**{title}**\n", line(cells[0]), rule, *(line(r) for r in cells[1:])])
