"""Several `micromentor serve` processes sharing one storage account (Azurite: Table Storage store, the
`sync-work` queue, timer leases) and one running Graph emulator: scale-out as Azure runs it, on one
machine. Used by the multi-host tests and `bench/sync_hosts.py`; a host is a real process, so killing
one (SIGKILL) is a crash the others must absorb."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from micromentor.tenant import LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET

__all__ = ["Host", "host_env", "start_hosts"]

REPO = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60.0  # three hosts importing the SDKs at once on two cores


@dataclass
class Host:
    process: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""
    _log: IO[bytes] | None = field(default=None, repr=False)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """A crash: no shutdown, messages it holds stay invisible until their visibility timeout."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()


def host_env(running: Any, storage: str, store_url: str, **extra: str) -> dict[str, str]:
    """The environment of a host on the emulator `running` (see `emulator.start_emulator`), with the
    store at `store_url` and queues and timer leases in the storage account `storage`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROMENTOR_")}
    env.update(
        MICROMENTOR_TENANT_ID=running.tenant_id,
        MICROMENTOR_CLIENT_ID=LOCAL_CLIENT_ID,
        MICROMENTOR_CLIENT_SECRET=LOCAL_CLIENT_SECRET,
        MICROMENTOR_GRAPH_URL=running.graph_url,
        MICROMENTOR_AUTHORITY=running.authority,
        MICROMENTOR_CA_BUNDLE=running.ca_cert_path,
        MICROMENTOR_STORE=store_url,
        MICROMENTOR_QUEUE_CONNECTION=storage,
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def _announced(host: Host, deadline: float) -> str:
    stdout = host.process.stdout
    assert stdout is not None
    while time.monotonic() < deadline:
        if host.process.poll() is not None:
            raise RuntimeError(f"host exited with {host.process.returncode}: {host.log()[-2000:]}")
        ready, _, _ = select.select([stdout], [], [], 0.2)
        if ready:
            line = stdout.readline()
            if line.strip().startswith(b"{"):
                return str(json.loads(line)["api"])
    raise RuntimeError(f"host did not start within {STARTUP_SECONDS:.0f} s: {host.log()[-2000:]}")


@contextlib.contextmanager
def start_hosts(count: int, env: Mapping[str, str], log_dir: Path) -> Iterator[list[Host]]:
    """`count` hosts on free loopback ports, started together; stopped (or reaped) on exit."""
    hosts: list[Host] = []
    try:
        for index in range(count):
            log_path = log_dir / f"host{index}.log"
            log = log_path.open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "micromentor", "serve", "--port", "0"],
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=dict(env),
                cwd=REPO,
            )
            hosts.append(Host(process, log_path, _log=log))
        deadline = time.monotonic() + STARTUP_SECONDS
        for host in hosts:
            host.url = _announced(host, deadline)
        yield hosts
    finally:
        for host in hosts:
            host.stop()
