"""`micromentor series start|show|stop|run` (docs/cli.md#series, docs/series.md).

Errors are the CLI's: one line on stderr naming the field, exit 2 for input (`micromentor.cli.main`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from core.timefmt import parse_aware
from graph.gateway import GraphGateway
from micromentor.bootstrap import open_runtime, utc_now
from micromentor.files import read_policy_file
from micromentor.settings import load_settings
from micromentor.targets import creatable_store, existing_store, store_url, target
from services.series import (
    DEFAULT_MINUTES,
    SeriesDraft,
    get_series,
    series_round,
    series_to_json,
    start_series,
    stop_series,
)
from store import open_store
from store.series import open_series_store

__all__ = ["SERIES_EXAMPLE", "add_series_command"]

SERIES_EXAMPLE = (
    "micromentor series start --mentor maya@contoso.example --mentee ravi@contoso.example "
    "--start 2026-12-01T10:00:00Z --count 6 --question 'How do I review a design?' --now 2026-11-30T00:00:00Z"
)
T = TypeVar("T")
_TENANT = "seed an emulator from this tenant file (docs/tenant-seed.md)"
_SETTINGS = "the settings file `micromentor emulator` wrote"
_STORE = "SQLite file or store URL (default: the emulator's store, else MICROMENTOR_STORE)"
_NOW = "fix the clock (ISO 8601 with an offset; default: the real time)"


def _print(body: Any) -> None:
    sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")


def _with_graph(args: argparse.Namespace, work: Callable[[GraphGateway, Any], Awaitable[T]], *, create: bool) -> T:
    settings = load_settings()
    with target(args.tenant, args.settings, settings.graph) as where:
        graph_settings = where.graph
        assert graph_settings is not None
        url = store_url(args.store, where.emulator)
        store = open_store(creatable_store(url) if create else existing_store(url))

        async def run() -> T:
            async with open_runtime(replace(settings, graph=graph_settings), store=store) as rt:
                return await work(rt.graph, rt.store)

        return asyncio.run(run())


def _start(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    policy = read_policy_file(args.policy)
    settings = load_settings()
    draft = SeriesDraft(
        mentor=args.mentor,
        mentee=args.mentee,
        start=parse_aware("--start", args.start),
        question=args.question,
        topic=args.topic,
        minutes=args.minutes,
        interval_days=args.interval_days,
        count=args.count,
        book_ahead_days=args.book_ahead_days,
        created_by=args.by or args.mentee,
        idempotency_key=args.idempotency_key,
    )

    async def work(graph: GraphGateway, store: Any) -> dict[str, Any]:
        started = await start_series(
            graph, store, open_series_store(store), policy, draft, now=now,
            public_url=settings.public_url, link_secret=settings.link_secret,
        )  # fmt: skip
        return series_to_json(started.series, [started.session])

    _print(_with_graph(args, work, create=True))
    return 0


def _show(args: argparse.Namespace) -> int:
    store = open_store(existing_store(store_url(args.store, None)))
    series = asyncio.run(get_series(open_series_store(store), args.id))
    sessions = [s for s in (store.get_session(i) for i in series.session_ids) if s is not None]
    _print(series_to_json(series, sessions))
    return 0


def _stop(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    store = open_store(existing_store(store_url(args.store, None)))
    stopped = asyncio.run(stop_series(open_series_store(store), args.id, by=args.by, now=now))
    _print(series_to_json(stopped))
    return 0


def _run(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    policy = read_policy_file(args.policy)
    settings = load_settings()

    async def work(graph: GraphGateway, store: Any) -> dict[str, int]:
        return await series_round(
            graph, store, policy, now=now, public_url=settings.public_url, link_secret=settings.link_secret
        )

    _print(_with_graph(args, work, create=False))
    return 0


def _graph_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", metavar="SEED.json", help=_TENANT)
    parser.add_argument("--settings", metavar="FILE", help=_SETTINGS)


def add_series_command(series: argparse.ArgumentParser) -> None:
    """The actions under the `series` subcommand's parser."""
    actions = series.add_subparsers(
        dest="series_action",
        required=True,
        parser_class=type(series),
        metavar="ACTION",
        help="start, show, stop or run",
    )
    start = actions.add_parser("start", help="book the first session and record the series")
    start.set_defaults(run=_start)
    start.add_argument("--mentor", required=True, metavar="UPN", help="the mentor (the organizer)")
    start.add_argument("--mentee", required=True, metavar="UPN", help="the mentee")
    start.add_argument("--start", required=True, metavar="ISO", help="the first session's start")
    start.add_argument("--question", required=True, metavar="TEXT", help="the mentee's question")
    start.add_argument("--topic", metavar="TEXT", help="the skill or topic")
    start.add_argument("--minutes", type=int, default=DEFAULT_MINUTES, metavar="N", help="15, 20 (default) or 30")
    start.add_argument("--interval-days", type=int, default=14, metavar="N", help="days between sessions (default 14)")
    start.add_argument("--count", type=int, metavar="N", help="sessions in all (default: open-ended)")
    start.add_argument(
        "--book-ahead-days", type=int, metavar="N", help="book each next one N days ahead (default: when the last ends)"
    )
    start.add_argument("--by", metavar="UPN", help="who starts it (default: the mentee)")
    start.add_argument("--idempotency-key", metavar="K", help="the same key twice starts one series")
    start.add_argument("--now", metavar="ISO", help=_NOW)
    start.add_argument("--policy", metavar="POLICY.json", help="the focus-time policy (docs/policy.md)")
    start.add_argument("--store", metavar="PATH", help=_STORE + " (created if absent)")
    _graph_options(start)

    show = actions.add_parser("show", help="print a series and its sessions")
    show.set_defaults(run=_show)
    show.add_argument("--id", required=True, metavar="ID", help="the series id `series start` printed")
    show.add_argument("--store", metavar="PATH", help=_STORE + "; must exist")

    stop = actions.add_parser("stop", help="stop a series (its mentor or mentee)")
    stop.set_defaults(run=_stop)
    stop.add_argument("--id", required=True, metavar="ID", help="the series id")
    stop.add_argument("--by", required=True, metavar="UPN", help="the mentor or the mentee who stops it")
    stop.add_argument("--now", metavar="ISO", help=_NOW)
    stop.add_argument("--store", metavar="PATH", help=_STORE + "; must exist")

    run = actions.add_parser("run", help="book every series' next session that is due (what the timer does)")
    run.set_defaults(run=_run)
    run.add_argument("--now", metavar="ISO", help=_NOW)
    run.add_argument("--policy", metavar="POLICY.json", help="the focus-time policy (docs/policy.md)")
    run.add_argument("--store", metavar="PATH", help=_STORE + "; must exist")
    _graph_options(run)
