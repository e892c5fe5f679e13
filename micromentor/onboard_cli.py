"""`micromentor onboard --joiners FILE.csv` (docs/cli.md#onboard, docs/onboarding.md).

Errors are the CLI's: one line on stderr naming the option, or the file's line and column, exit 2 for input
(`micromentor.cli.main`). Progress goes to stderr, the result to stdout (JSON by default, or text)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from typing import Any

from core.errors import InputError
from core.timefmt import iso_z, parse_aware
from micromentor.bootstrap import open_runtime, utc_now
from micromentor.files import read_policy_file
from micromentor.settings import load_settings
from micromentor.targets import creatable_store, sqlite_path, store_url, target
from services.joiners import MAX_CSV_BYTES, parse_joiners_csv
from services.onboarding import OnboardingResult, onboard_cohort, onboarding_to_json
from services.requests import CatalogueError, load_catalogue
from store import open_store

__all__ = ["ONBOARD_EXAMPLE", "add_onboard_arguments", "format_text"]

ONBOARD_EXAMPLE = (
    "micromentor onboard --joiners joiners.csv --mentors mentors.json --dry-run --now 2026-11-30T06:00:00Z"
)


def _read_joiners(path: str) -> str:
    """The file's text: its size checked on the bytes (a cut could split a character), then UTF-8 decoded,
    an error naming the line of the first byte that is not UTF-8 (a spreadsheet saved as Windows-1252)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise InputError("--joiners", f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_CSV_BYTES:
        raise InputError(f"--joiners {path}", f"larger than {MAX_CSV_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"--joiners {path} line {line}",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02X}); save the file as CSV UTF-8",
        ) from None


def format_text(result: OnboardingResult) -> str:
    """One line per joiner, then one per session: for a person reading a terminal."""
    lines = []
    placed = sum(1 for j in result.joiners if j.placed)
    sessions = sum(len(j.sessions) for j in result.joiners)
    verb = "planned (dry run, nothing booked)" if result.dry_run else "booked"
    lines.append(f"{placed} of {len(result.joiners)} joiners placed, {sessions} sessions {verb}")
    for joiner in result.joiners:
        head = f"{joiner.upn} (starts {joiner.start_date.isoformat()})"
        lines.append(
            f"{head}: {len(joiner.sessions)} sessions" + ("" if joiner.placed else f"; not placed: {joiner.reason}")
        )
        for s in joiner.sessions:
            lines.append(f"  {iso_z(s.start)}  {s.mentor}" + (f"  {s.session.id}" if s.session else ""))
    for mentor in result.skipped_mentors:
        lines.append(f"mentor {mentor.upn} skipped: {mentor.reason}")
    return "\n".join(lines) + "\n"


def _run(args: argparse.Namespace) -> int:
    now = parse_aware("--now", args.now) if args.now else utc_now()
    policy = read_policy_file(args.policy)
    joiners = parse_joiners_csv(_read_joiners(args.joiners), f"--joiners {args.joiners}")
    settings = load_settings()
    catalogue_path = args.mentors or settings.mentors_file
    if not catalogue_path:
        raise InputError("--mentors", "no mentor catalogue: give --mentors FILE.json or set MICROMENTOR_MENTORS_FILE")
    try:
        catalogue = load_catalogue(catalogue_path)
    except CatalogueError as exc:
        if not args.mentors:
            raise  # the setting's fault: named as MICROMENTOR_MENTORS_FILE
        raise InputError("--mentors", exc.message) from None
    if not catalogue.mentors:
        raise InputError("--mentors", f"{catalogue_path} lists no mentor")

    def progress(line: str) -> None:
        sys.stderr.write(f"onboard: {line}\n")
        sys.stderr.flush()

    with target(args.tenant, args.settings, settings.graph) as where:
        graph_settings = where.graph
        assert graph_settings is not None
        url = store_url(args.store, where.emulator)
        path = sqlite_path(url)
        if args.dry_run and path is not None and not path.exists():
            url = "sqlite:///:memory:"  # nothing to resume, and a dry run creates no store file
        store = open_store(creatable_store(url))

        async def work() -> OnboardingResult:
            async with open_runtime(replace(settings, graph=graph_settings), store=store) as rt:
                return await onboard_cohort(
                    rt.graph, rt.store, policy, catalogue, joiners, now=now, public_url=settings.public_url,
                    link_secret=settings.link_secret, dry_run=args.dry_run, progress=progress,
                )  # fmt: skip

        result = asyncio.run(work())
    if args.format == "text":
        sys.stdout.write(format_text(result))
    else:
        body: Any = onboarding_to_json(result)
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    return 0


def add_onboard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(run=_run)
    parser.add_argument(
        "--joiners", required=True, metavar="FILE.csv", help="header upn,start_date,skills; skills separated by ;"
    )
    parser.add_argument("--dry-run", action="store_true", help="plan and print; book nothing, write nothing")
    parser.add_argument("--format", choices=("json", "text"), default="json", help="json (default) or text")
    parser.add_argument(
        "--mentors", metavar="FILE.json", help="the mentor catalogue (default: MICROMENTOR_MENTORS_FILE)"
    )
    parser.add_argument("--now", metavar="ISO", help="fix the clock (ISO 8601 with an offset; default: the real time)")
    parser.add_argument("--policy", metavar="POLICY.json", help="the focus-time policy (docs/policy.md)")
    parser.add_argument(
        "--store", metavar="PATH", help="SQLite file or store URL (default: the emulator's, else MICROMENTOR_STORE)"
    )
    parser.add_argument("--tenant", metavar="SEED.json", help="seed an emulator from this tenant file")
    parser.add_argument("--settings", metavar="FILE", help="the settings file `micromentor emulator` wrote")
