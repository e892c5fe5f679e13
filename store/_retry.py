"""Bounded, jittered back-off for optimistic-concurrency retries (lost a version/ETag race: try again)."""

from __future__ import annotations

import random
import time

__all__ = ["MAX_ATTEMPTS", "pause"]

# Each lost race means another writer won, so progress is guaranteed; the bound only stops a livelock
# (e.g. a `change` callback that always produces a conflicting write) from spinning forever.
MAX_ATTEMPTS = 100

_BASE_SECONDS = 0.002
_CAP_SECONDS = 0.05


def pause(attempt: int) -> None:
    """Sleep a random "full jitter" delay that grows with `attempt` (0-based), so racers spread out."""
    ceiling = min(_CAP_SECONDS, _BASE_SECONDS * (2 ** min(attempt, 10)))
    time.sleep(random.uniform(0, ceiling))
