"""The `micromentor` command (documented in docs/cli.md)."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any, NoReturn

from core.errors import InputError, MicromentorError, NotFound
from core.timefmt import parse_aware
from graph.config import GraphSettings
from graph.errors import GraphNotFound
from micromentor.answers import answer_for
from micromentor.bootstrap import Runtime, open_runtime, utc_now
from micromentor.demo import add_demo_arguments, run_demo
from micromentor.emulator_file import DEFAULT_SETTINGS_FILE
from micromentor.files import read_policy_file
from micromentor.onboard_cli import ONBOARD_EXAMPLE, add_onboard_arguments
from micromentor.option_errors import cli_message, writable_file, write_text
from micromentor.progress import Progress
from micromentor.series_cli import SERIES_EXAMPLE, add_series_command
from micromentor.settings import is_local_emulator, load_settings
from micromentor.slot_times import with_local_times
from micromentor.targets import creatable_store, existing_store, open_tenant_store, store_url, target
from services.booking import BookingRequest, book_session, session_to_json
from services.learning import log_learning_records
from services.report import FORMATS, ReportOptions, ReportQuery, parse_zone, report_for, resolve_period
from services.session_links import session_page_links
from services.slots import SlotQuery, search_slots, slots_to_json
from services.sync import SyncResult, find_sync_work, sync_organizer
from store import Store, open_store

__all__ = ["main"]


# Organizers synced at once. Each organizer's calls go one at a time to its own mailbox (a $batch runs
# 4 items at once), which keeps within Outlook's 4 concurrent requests per app and mailbox.
SYNC_PARALLEL = 16


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if args is not None and self._subparsers is None:  # a subcommand: every option is its own
            self._refuse_unknown_options(args)
        elif args is not None and " " in self.prog:  # a subcommand with actions (`series`): options before one
            self._refuse_unknown_options(list(itertools.takewhile(lambda token: token.startswith("-"), args)))
        return super().parse_known_args(args, namespace)

    def _refuse_unknown_options(self, args: Sequence[str]) -> None:
        """argparse reports missing required options before unknown ones, so `play --bogus` would blame
        `--session`: the unknown option is named first, as the one thing to fix."""
        known = self._option_string_actions
        for token in args:
            if token == "--":
                return
            if not token.startswith("-") or token == "-" or self._negative_number_matcher.match(token):
                continue
            name = token.split("=", 1)[0]
            if name in known or (not name.startswith("--") and name[:2] in known):
                continue
            if self.allow_abbrev and name.startswith("--") and any(option.startswith(name) for option in known):
                continue  # an abbreviation: argparse itself says whether it is ambiguous
            self.error(f"unrecognized arguments: {name}")


def _print_json(body: Any) -> None:
    sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")


def _cmd_slots(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    policy = read_policy_file(args.policy)
    query = SlotQuery(
        mentor=args.mentor, mentees=tuple(args.mentee or ()), now=now, minutes=args.minutes, limit=args.limit
    )
    settings = load_settings()
    with target(args.tenant, args.settings, settings.graph) as where:
        assert where.graph is not None

        async def run() -> dict[str, Any]:
            async with open_runtime(replace(settings, graph=where.graph)) as rt:
                answer = await search_slots(rt.graph, policy, query)
                # Display zones: the mentor's mailbox is cached by the search; the mentees' are read here.
                people = await rt.graph.get_mailboxes([query.mentor, *query.mentees])
                zones = {upn: box.tz for upn, box in people.items()}
                return with_local_times(slots_to_json(answer), zones, query.mentor)

        _print_json(asyncio.run(run()))
    return 0


def _store_url(path: str | None) -> str:
    """For `doctor` and `serve`: `--store PATH`, else the settings' store (created when absent)."""
    return creatable_store(store_url(path, None))


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
    with target(args.tenant, args.settings, settings.graph) as where:
        graph_settings = where.graph
        assert graph_settings is not None
        store = open_tenant_store(creatable_store(store_url(args.store, where.emulator)), where.graph)

        async def run() -> dict[str, Any]:
            async with open_runtime(replace(settings, graph=graph_settings), store=store) as rt:
                result = await book_session(
                    rt.graph, rt.store, policy, request, now=now, public_url=settings.public_url,
                    link_secret=settings.link_secret,
                )
                # Each attendee's session page, as the invitation links it (served by `serve` at this URL).
                pages = session_page_links(result.session, settings.public_url, settings.link_secret)
                return {**session_to_json(result.session), "sessionPages": dict(pages)}

        _print_json(asyncio.run(run()))
    return 0


