"""Sync's safety net for slot claims: a booking that died between claiming its slot and writing its
session (a crash, a killed worker) leaves a claim that nothing else would ever free, since sync only
looks at sessions. Claims older than a booking can take, whose session never appeared or was
cancelled, are freed here; `plan_sync` runs it every five minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from store.base import Store

__all__ = ["ORPHAN_CLAIM_AGE", "release_orphan_claims"]

# Far longer than a booking takes (it writes its session right after claiming); the same wait as
# sync's settling of unfinished bookings.
ORPHAN_CLAIM_AGE = timedelta(minutes=15)


def release_orphan_claims(store: Store, now: datetime) -> int:
    """Free claims older than `ORPHAN_CLAIM_AGE` without a live session, on cells from `now` on."""
    return store.release_orphan_claims(claimed_before=now - ORPHAN_CLAIM_AGE, cells_from=now)
