"""Settings that switch the adapter between the real Microsoft Graph and the local emulator."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GRAPH_SCOPE", "GraphSettings"]

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


@dataclass(frozen=True, slots=True)
class GraphSettings:
    tenant_id: str
    client_id: str
    client_secret: str | None = None
    certificate_path: str | None = None  # PEM holding the private key and the certificate
    certificate_thumbprint: str | None = None
    # A managed identity trusted by the app registration as a federated identity credential: no secret.
    federated_mi_client_id: str | None = None
    graph_url: str = "https://graph.microsoft.com/v1.0"
    authority: str | None = None  # None = Entra ID's https://login.microsoftonline.com/{tenant_id}
    ca_bundle: str | None = None  # a certificate to trust (the emulator's); None = system store
    max_attempts: int = 4  # per call, first try included
    max_wait_seconds: float = 30.0  # longest single Retry-After we are willing to honour
    timeout_seconds: float = 30.0
    # Outlook requests of this app running at once, all mailboxes together: Outlook's documented limit is
    # 4 per app ID (concepts/throttling-limits.md, "Limits per app ID"); more are refused (429).
    mailbox_concurrency: int = 4
    # onlineMeetings requests (attendance reports included) at once per organizer. Not Outlook's: no doc
    # gives them a limit; 4 per organizer is the emulator's strict choice (graph/lanes.py).
    meeting_concurrency: int = 4
    # How long a mailbox's settings (zone, working hours, language) and a directory entry are trusted:
    # people change their working hours, and a host process lives for days.
    mailbox_cache_seconds: float = 3600.0

    @property
    def authority_url(self) -> str:
        return (self.authority or f"https://login.microsoftonline.com/{self.tenant_id}").rstrip("/")

    @property
    def is_entra_id(self) -> bool:
        """Instance discovery only works against Microsoft's own authority hosts."""
        return ".microsoftonline." in self.authority_url or ".microsoftonline.us" in self.authority_url
