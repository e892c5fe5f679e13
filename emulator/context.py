"""What every handler can reach: the state, identity, faults, the request log and the public URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emulator.concurrency import MailboxGate
from emulator.faults import FaultRegistry
from emulator.identity import Identity
from emulator.requestlog import RequestLog
from emulator.state import TenantState

if TYPE_CHECKING:
    from emulator.notifications import Notifier

__all__ = ["Context"]


@dataclass
class Context:
    state: TenantState
    identity: Identity
    faults: FaultRegistry
    log: RequestLog
    notifier: Notifier | None = None
    mailboxes: MailboxGate = field(default_factory=MailboxGate)
    base_url: str = ""

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/v1.0"
