"""One request per Idempotency-Key at a time in this process.

A client that retries while its first request is still in flight sends the same key and body again.
Run side by side, the retry would look at the calendar after the first request's meeting was made and
be told its slot is taken. Waiting for the first request instead lets the retry answer its result
(200, the same session); a retry that waits too long is told to come back (409
`idempotency_in_progress` with Retry-After), never that its slot is gone.

Across hosts the booking itself keeps retries apart (see services.booking): the same session id, the
same claim, Graph's `transactionId`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.errors import IdempotencyInProgress

__all__ = ["KEY_WAIT_SECONDS", "one_request_per_key"]

KEY_WAIT_SECONDS = 20.0  # a booking takes well under a second; Graph retries may take longer
RETRY_AFTER_SECONDS = 2

# (event loop, key) -> (lock, requests holding or waiting for it); an asyncio.Lock belongs to one loop.
_turns: dict[tuple[int, str], tuple[asyncio.Lock, int]] = {}


@asynccontextmanager
async def one_request_per_key(key: str, wait_seconds: float = KEY_WAIT_SECONDS) -> AsyncIterator[None]:
    """Hold `key` for the body of the block; wait up to `wait_seconds` for an earlier holder, else raise
    `IdempotencyInProgress`."""
    slot = (id(asyncio.get_running_loop()), key)
    lock, users = _turns.get(slot) or (asyncio.Lock(), 0)
    _turns[slot] = (lock, users + 1)
    try:
        try:
            await asyncio.wait_for(lock.acquire(), wait_seconds)
        except TimeoutError:
            raise IdempotencyInProgress(
                "a request with this key is still being booked; retry shortly", RETRY_AFTER_SECONDS
            ) from None
        try:
            yield
        finally:
            lock.release()
    finally:
        held, left = _turns[slot]
        if left <= 1:
            del _turns[slot]
        else:
            _turns[slot] = (held, left - 1)
