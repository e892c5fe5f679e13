"""Use case: admins read and replace the tenant focus-time policy (policy.md), versioned, with who and when.

The store appends versions 1, 2, …; `Runtime.tenant_policy()` reads the newest, so a saved policy applies
to the very next search. Version 0 means "nothing saved": the policy file or the defaults of policy.md.

Optimistic concurrency: a replace may name the version it was edited from (`If-Match: 3`); if another
admin saved in between, it is refused (`Conflict`, HTTP 409) instead of silently overwriting their change.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import InputError
from core.timefmt import iso_z
from policies import TenantPolicy, parse_policy, policy_to_json
from store.base import PolicyVersion, Store

__all__ = [
    "PolicyState",
    "parse_if_match",
    "policy_history",
    "policy_state_to_json",
    "read_policy",
    "replace_policy",
]

_VERSION_TAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')
# The version check and the save must not interleave within this process; across instances the store's
# append is atomic but the check is not (a narrow window: two admins saving within milliseconds).


@dataclass(frozen=True, slots=True)
class PolicyState:
    version: int
    policy: dict[str, Any]  # every field of policy.md, then `overrides`
    changed_by: str | None
    changed_at: datetime | None

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _state(saved: PolicyVersion) -> PolicyState:
    return PolicyState(saved.version, saved.policy, saved.changed_by, saved.changed_at)


def parse_if_match(value: str | None) -> int | None:
    """The version an `If-Match` header names (`3`, `"3"` or `W/"3"`); None for no header or `*`."""
    if value is None or not value.strip() or value.strip() == "*":
        return None
    match = _VERSION_TAG.match(value.strip())
    if match is None:
        raise InputError("If-Match", f'expected a policy version such as "3", got {value.strip()[:40]!r}')
    return int(match.group(1))


async def read_policy(store: Store, fallback: TenantPolicy) -> PolicyState:
    """The newest saved version, else version 0 holding `fallback` (the policy file or the defaults)."""
    saved = await asyncio.to_thread(store.latest_policy)
    if saved is None:
        return PolicyState(0, policy_to_json(fallback), None, None)
    return _state(saved)


async def replace_policy(
    store: Store, data: Any, *, changed_by: str, now: datetime, expected_version: int | None = None
) -> PolicyState:
    """Validate `data` (policy JSON; `InputError` naming the field) and save it as the next version."""
    parsed = parse_policy(data)
    document = policy_to_json(parsed)

    # The store checks If-Match atomically with the save, so two instances cannot both pass it.
    saved = await asyncio.to_thread(
        store.save_policy, document, changed_by=changed_by, changed_at=now, expected_version=expected_version
    )
    return _state(saved)


async def policy_history(store: Store) -> list[PolicyState]:
    """Every saved version, newest first."""
    versions = await asyncio.to_thread(store.policy_history)
    return [_state(v) for v in sorted(versions, key=lambda v: v.version, reverse=True)]


def policy_state_to_json(state: PolicyState, *, with_policy: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"version": state.version}
    if with_policy:
        body["policy"] = state.policy
    body["changedBy"] = state.changed_by
    body["changedAt"] = iso_z(state.changed_at) if state.changed_at is not None else None
    return body
