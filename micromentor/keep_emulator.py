"""`micromentor emulator`: one Graph emulator kept running for a sequence of commands.

It prints one JSON line `{"graph", "authority", "admin", "ca", "settings", "store"}` on stdout when ready and
writes the settings the other commands read (default `.micromentor/emulator.json`, see
`micromentor.emulator_file`). It runs until SIGTERM or Ctrl-C (exit 0) and then removes that file.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from core.errors import InputError
from micromentor.demo_defaults import default_seed
from micromentor.emulator_file import read_emulator_file, write_emulator_file
from micromentor.targets import sqlite_path
from micromentor.tenant import start_local_tenant

__all__ = ["keep_emulator"]


def _absolute(store_url: str) -> str:
    """Other commands may run from another folder: a relative SQLite path is fixed to this one."""
    path = sqlite_path(store_url)
    return f"sqlite:///{path.resolve()}" if path is not None else store_url


def _remove_if_ours(path: Path) -> None:
    """Only the file this process wrote: another emulator may have taken the path since."""
    try:
        pid = read_emulator_file(str(path), "--settings-out").pid
    except InputError:
        return
    if pid == os.getpid():
        path.unlink(missing_ok=True)


def _owner(path: Path) -> int | None:
    """The pid of another running emulator that wrote `path`, if one does: a second emulator writing the
    same settings file would orphan the first and, when it stops, delete the file the first one's commands
    read."""
    try:
        running = read_emulator_file(str(path), "--settings-out")
    except InputError:
        return None  # no file, or not one of ours: nothing runs there
    return running.pid if running.alive() and running.pid != os.getpid() else None


def keep_emulator(*, tenant: str | None, port: int, settings_out: str, store_url: str) -> int:
    if tenant is None:
        tenant, said = default_seed()
        sys.stderr.write(f"micromentor: {said}\n")
    store = _absolute(store_url)
    owner = _owner(Path(settings_out))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    with start_local_tenant(tenant, port=port) as running:
        ready = running.ready_line()
        if owner is None:
            write_emulator_file(
                settings_out, ready, tenant_id=running.tenant_id, store_url=store, seed=str(Path(tenant).resolve())
            )
        else:  # it still serves Graph (other clients use the ready line), but the file stays the first one's
            sys.stderr.write(
                f"micromentor: {settings_out} belongs to the emulator of pid {owner}, which still runs; this one "
                "writes no settings file (give another --settings-out for commands to use it)\n"
            )
        written = settings_out if owner is None else None
        previous = (signal.signal(signal.SIGTERM, on_signal), signal.signal(signal.SIGINT, on_signal))
        try:
            sys.stdout.write(json.dumps({**ready, "settings": written, "store": store}) + "\n")
            sys.stdout.flush()
            sys.stderr.write(
                f"trust this certificate: {running.ca_cert_path}\n"
                f"micromentor: emulator for tenant {running.tenant_id} (seed {tenant}); settings in {written}, "
                f"store {store}. Commands run in this folder use them "
                f"(elsewhere: --settings {Path(settings_out).resolve()}); "
                "Ctrl-C stops it and its state ends.\n"
            )
            sys.stderr.flush()
            while not stop.wait(0.5):
                pass
        finally:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])
            _remove_if_ours(Path(settings_out))
    return 0
