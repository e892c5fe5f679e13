"""Which Graph and which store one command uses, and what it says about them on stderr.

Graph, first match wins:
1. `--tenant SEED.json`: an emulator started for this command alone (its state ends with the command);
2. `--settings FILE`, else `MICROMENTOR_SETTINGS`: the running `micromentor emulator` that wrote FILE;
3. the real tenant of the environment (`MICROMENTOR_TENANT_ID`, `MICROMENTOR_CLIENT_ID`, a credential);
4. `.micromentor/emulator.json`, when a `micromentor emulator` started in this folder still runs.

Store: `--store`, else the emulator file's store, else `MICROMENTOR_STORE`, else the default. `sync`,
`report` and `play` read a store and never create one (docs/cli.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from graph.config import GraphSettings
from micromentor.demo_defaults import last_demo
from micromentor.emulator_file import (
    DEFAULT_SETTINGS_FILE,
    EmulatorFile,
    find_emulator_file,
)
from micromentor.settings import load_settings
from micromentor.tenant import emulator_settings, start_local_tenant
from store import Store, open_store
from store.tenant_mark import claim_store_tenant

__all__ = [
    "Target", "creatable_store", "existing_store", "open_tenant_store", "sqlite_path", "store_url", "target"
]

_SQLITE = "sqlite:///"


@dataclass(frozen=True, slots=True)
class Target:
    graph: GraphSettings | None
    emulator: EmulatorFile | None  # the running `micromentor emulator`, when its file is used


def _say(text: str) -> None:
    sys.stderr.write(f"micromentor: {text}\n")


def _emulator_file(settings_file: str | None, configured: GraphSettings | None) -> tuple[EmulatorFile | None, bool]:
    """The emulator file to use, and whether it was found by default (not named)."""
    named = settings_file or os.environ.get("MICROMENTOR_SETTINGS") or None
    if named is None and configured is not None:
        return None, False  # the environment's tenant outranks a default file left in the folder
    return find_emulator_file(settings_file), named is None


@contextlib.contextmanager
def target(
    tenant: str | None,
    settings_file: str | None,
    configured: GraphSettings | None,
    *,
    required: bool = True,
    say_tenant: bool = True,
) -> Iterator[Target]:
    """Graph for one command (see the module docstring); with `required`, no Graph at all is exit 2.

    What it used is said on stderr once the command has done its work: a failing command keeps to one line."""
    if tenant:
        with start_local_tenant(tenant) as running:
            yield Target(emulator_settings(running), None)
        if say_tenant:  # not for `doctor`, whose emulator holds nothing worth keeping
            _say(
                f"--tenant: the emulator seeded from {tenant} stopped with this command, and its meetings and "
                f"attendance with it; to keep one across commands run `micromentor emulator --tenant {tenant}` "
                "and leave out --tenant (docs/cli.md)"
            )
        return
    found, by_default = _emulator_file(settings_file, configured)
    if found is not None:
        yield Target(found.graph, found)
        if by_default:
            _say(f"used the emulator of {DEFAULT_SETTINGS_FILE} (tenant {found.tenant_id}, store {found.store_url})")
        return
    if configured is None and required:
        raise InputError(
            "--tenant",
            "no Graph configured: start `micromentor emulator` in this folder, or pass --tenant SEED.json "
            "or --settings FILE, or set MICROMENTOR_TENANT_ID, MICROMENTOR_CLIENT_ID and a credential "
            "(docs/cli.md)",
        )
    yield Target(configured, None)


def store_url(path: str | None, emulator: EmulatorFile | None) -> str:
    """`--store PATH` (a SQLite file or a store URL), else the emulator's store, else the settings'."""
    if path is None:
        return emulator.store_url if emulator is not None else load_settings().store_url
    if path.startswith(("sqlite:", "tables:")):
        return path
    return f"{_SQLITE}{path}"


def sqlite_path(url: str) -> Path | None:
    return Path(url[len(_SQLITE) :]) if url.startswith(_SQLITE) else None


def existing_store(url: str) -> str:
    """A store that must already hold data: a SQLite file that is not there is a typo, not an empty store."""
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        demo = last_demo()
        hint = f"; the last demo's is --store {demo[1]}" if demo is not None and Path(demo[1]).is_file() else ""
        raise InputError(
            "--store", f"no store at {path}: `book`, `serve` and `demo` create one (see docs/cli.md){hint}"
        )
    return url


def creatable_store(url: str) -> str:
    path = sqlite_path(url)
    if path is not None:
        if path.is_dir():
            raise InputError("--store", f"{path} is a folder; give a file name, e.g. {path / 'micromentor.db'}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # /proc/nope/x.db: exit 2 naming --store, not an OSError's exit 1
            raise InputError("--store", f"cannot create the folder {path.parent}: {exc.strerror or exc}") from exc
    return url


def open_tenant_store(url: str, graph: GraphSettings | None) -> Store:
    """Open the store at `url` for a command run against `graph`'s tenant: the store records the first
    tenant it is used with, and refuses another (exit 2 naming `--store`; store/tenant_mark.py)."""
    try:
        store = open_store(url)
    except sqlite3.Error as exc:  # /proc/x.db, a file that is not a database: exit 2 naming --store
        raise InputError("--store", f"cannot open {sqlite_path(url) or url} as a SQLite store: {exc}") from exc
    if graph is not None:
        path = sqlite_path(url)
        claim_store_tenant(store, graph.tenant_id, f"the store {path if path is not None else 'of --store'}")
    return store
