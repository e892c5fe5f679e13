"""The `micromentor` command (contract: shared/spec/cli.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from core.errors import MicromentorError
from core.metrics import Report
from core.timefmt import parse_aware
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from micromentor.answers import answer_for
from micromentor.bootstrap import utc_now
from micromentor.demo import add_demo_arguments, run_demo
from micromentor.files import read_policy_file
from micromentor.settings import is_local_emulator, load_settings
from micromentor.tenant import emulator_settings, graph_settings_for, start_local_tenant
from services.booking import BookingRequest, book_session, session_to_json
from services.learning import log_learning_records
from services.report import FORMATS, build_report, default_period, render
from services.slots import SlotQuery, search_slots, slots_to_json
from services.sync import SyncResult, find_sync_work, sync_organizer
from store import open_store

__all__ = ["main"]


# Organizers synced at once. Each organizer's calls go one at a time to its own mailbox (a $batch runs
# 4 items at once), which keeps within Outlook's 4 concurrent requests per app and mailbox.
SYNC_PARALLEL = 16


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _print_json(body: Any) -> None:
    sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")


def _cmd_slots(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    policy = read_policy_file(args.policy)
    query = SlotQuery(
        mentor=args.mentor, mentees=tuple(args.mentee or ()), now=now, minutes=args.minutes, limit=args.limit
    )
    with graph_settings_for(args.tenant, load_settings().graph) as settings:

        async def run() -> dict[str, Any]:
            graph = GraphGateway(settings)
            try:
                return slots_to_json(await search_slots(graph, policy, query))
            finally:
                await graph.aclose()

        _print_json(asyncio.run(run()))
    return 0


def _store_url(path: str | None) -> str:
    if path is None:
        return load_settings().store_url
    if path.startswith(("sqlite:", "tables:")):
        return path
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _cmd_book(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    policy = read_policy_file(args.policy)
    request = BookingRequest(
        mentor=args.mentor,
        mentees=tuple(args.mentee or ()),
        start=parse_aware("--start", args.start),
        minutes=args.minutes,
        question=args.question,
        topic=args.topic,
        idempotency_key=args.idempotency_key,
    )
    settings = load_settings()
    store = open_store(_store_url(args.store))
    with graph_settings_for(args.tenant, settings.graph) as graph_settings:

        async def run() -> dict[str, Any]:
            graph = GraphGateway(graph_settings)
            try:
                result = await book_session(graph, store, policy, request, now=now, public_url=settings.public_url)
                return session_to_json(result.session)
            finally:
                await graph.aclose()

        _print_json(asyncio.run(run()))
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    settings = load_settings()
    store = open_store(_store_url(args.store))
    policy = read_policy_file(args.policy)
    organizers = find_sync_work(store)
    with graph_settings_for(args.tenant, settings.graph) as graph_settings:

        async def run() -> dict[str, Any]:
            graph = GraphGateway(graph_settings)
            total = SyncResult("all")
            done = 0
            gate = asyncio.Semaphore(SYNC_PARALLEL)

            async def one(organizer: str) -> None:
                nonlocal done
                async with gate:
                    result = await sync_organizer(graph, store, policy, organizer, now=now)
                total.merge(result)
                done += 1
                changes = {
                    "moved": result.moved,
                    "cancelled": result.cancelled,
                    "repaired": result.repaired,
                    **result.decided,
                }
                said = ", ".join(f"{n} {what}" for what, n in changes.items() if n) or "no change"
                sys.stderr.write(f"[{done}/{len(organizers)}] {organizer}: {said}\n")

            learning: dict[str, Any] | None = None
            try:
                await asyncio.gather(*(one(o) for o in organizers))
                if settings.learning is not None:  # an LRS or Viva Learning is configured: log what completed
                    learning = await log_learning_records(store, settings.learning, now, graph=graph)
            finally:
                await graph.aclose()
            return {
                "organizers": len(organizers),
                "moved": total.moved,
                "cancelled": total.cancelled,
                "repaired": total.repaired,
                "decided": total.decided,
                **({"learningRecords": learning} if learning is not None else {}),
            }

        _print_json(asyncio.run(run()))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    now = utc_now()
    default_from, default_to = default_period(now)
    period_from = parse_aware("--from", args.period_from) if args.period_from else default_from
    period_to = parse_aware("--to", args.period_to) if args.period_to else default_to
    store = open_store(_store_url(args.store))
    policy = read_policy_file(args.policy)
    configured = load_settings().graph

    async def run(graph_settings: GraphSettings | None) -> Report:
        # The directory (segments) and mailbox zones (load per local week) come from Graph when it is
        # there; without it the report still has every metric, with no segments and UTC weeks.
        graph = GraphGateway(graph_settings) if graph_settings is not None else None
        try:
            return await build_report(store, policy, period_from=period_from, period_to=period_to, graph=graph)
        finally:
            if graph is not None:
                await graph.aclose()

    if args.tenant or configured is not None:
        with graph_settings_for(args.tenant, configured) as graph_settings:
            report = asyncio.run(run(graph_settings))
    else:
        report = asyncio.run(run(None))
    _, text = render(report, args.format)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {args.out}\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from services.doctor import DoctorInput, checks_to_json, failed, format_text, run_doctor

    # Local defaults against a real tenant are one of the findings, not a reason to refuse to look.
    settings = load_settings(refuse_local_defaults=False)
    queues = None
    if settings.queue_connection:
        from store.queues import AzureQueues  # loads aiohttp: only when a queue is configured

        queues = AzureQueues(settings.queue_connection)

    def check(graph_settings: GraphSettings | None, real_tenant: bool) -> list[Any]:
        given = DoctorInput(
            graph=graph_settings,
            settings=settings,
            # A store that cannot open is a finding; _store_url(None) would reload the settings strictly.
            open_store=lambda: open_store(_store_url(args.store) if args.store else settings.store_url),
            now=utc_now(),
            real_tenant=real_tenant,
            mentors=tuple(args.mentor or ()),
            mentors_file=settings.mentors_file,
            queues=queues,
        )
        return asyncio.run(run_doctor(given))

    if args.tenant:
        with start_local_tenant(args.tenant) as running:
            checks = check(emulator_settings(running), False)
    else:
        graph = settings.graph
        checks = check(graph, graph is None or not is_local_emulator(graph))
    if args.format == "json":
        _print_json(checks_to_json(checks))
    else:
        sys.stdout.write(format_text(checks))
    return 1 if failed(checks) else 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from micromentor.serve import serve

    return serve(port=args.port, seed=args.tenant, store_url=_store_url(args.store))


def _cmd_emulator(args: argparse.Namespace) -> int:
    from emulator.__main__ import main as run_emulator

    argv = ["--tenant", args.tenant, "--port", str(args.port)]
    return run_emulator(argv)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="micromentor", description="Micro mentoring on Outlook and Teams.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    slots = sub.add_parser("slots", help="list shared free slots of a mentor and mentees")
    slots.add_argument("--tenant", metavar="SEED.json", help="start the Graph emulator seeded from this file")
    slots.add_argument("--mentor", required=True, metavar="UPN")
    slots.add_argument("--mentee", action="append", metavar="UPN", help="repeat for several mentees")
    slots.add_argument("--now", metavar="ISO", help="fix the clock (ISO 8601 with offset)")
    slots.add_argument("--minutes", type=int, metavar="N")
    slots.add_argument("--policy", metavar="POLICY.json")
    slots.add_argument("--limit", type=int, metavar="N", help="the best N slots, ranked, each with a why")
    slots.set_defaults(run=_cmd_slots)

    book = sub.add_parser("book", help="book one session as a Teams meeting")
    book.add_argument("--tenant", metavar="SEED.json", help="start the Graph emulator seeded from this file")
    book.add_argument("--mentor", required=True, metavar="UPN")
    book.add_argument("--mentee", action="append", metavar="UPN", help="repeat for several mentees")
    book.add_argument("--start", required=True, metavar="ISO")
    book.add_argument("--minutes", type=int, metavar="N")
    book.add_argument("--question", required=True, metavar="TEXT", help="the mentee's one-sentence question")
    book.add_argument("--topic", metavar="TEXT")
    book.add_argument("--now", metavar="ISO", help="fix the clock (ISO 8601 with offset)")
    book.add_argument("--policy", metavar="POLICY.json")
    book.add_argument("--idempotency-key", metavar="K", help="the same key twice books one meeting")
    book.add_argument("--store", metavar="PATH", help="SQLite file (default ./.micromentor/micromentor.db)")
    book.set_defaults(run=_cmd_book)

    sync = sub.add_parser("sync", help="pull calendar changes and attendance of ended sessions")
    sync.add_argument("--tenant", metavar="SEED.json", help="start the Graph emulator seeded from this file")
    sync.add_argument("--store", metavar="PATH", help="SQLite file (default ./.micromentor/micromentor.db)")
    sync.add_argument("--policy", metavar="POLICY.json")
    sync.add_argument("--now", metavar="ISO", help="fix the clock (ISO 8601 with offset)")
    sync.set_defaults(run=_cmd_sync)

    report = sub.add_parser("report", help="print the metrics of metrics.md")
    report.add_argument("--from", dest="period_from", metavar="ISO", help="start (default: 12 weeks ago)")
    report.add_argument("--to", dest="period_to", metavar="ISO", help="end, exclusive (default: end of today)")
    report.add_argument("--format", choices=FORMATS, default="json")
    report.add_argument("--out", metavar="FILE", help="write to a file instead of stdout")
    report.add_argument("--store", metavar="PATH", help="SQLite file (default ./.micromentor/micromentor.db)")
    report.add_argument("--policy", metavar="POLICY.json", help="caps to report load against")
    report.add_argument("--tenant", metavar="SEED.json", help="read segments and time zones from this emulated tenant")
    report.set_defaults(run=_cmd_report)

    doctor = sub.add_parser("doctor", help="check a tenant before go-live: one line per check, with the fix")
    doctor.add_argument("--tenant", metavar="SEED.json", help="check the Graph emulator seeded from this file")
    doctor.add_argument("--mentor", action="append", metavar="UPN", help="a mentor to check (repeatable)")
    doctor.add_argument("--store", metavar="PATH", help="SQLite file (default ./.micromentor/micromentor.db)")
    doctor.add_argument("--format", choices=("text", "json"), default="text")
    doctor.set_defaults(run=_cmd_doctor)

    serve = sub.add_parser("serve", help="run the function app's functions on loopback")
    serve.add_argument("--port", type=int, default=7071)
    serve.add_argument("--tenant", metavar="SEED.json", help="seed for the Graph emulator (default: a demo tenant)")
    serve.add_argument("--store", metavar="PATH", help="SQLite file (default ./.micromentor/micromentor.db)")
    serve.set_defaults(run=_cmd_serve)

    emulator = sub.add_parser("emulator", help="run the Graph emulator alone")
    emulator.add_argument("--tenant", required=True, metavar="SEED.json")
    emulator.add_argument("--port", type=int, default=0)
    emulator.set_defaults(run=_cmd_emulator)

    demo = sub.add_parser("demo", help="the one-command tour: a demo organisation, weeks of sessions, the report")
    add_demo_arguments(demo)
    demo.set_defaults(run=run_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        code: int = args.run(args)
        return code
    except UsageError as exc:
        sys.stderr.write(f"{exc}\n")
    except MicromentorError as exc:  # one line, and the exit code of the one error table
        sys.stderr.write(f"micromentor: {exc}\n")
        answer = answer_for(exc)
        return 1 if answer is None else answer.exit_code
    except OSError as exc:  # a file or folder we were told to use: one line, not a traceback
        sys.stderr.write(f"micromentor: {exc.strerror or exc}: {exc.filename or ''}\n")
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
