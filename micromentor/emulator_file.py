"""One emulator for a sequence of commands: the settings file `micromentor emulator` writes and the other
commands read (`--settings FILE`, `MICROMENTOR_SETTINGS`, or the default `.micromentor/emulator.json`).

`micromentor emulator` keeps one Graph emulator running and writes where it is (Graph, authority, admin
surface, the certificate to trust), the app credential it accepts and the store every command should use.
`book`, `play`, `sync`, `report`, `slots`, `doctor` and `serve` then see one tenant and one store. The file
is removed when the emulator stops; a file left by an emulator that died is named and ignored.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import InputError
from graph.config import GraphSettings
from micromentor.tenant import LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET

__all__ = [
    "DEFAULT_SETTINGS_FILE",
    "SETTINGS_ENV",
    "EmulatorFile",
    "find_emulator_file",
    "read_emulator_file",
    "write_emulator_file",
]

DEFAULT_SETTINGS_FILE = ".micromentor/emulator.json"
SETTINGS_ENV = "MICROMENTOR_SETTINGS"
_KEYS = ("graph", "authority", "admin", "ca", "tenantId", "store")


@dataclass(frozen=True, slots=True)
class EmulatorFile:
    path: str
    graph_url: str
    authority: str
    admin_url: str
    ca_cert_path: str
    tenant_id: str
    store_url: str
    seed: str | None
    pid: int | None

    @property
    def graph(self) -> GraphSettings:
        return GraphSettings(
            tenant_id=self.tenant_id,
            client_id=LOCAL_CLIENT_ID,
            client_secret=LOCAL_CLIENT_SECRET,
            graph_url=self.graph_url,
            authority=self.authority,
            ca_bundle=self.ca_cert_path,
        )

    def alive(self) -> bool:
        """False when the process that wrote the file is gone (killed before it could remove the file)."""
        if self.pid is None:
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def write_emulator_file(path: str, ready: dict[str, Any], *, tenant_id: str, store_url: str, seed: str) -> None:
    """Written whole, then renamed: a command reading it never sees half a file."""
    body = {
        **ready,
        "tenantId": tenant_id,
        "clientId": LOCAL_CLIENT_ID,
        "clientSecret": LOCAL_CLIENT_SECRET,
        "store": store_url,
        "seed": seed,
        "pid": os.getpid(),
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    partial.replace(target)


def read_emulator_file(path: str, field: str) -> EmulatorFile:
    """The file's settings; errors name `field` (`--settings` or `MICROMENTOR_SETTINGS`)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(field, f"no such file: {path} (start one with `micromentor emulator`)") from exc
    except (OSError, ValueError) as exc:
        raise InputError(field, f"{path} is not a settings file written by `micromentor emulator`") from exc
    if not isinstance(data, dict) or any(not isinstance(data.get(k), str) for k in _KEYS):
        raise InputError(field, f"{path} is not a settings file written by `micromentor emulator`")
    pid = data.get("pid")
    seed = data.get("seed")
    return EmulatorFile(
        path=path,
        graph_url=data["graph"],
        authority=data["authority"],
        admin_url=data["admin"],
        ca_cert_path=data["ca"],
        tenant_id=data["tenantId"],
        store_url=data["store"],
        seed=seed if isinstance(seed, str) else None,
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
    )


def find_emulator_file(explicit: str | None) -> EmulatorFile | None:
    """`--settings FILE`, else `MICROMENTOR_SETTINGS`, else `.micromentor/emulator.json` when a running
    emulator wrote it. A named file must exist and its emulator must run (exit 2 otherwise); the default
    file is only used when its emulator still runs."""
    for field, path in (("--settings", explicit), (SETTINGS_ENV, os.environ.get("MICROMENTOR_SETTINGS") or None)):
        if path:
            found = read_emulator_file(path, field)
            if not found.alive():
                raise InputError(field, f"the emulator that wrote {path} is no longer running")
            return found
    if not Path(DEFAULT_SETTINGS_FILE).is_file():
        return None
    try:
        found = read_emulator_file(DEFAULT_SETTINGS_FILE, "--settings")
    except InputError:
        sys.stderr.write(f"micromentor: ignoring {DEFAULT_SETTINGS_FILE}: not written by `micromentor emulator`\n")
        return None
    if not found.alive():
        sys.stderr.write(f"micromentor: ignoring {DEFAULT_SETTINGS_FILE}: its emulator is no longer running\n")
        return None
    return found
