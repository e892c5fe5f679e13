"""The CLI's edge for errors: services name their fields (`limit`, `mentees[0]`, `Idempotency-Key`), the
user typed options (`--limit`, `--mentee`, `--idempotency-key`). One table maps the one to the other, so a
CLI error names what to change on the command line (docs/cli.md, "Exit status"). Files and folders the
user named that cannot be written are exit 2 naming the option too, never an OSError's exit 1."""

from __future__ import annotations

import re
from pathlib import Path

from core.errors import InputError, MicromentorError

__all__ = ["OPTION_OF_FIELD", "cli_message", "writable_file", "write_text"]

# Service or request field -> the option of `micromentor` that carries it.
OPTION_OF_FIELD: dict[str, str] = {
    "mentor": "--mentor",
    "mentee": "--mentee",
    "mentees": "--mentee",
    "start": "--start",
    "minutes": "--minutes",
    "limit": "--limit",
    "question": "--question",
    "topic": "--topic",
    "Idempotency-Key": "--idempotency-key",
    "store": "--store",
    "now": "--now",
    "sender": "--sender",
    # series
    "intervalDays": "--interval-days",
    "count": "--count",
    "bookAheadDays": "--book-ahead-days",
    "by": "--by",
    "id": "--id",
}

_HEAD = re.compile(r"[^\[.]+")


def cli_message(error: MicromentorError) -> str:
    """`str(error)`, with a service field replaced by the option that carries it (`mentees[1]` -> `--mentee`)."""
    field = error.field
    if not field:
        return str(error)
    head = _HEAD.match(field)
    option = OPTION_OF_FIELD.get(head.group(0)) if head is not None else None
    return f"{option}: {error.message}" if option is not None else str(error)


def writable_file(option: str, path: str) -> Path:
    """`path` as a file this command may write: not a folder, its folder created. InputError on `option`
    (exit 2) when either cannot be, checked before the command does its work."""
    target = Path(path)
    if target.is_dir():
        raise InputError(option, f"{path} is a folder; give a file name, e.g. {target / 'report.html'}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(option, f"cannot create the folder {target.parent}: {exc.strerror or exc}") from exc
    return target


def write_text(option: str, path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(option, f"cannot write {path}: {exc.strerror or exc}") from exc
