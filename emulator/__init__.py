"""A dev/test-only Microsoft Graph emulator: Graph v1.0 calendars, Teams meetings and attendance, plus an
Entra ID token endpoint, served over HTTPS on loopback so msal and msgraph-sdk talk to it unchanged.

    with start_emulator("tenant.json") as emu:
        ...  # emu.graph_url, emu.authority, emu.ca_cert_path, emu.state
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from emulator.context import Context
from emulator.faults import FaultRegistry
from emulator.identity import Identity
from emulator.notifications import Notifier
from emulator.requestlog import RequestLog
from emulator.seed import SeedError, load_seed
from emulator.server import EmulatorHTTPServer
from emulator.state import TenantState
from emulator.tls import make_certificate, server_context

__all__ = ["RunningEmulator", "SeedError", "TenantState", "start_emulator"]


@dataclass
class RunningEmulator:
    graph_url: str
    authority: str
    admin_url: str
    ca_cert_path: str
    tenant_id: str
    state: TenantState
    context: Context = field(repr=False)
    _server: EmulatorHTTPServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def base_url(self) -> str:
        return self.context.base_url

    @property
    def token_url(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    def ready_line(self) -> dict[str, Any]:
        return {"graph": self.graph_url, "authority": self.authority, "admin": self.admin_url,
                "ca": self.ca_cert_path}

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._server.close_all()
        if self.context.notifier is not None:
            self.context.notifier.stop()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def start_emulator(seed: Mapping[str, Any] | str | Path, host: str = "127.0.0.1", port: int = 0) -> RunningEmulator:
    """Load the seed (SeedError if malformed), start the HTTPS server in a daemon thread, return its URLs."""
    state = TenantState(load_seed(seed))
    cert_path, key_path = make_certificate(tuple(dict.fromkeys((host, "127.0.0.1", "localhost"))))
    identity = Identity(state.tenant_id, state.apps, lambda: state.token_lifetime)
    ctx = Context(state, identity, FaultRegistry(), RequestLog())
    server = EmulatorHTTPServer((host, port), ctx, server_context(cert_path, key_path))
    bound = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    ctx.base_url = f"https://{shown}:{bound}"
    identity.base_url = ctx.base_url
    ctx.notifier = Notifier(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="graph-emulator", daemon=True)
    thread.start()
    return RunningEmulator(
        graph_url=ctx.graph_url,
        authority=identity.authority,
        admin_url=f"{ctx.base_url}/_emulator",
        ca_cert_path=cert_path,
        tenant_id=state.tenant_id,
        state=state,
        context=ctx,
        _server=server,
        _thread=thread,
    )