def _cmd_play(args: argparse.Namespace) -> int:
    from micromentor.play import play_meeting

    with target(None, args.settings, None) as where:
        if where.emulator is None:
            raise InputError("--settings", "play needs a running `micromentor emulator` (docs/cli.md)")
        store = open_tenant_store(existing_store(store_url(args.store, where.emulator)), where.emulator.graph)
        session = store.get_session(args.session)
        if session is None:
            raise NotFound("--session", f"no session {args.session} in {store_url(args.store, where.emulator)}")
        _print_json(play_meeting(where.emulator, session, tuple(args.absent or ()), args.minutes))
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    settings = load_settings()
    policy = read_policy_file(args.policy)
    with target(args.tenant, args.settings, settings.graph) as where:
        graph_settings = where.graph
        assert graph_settings is not None
        store = open_tenant_store(existing_store(store_url(args.store, where.emulator)), where.graph)
        organizers = find_sync_work(store)

        async def run() -> dict[str, Any]:
            async with open_runtime(replace(settings, graph=graph_settings), store=store) as rt:
                return await sync_all(rt)

        async def sync_all(rt: Runtime) -> dict[str, Any]:
            graph = rt.graph
            total = SyncResult("all")
            gate = asyncio.Semaphore(SYNC_PARALLEL)
            progress = Progress(len(organizers), "sync", unit="organizer")

            async def one(organizer: str) -> None:
                async with gate:
                    result = await sync_organizer(graph, store, policy, organizer, now=now)
                total.merge(result)
                changes = {
                    "moved": result.moved,
                    "cancelled": result.cancelled,
                    "repaired": result.repaired,
                    **result.decided,
                }
                said = ", ".join(f"{n} {what}" for what, n in changes.items() if n) or "no change"
                progress.step(f"{organizer}: {said}")

            learning: dict[str, Any] | None = None
            try:
                await asyncio.gather(*(one(o) for o in organizers))
                if settings.learning is not None:  # an LRS or Viva Learning is configured: log what completed
                    learning = await log_learning_records(store, settings.learning, now, graph=graph)
            finally:
                progress.close()
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


