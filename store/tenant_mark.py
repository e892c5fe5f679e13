"""Which tenant a store belongs to: the first command that writes with a Graph tenant records its id, and
every later one must run against the same tenant.

A store's sessions name users, meetings and organizers of one tenant; run against another (say `serve`
on the demo's tenant with the README walk-through's Contoso store), every sync would fail against
"unknown users". The id is kept as a checkpoint (`store-tenant`), so SQLite and Table Storage both hold it
with no schema change, and `replace_checkpoint` makes the first claim atomic.
"""

from __future__ import annotations

from core.errors import InputError
from store.base import Store

__all__ = ["TENANT_CHECKPOINT", "StoreTenantMismatch", "claim_store_tenant", "store_tenant"]

TENANT_CHECKPOINT = "store-tenant"


class StoreTenantMismatch(InputError):
    """The store was written for another tenant (HTTP 400 / CLI exit 2, as any `InputError`)."""

    def __init__(self, store_label: str, recorded: str, tenant_id: str) -> None:
        super().__init__(
            "--store",
            f"{store_label} was written for tenant {recorded}, not {tenant_id}: pass the --tenant (or "
            "--settings) of its tenant, or --store another file (docs/cli.md#where-graph-and-the-store-come-from)",
        )
        self.recorded = recorded
        self.tenant_id = tenant_id


def store_tenant(store: Store) -> str | None:
    """The tenant id recorded in `store`, or None before any command recorded one."""
    found = store.read_checkpoint(TENANT_CHECKPOINT)
    return None if found is None else found.value


def claim_store_tenant(store: Store, tenant_id: str, store_label: str) -> None:
    """Record `tenant_id` in a store that has none; raise `StoreTenantMismatch` if it holds another."""
    wanted = tenant_id.strip().lower()
    for _ in range(2):  # a concurrent first claim wins once; then its value is read back
        found = store.read_checkpoint(TENANT_CHECKPOINT)
        if found is not None:
            if found.value != wanted:
                raise StoreTenantMismatch(store_label, found.value, wanted)
            return
        if store.replace_checkpoint(TENANT_CHECKPOINT, wanted, None):
            return
    found = store.read_checkpoint(TENANT_CHECKPOINT)
    if found is None or found.value != wanted:
        raise StoreTenantMismatch(store_label, "unknown" if found is None else found.value, wanted)
