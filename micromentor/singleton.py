"""Timer singleton across hosts, the way the Functions host does it: a blob lease in the storage account
(AzureWebJobsStorage). Each occurrence of a schedule has its own blob; the host holding its lease runs
the timer and marks the blob done, so every other host skips that occurrence, and a host killed mid-run
loses the lease when it expires (`lease_seconds`), letting another host take the occurrence over.

Used by `micromentor serve` when its storage connection string names a blob endpoint (Azurite locally);
on Azure the Functions host itself does this, and `function_app.py` knows nothing of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime

from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.storage.blob import BlobClient, BlobLeaseClient, BlobServiceClient

__all__ = ["DEFAULT_CONTAINER", "TimerSingleton", "has_blob_endpoint"]

log = logging.getLogger(__name__)

DEFAULT_CONTAINER = "micromentor-timers"
LEASE_SECONDS = 60  # Blob leases last 15-60 s (or forever); renewed while the timer runs
_DONE = "done"


def has_blob_endpoint(connection_string: str) -> bool:
    """Whether a connection string reaches a blob service: an explicit BlobEndpoint (Azurite), or an
    account string without explicit endpoints (Azure derives all of them from the account name)."""
    parts = {p.split("=", 1)[0].strip().lower() for p in connection_string.split(";") if "=" in p}
    return "blobendpoint" in parts or not any(p.endswith("endpoint") for p in parts)


class TimerSingleton:
    def __init__(
        self,
        connection_string: str,
        *,
        container: str = DEFAULT_CONTAINER,
        lease_seconds: int = LEASE_SECONDS,
        owner: str | None = None,
    ) -> None:
        self._service = BlobServiceClient.from_connection_string(connection_string)
        self._container = self._service.get_container_client(container)
        self._lease_seconds = lease_seconds
        self._ready = False
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"

    def close(self) -> None:
        self._service.close()

    def _blob(self, timer: str, occurrence: datetime) -> BlobClient:
        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._container.create_container()
            self._ready = True
        return self._container.get_blob_client(f"{timer}/{occurrence.strftime('%Y-%m-%dT%H-%M-%SZ')}")

    def _take(self, timer: str, occurrence: datetime) -> BlobLeaseClient | None:
        """The occurrence's lease, or None when another host holds it or has already run it."""
        blob = self._blob(timer, occurrence)
        with contextlib.suppress(ResourceExistsError):
            blob.upload_blob(b"", overwrite=False)
        try:
            lease = blob.acquire_lease(lease_duration=self._lease_seconds)
        except HttpResponseError as exc:
            if exc.status_code == 409:  # LeaseAlreadyPresent: another host is running it now
                return None
            raise
        if blob.get_blob_properties(lease=lease).metadata.get(_DONE):
            lease.release()
            return None
        return lease

    async def run_once(self, timer: str, occurrence: datetime, work: Callable[[], Awaitable[None]]) -> bool:
        """Run `work` for this occurrence of `timer` unless another host has it; True when it ran here."""
        lease = await asyncio.to_thread(self._take, timer, occurrence)
        if lease is None:
            log.info("timer %s at %s: another host has it", timer, occurrence.isoformat())
            return False
        renew = asyncio.create_task(self._keep(lease))
        try:
            await work()
        finally:
            renew.cancel()
            await asyncio.gather(renew, return_exceptions=True)
        # Marked done even when the run failed: as on Azure, a failed occurrence is not retried; the
        # next occurrence comes. A host killed before this line leaves the occurrence to take over.
        done = {_DONE: "1", "owner": self.owner}
        await asyncio.to_thread(self._blob(timer, occurrence).set_blob_metadata, done, lease=lease)
        await asyncio.to_thread(lease.release)
        return True

    async def _keep(self, lease: BlobLeaseClient) -> None:
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            await asyncio.to_thread(lease.renew)
