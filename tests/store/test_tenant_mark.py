"""A store records the tenant it was first used with and refuses another, in SQLite and Table Storage;
concurrent first claims (three hosts starting together) agree on one tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from store.base import Store
from store.tenant_mark import StoreTenantMismatch, claim_store_tenant, store_tenant

CONTOSO = "11111111-2222-3333-4444-555555555555"
FABRIKAM = "99999999-8888-7777-6666-555555555555"


def test_the_first_claim_records_the_tenant_and_another_is_refused(store: Store) -> None:
    assert store_tenant(store) is None
    claim_store_tenant(store, CONTOSO.upper(), "the store x.db")  # ids compare in lower case
    assert store_tenant(store) == CONTOSO
    claim_store_tenant(store, CONTOSO, "the store x.db")  # the same tenant again: fine
    with pytest.raises(StoreTenantMismatch) as caught:
        claim_store_tenant(store, FABRIKAM, "the store x.db")
    assert caught.value.field == "--store"
    assert caught.value.message.startswith(f"the store x.db was written for tenant {CONTOSO}, not {FABRIKAM}")
    assert store_tenant(store) == CONTOSO


def test_concurrent_first_claims_of_one_tenant_all_succeed(
    store: Store, concurrently: Callable[[int, Callable[[int], Any]], list[Any]]
) -> None:
    results = concurrently(6, lambda _: claim_store_tenant(store, CONTOSO, "s"))
    assert results == [None] * 6
    assert store_tenant(store) == CONTOSO


def test_concurrent_first_claims_of_two_tenants_leave_one_and_refuse_the_other(
    store: Store, concurrently: Callable[[int, Callable[[int], Any]], list[Any]]
) -> None:
    results = concurrently(6, lambda i: claim_store_tenant(store, CONTOSO if i % 2 else FABRIKAM, "s"))
    winner = store_tenant(store)
    assert winner in {CONTOSO, FABRIKAM}
    refused = [r for r in results if isinstance(r, StoreTenantMismatch)]
    assert len(refused) == 3 and all(r.recorded == winner for r in refused)
