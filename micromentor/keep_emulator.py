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


def _refuse_a_running_one(path: Path) -> None:
    """A second emulator writing the same settings file would orphan the first and, when it stops, delete
    the file the first one's commands read."""
    try:
        running = read_emulator_file(str(path), "--settings-out")
    except InputError:
        return  # no file, or not one of ours: nothing runs there
    if running.alive() and running.pid != os.getpid():
        raise InputError(
            "--settings-out",
            f"an emulator already runs for {path} (pid {running.pid}); stop it first, or give another --settings-out",
        )


def keep_emulator(*, tenant: str | None, port: int, settings_out: str, store_url: str) -> int:
    if tenant is None:
        tenant, said = default_seed()
        sys.stderr.write(f"micromentor: {said}\n")
    store = _absolute(store_url)
    _refuse_a_running_one(Path(settings_out))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    with start_local_tenant(tenant, port=port) as running:
        ready = running.ready_line()
        write_emulator_file(
            settings_out, ready, tenant_id=running.tenant_id, store_url=store, seed=str(Path(tenant).resolve())
        )
        previous = (signal.signal(signal.SIGTERM, on_signal), signal.signal(signal.SIGINT, on_signal))
        try:
            sys.stdout.write(json.dumps({**ready, "settings": settings_out, "store": store}) + "\n")
            sys.stdout.flush()
            sys.stderr.write(
                f"trust this certificate: {running.ca_cert_path}\n"
                f"micromentor: emulator for tenant {running.tenant_id} (seed {tenant}); settings in {settings_out}, "
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