def _cmd_send_due(args: argparse.Namespace) -> int:
    from services.outcomes import MailSettings, outcome_round

    now = parse_aware("--now", args.now) if args.now else utc_now()
    settings = load_settings()
    sender = (args.sender or settings.mail_sender or "").strip().lower()
    if not sender:
        raise InputError("--sender", "give the sender mailbox (or set MICROMENTOR_MAIL_SENDER)")
    policy = read_policy_file(args.policy)
    mail = MailSettings(
        sender=sender,
        secret=settings.link_secret,
        public_url=settings.public_url,
        settle=timedelta(minutes=settings.mail_settle_minutes),
    )
    with target(args.tenant, args.settings, settings.graph) as where:
        graph_settings = where.graph
        assert graph_settings is not None
        if args.now and not is_local_emulator(graph_settings):
            # A fixed clock against real people would send at a moment that is not theirs.
            raise InputError("--now", "only against the emulator: a real tenant's messages go out at the real time")
        store = open_tenant_store(existing_store(store_url(args.store, where.emulator)), where.graph)

        async def run() -> dict[str, int]:
            async with open_runtime(replace(settings, graph=graph_settings), store=store) as rt:
                try:  # a typo here would hold every message back for hours with nothing said
                    await rt.graph.get_user(sender)
                except GraphNotFound:
                    raise InputError("--sender", f"no user or mailbox {sender} in this tenant") from None
                return await outcome_round(rt.graph, rt.store, rt.outbox, policy, mail, now)

        _print_json(asyncio.run(run()))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    query = ReportQuery(
        format=args.format,
        period_from=args.period_from,
        period_to=args.period_to,
        quarter=args.quarter,
        tz=args.tz,
        flag="--",
    )
    # The period is checked before anything is opened: a bad --from is named even beside a wrong --store.
    resolve_period(
        utc_now(),
        period_from=args.period_from,
        period_to=args.period_to,
        quarter=args.quarter,
        zone=parse_zone("--tz", args.tz) or UTC,
        flag="--",
    )
    out = writable_file("--out", args.out) if args.out else None  # a folder or /proc: exit 2 before the work
    policy = read_policy_file(args.policy)
    settings = load_settings()
    options = ReportOptions(settings.report_min_segment, settings.report_work_mode_attribute)

    async def run(store: Store, graph_settings: GraphSettings | None) -> tuple[str, str]:
        # The directory (segments, names) and mailbox zones (load per local week) come from Graph when it
        # is there; without it the report still has every metric, with no segments and UTC weeks.
        async with open_runtime(replace(settings, graph=graph_settings), store=store) as rt:
            graph = rt.graph if graph_settings is not None else None
            return await report_for(
                query, rt.store, policy, now=utc_now(), graph=graph, options=options, outbox=rt.outbox,
                series_store=rt.series,
            )  # fmt: skip

    with target(args.tenant, args.settings, settings.graph, required=False) as where:
        store = open_tenant_store(existing_store(store_url(args.store, where.emulator)), where.graph)
        _, text = asyncio.run(run(store, where.graph))
    if out is not None:
        write_text("--out", out, text)
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

    def check(graph_settings: GraphSettings | None, real_tenant: bool, store: str) -> list[Any]:
        given = DoctorInput(
            graph=graph_settings,
            settings=settings,
            # A store that cannot open is a finding; _store_url(None) would reload the settings strictly.
            open_store=lambda: open_store(creatable_store(store)),
            now=utc_now(),
            real_tenant=real_tenant,
            mentors=tuple(args.mentor or ()),
            mentors_file=settings.mentors_file,
            queues=queues,
            mail_sender=settings.mail_sender,
        )
        return asyncio.run(run_doctor(given))

    with target(args.tenant, args.settings, settings.graph, required=False, say_tenant=False) as where:
        graph = where.graph
        store = args.store and store_url(args.store, None)
        if not store:
            store = where.emulator.store_url if where.emulator is not None else settings.store_url
        checks = check(graph, graph is None or not is_local_emulator(graph), store)
    if args.format == "json":
        _print_json(checks_to_json(checks))
    else:
        sys.stdout.write(format_text(checks))
    return 1 if failed(checks) else 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from micromentor.serve import serve

    return serve(port=args.port, seed=args.tenant, store=args.store, settings_file=args.settings)


def _cmd_emulator(args: argparse.Namespace) -> int:
    from micromentor.keep_emulator import keep_emulator

    return keep_emulator(
        tenant=args.tenant, port=args.port, settings_out=args.settings_out, store_url=store_url(args.store, None)
    )


TENANT_HELP = (
    "start a Graph emulator seeded from this file for this command only (its state ends with the command; "
    "see docs/tenant-seed.md)"
)
SETTINGS_HELP = (
    "the settings file of a running `micromentor emulator` (default: $MICROMENTOR_SETTINGS, else "
    ".micromentor/emulator.json when its emulator runs)"
)
NOW_HELP = "fix the clock (ISO 8601 with an offset, e.g. 2026-12-01T00:00:00Z; default: the real time)"
POLICY_HELP = "focus-time policy JSON (docs/policy.md; default: its defaults)"
STORE_HELP = (
    "SQLite file or store URL (default: the emulator's store, else $MICROMENTOR_STORE, else "
    "./.micromentor/micromentor.db)"
)
EXISTING_STORE_HELP = STORE_HELP + "; must exist"

EXAMPLES = {
    "slots": "micromentor slots --mentor maya@contoso.example --mentee ravi@contoso.example "
    "--now 2026-11-30T00:00:00Z --limit 5",
    "book": "micromentor book --mentor maya@contoso.example --mentee ravi@contoso.example "
    "--start 2026-12-01T09:00:00Z --now 2026-11-30T00:00:00Z --question 'How do I run a retro?'",
    "play": "micromentor play --session SESSION_ID --absent ravi@contoso.example",
    "sync": "micromentor sync --now 2026-12-02T00:00:00Z",
    "send-due": "micromentor send-due --sender mentoring-desk@contoso.example --now 2026-12-09T09:00:00Z",
    "report": "micromentor report --from 2026-11-30T00:00:00Z --to 2026-12-07T00:00:00Z --format csv",
    "doctor": "micromentor doctor --tenant tests/data/tenant.json --mentor maya@contoso.example",
    "serve": "micromentor serve --port 7071",
    "emulator": "micromentor emulator --tenant tests/data/tenant.json &   # then book, play, sync, report",
    "demo": "micromentor demo --weeks 2",
    "series": SERIES_EXAMPLE,
    "onboard": ONBOARD_EXAMPLE,
}


