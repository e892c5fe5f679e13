"""Use case: a mentor (or an admin for them) reads and sets their office hours, a per-mentor override of
the tenant policy (docs/office-hours.md), without touching anyone else's settings.

A set is a read-modify-write of the whole policy: it saves the next version naming the version it read
(`expected_version`), so an admin's concurrent edit is never overwritten; when one lands in between, the
change is applied again on top of it (a few times, then 409)."""

from __future__ import annotations

import copy
from typing import Any

from core.errors import Conflict, InputError
from policies import TenantPolicy, normalize_upn, parse_policy
from policies.codec import policy_fields_to_json
from services.policy_admin import PolicyState, read_policy, replace_policy
from store.base import Store

__all__ = ["mentor_office_hours", "set_office_hours"]

ATTEMPTS = 5


async def mentor_office_hours(store: Store, fallback: TenantPolicy, mentor: str) -> list[dict[str, str]]:
    """The mentor's effective office hours as policy JSON ([] = the whole day window)."""
    state = await read_policy(store, fallback)
    policy = parse_policy(state.policy).effective(mentor)
    windows: list[dict[str, str]] = policy_fields_to_json({"office_hours": policy.office_hours})["office_hours"]
    return windows


async def set_office_hours(
    store: Store, fallback: TenantPolicy, mentor: str, windows: Any, *, changed_by: str, now: Any
) -> PolicyState:
    """Replace the mentor's `office_hours` override (`[]` removes it); errors name
    `overrides.<mentor>.office_hours[i]` as the admin API's do (422 for windows that cannot work)."""
    if not isinstance(windows, list):
        raise InputError("officeHours", "must be a list of windows")
    key = normalize_upn(mentor)
    for _ in range(ATTEMPTS):
        current = await read_policy(store, fallback)
        document = copy.deepcopy(current.policy)
        overrides = document.setdefault("overrides", {})
        entry = dict(overrides.get(key, {}))
        if windows:
            entry["office_hours"] = windows
        else:
            entry.pop("office_hours", None)
        if entry:
            overrides[key] = entry
        else:
            overrides.pop(key, None)
        try:
            return await replace_policy(
                store, document, changed_by=changed_by, now=now, expected_version=current.version
            )
        except Conflict:
            continue  # another admin saved in between: apply the change on top of theirs
    raise Conflict("officeHours", "the policy kept changing; try again")