def _sub(
    sub: Any, name: str, help_text: str, run: Any
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=f"example:\n  {EXAMPLES[name]}\n\nreference: docs/cli.md#{name}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("micromentor")
    except PackageNotFoundError:  # run from a checkout without installing
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="micromentor",
        description="Micro mentoring on Outlook and Teams.",
        epilog="example:\n  micromentor demo\n\nreference: docs/cli.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"micromentor {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    slots = _sub(sub, "slots", "list shared free slots of a mentor and mentees", _cmd_slots)
    slots.add_argument("--tenant", metavar="SEED.json", help=TENANT_HELP)
    slots.add_argument("--settings", metavar="FILE", help=SETTINGS_HELP)
    slots.add_argument("--mentor", required=True, metavar="UPN", help="the mentor's e-mail or UPN")
    slots.add_argument("--mentee", action="append", metavar="UPN", help="a mentee (repeat for several)")
    slots.add_argument("--now", metavar="ISO", help=NOW_HELP)
    slots.add_argument("--minutes", type=int, metavar="N", help="session length (default: the policy's)")
    slots.add_argument("--policy", metavar="POLICY.json", help=POLICY_HELP)
    slots.add_argument("--limit", type=int, metavar="N", help="the best N slots, ranked, each with a why")

    book = _sub(sub, "book", "book one session as a Teams meeting", _cmd_book)
    book.add_argument("--tenant", metavar="SEED.json", help=TENANT_HELP)
    book.add_argument("--settings", metavar="FILE", help=SETTINGS_HELP)
    book.add_argument("--mentor", required=True, metavar="UPN", help="the mentor's e-mail or UPN (the organizer)")
    book.add_argument("--mentee", action="append", metavar="UPN", help="a mentee (repeat for several)")
    book.add_argument("--start", required=True, metavar="ISO", help="the slot's start (ISO 8601 with an offset)")
    book.add_argument("--minutes", type=int, metavar="N", help="session length (default: the policy's)")
    book.add_argument("--question", required=True, metavar="TEXT", help="the mentee's one-sentence question")
    book.add_argument("--topic", metavar="TEXT", help="the skill or topic (shown in the invitation)")
    book.add_argument("--now", metavar="ISO", help=NOW_HELP)
    book.add_argument("--policy", metavar="POLICY.json", help=POLICY_HELP)
    book.add_argument("--idempotency-key", metavar="K", help="the same key twice books one meeting")
    book.add_argument("--store", metavar="PATH", help=STORE_HELP + " (created if absent)")

    play = _sub(sub, "play", "play a booked session's Teams meeting out on the running emulator", _cmd_play)
    play.add_argument("--session", required=True, metavar="ID", help="the session id `book` printed")
    play.add_argument("--absent", action="append", metavar="UPN", help="someone who does not join (repeatable)")
    play.add_argument("--minutes", type=int, metavar="N", help="how long the others stay (default: the whole meeting)")
    play.add_argument("--settings", metavar="FILE", help=SETTINGS_HELP)
    play.add_argument("--store", metavar="PATH", help=EXISTING_STORE_HELP)

    sync = _sub(sub, "sync", "pull calendar changes and attendance of ended sessions", _cmd_sync)
    sync.add_argument("--tenant", metavar="SEED.json", help=TENANT_HELP)
    sync.add_argument("--settings", metavar="FILE", help=SETTINGS_HELP)
    sync.add_argument("--store", metavar="PATH", help=EXISTING_STORE_HELP)
    sync.add_argument("--policy", metavar="POLICY.json", help=POLICY_HELP)
    sync.add_argument("--now", metavar="ISO", help=NOW_HELP)

    send_due = _sub(
        sub, "send-due", "plan and send the due check-ins and follow-ups (quiet hours apply)", _cmd_send_due
    )
    send_due.add_argument("--tenant", metavar="SEED.json", help=TENANT_HELP)
    send_due.add_argument("--settings", metavar="FILE", help=SETTINGS_HELP)
    send_due.add_argument("--store", metavar="PATH", help=EXISTING_STORE_HELP)
    send_due.add_argument("--policy", metavar="POLICY.json", help=POLICY_HELP)
    send_due.add_argument("--sender", metavar="UPN", help="sender mailbox (default: MICROMENTOR_MAIL_SENDER)")
    send_due.add_argument("--now", metavar="ISO", help=NOW_HELP)

    report = _sub(sub, "report", "print the metrics of docs/metrics.md", _cmd_report)
    report.add_argument(
        "--from", dest="period_from", metavar="ISO", help="start (default: 12 weeks before --to; docs/report.md)"
    )
    report.add_argument(
        "--to", dest="period_to", metavar="ISO", help="end, exclusive (default: end of today in --tz)"
    )
    report.add_argument("--quarter", metavar="YYYYQn", help="a calendar quarter, e.g. 2026Q4, beside the one before")
    report.add_argument("--tz", metavar="IANA", help="the zone of weeks and times, e.g. Europe/Paris (default: UTC)")
    report.add_argument("--format", choices=FORMATS, default="json", help="json (default), csv or html")
    report.add_argument("--out", metavar="FILE", help="write to a file instead of stdout")
    report.add_argument("--store", metavar="PATH", help=EXISTING_STORE_HELP)
    report.add_argument("--policy", metavar="POLICY.json", help="caps to report load against (docs/policy.md)")
    report.add_argument(
        "--tenant", metavar="SEED.json", help="read segments and time zones from an emulator seeded from this file"
    )
    report.add_argument("--settings", metavar="FILE", help=SETTINGS_HELP)

    doctor = _sub(sub, "doctor", "check a tenant before go-live: one line per check, with the fix", _cmd_doctor)
    doctor.add_argument("--tenant", metavar="SEED.json", help="check an emulator seeded from this file")
    doctor.add_argument("--settings", metavar="FILE", help=SETTINGS_HELP)
    doctor.add_argument("--mentor", action="append", metavar="UPN", help="a mentor to check (repeatable)")
    doctor.add_argument("--store", metavar="PATH", help=STORE_HELP)
    doctor.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")

    serve = _sub(sub, "serve", "run the function app's functions on loopback", _cmd_serve)
    serve.add_argument("--port", type=int, default=7071, help="port on 127.0.0.1 (default 7071; 0: a free one)")
    serve.add_argument(
        "--tenant",
        metavar="SEED.json",
        help="seed for an emulator of its own (default: the running emulator's settings, else the last demo's "
        "tenant, else the built-in Contoso tenant; stderr says which)",
    )
    serve.add_argument("--settings", metavar="FILE", help=SETTINGS_HELP)
    serve.add_argument("--store", metavar="PATH", help=STORE_HELP + " (created if absent)")

    emulator = _sub(sub, "emulator", "run one Graph emulator for a sequence of commands", _cmd_emulator)
    emulator.add_argument(
        "--tenant",
        metavar="SEED.json",
        help="tenant seed (docs/tenant-seed.md; default: the last demo's tenant, else the built-in Contoso one)",
    )
    emulator.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    emulator.add_argument(
        "--settings-out",
        metavar="FILE",
        default=DEFAULT_SETTINGS_FILE,
        help=f"where to write the settings other commands read (default {DEFAULT_SETTINGS_FILE})",
    )
    emulator.add_argument(
        "--store",
        metavar="PATH",
        help="the store the other commands use (default: $MICROMENTOR_STORE, else ./.micromentor/micromentor.db)",
    )

    series = _sub(sub, "series", "start, show or stop a series of sessions every N days (docs/series.md)", None)
    add_series_command(series)

    onboard = _sub(sub, "onboard", "book each joiner of a list 2-3 flash sessions with different mentors", None)
    add_onboard_arguments(onboard)

    demo = _sub(sub, "demo", "the one-command tour: a demo organisation, weeks of sessions, the report", run_demo)
    add_demo_arguments(demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        code: int = args.run(args)
        return code
    except UsageError as exc:
        sys.stderr.write(f"{exc}\n")
    except MicromentorError as exc:  # one line, and the exit code of the one error table
        sys.stderr.write(f"micromentor: {cli_message(exc)}\n")
        answer = answer_for(exc)
        return 1 if answer is None else answer.exit_code
    except OSError as exc:  # a file or folder we were told to use: one line, not a traceback
        sys.stderr.write(f"micromentor: {exc.strerror or exc}: {exc.filename or ''}\n")
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
