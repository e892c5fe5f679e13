"""One small connection pool per lane (graph/lanes.py) instead of one large pool for every request.

Why: httpcore 1.0's pool does work per request that grows with its connections, and with the square of
them (`_assign_requests_to_connections` checks every connection, polls each idle one's socket, and counts
all connections once per connection; encode/httpcore PR #929 and #1035, not released). With one pool of
32 connections that was a third of sync's client CPU. A lane never has more requests in flight than its
slots (the transport above holds them, `GatedTransport`), so a pool of that size per lane never queues a
request and keeps its few connections alive between requests.

Requests of no lane (the directory, subscriptions, `$batch`es of such items) share one pool of
`OTHER_CONNECTIONS`. Pools of lanes unused for a while are closed once more than `KEPT_POOLS` exist (one
lane per organizer whose meetings were read).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import httpx

__all__ = ["KEPT_POOLS", "LANE_EXTENSION", "OTHER_CONNECTIONS", "LanePools"]

LANE_EXTENSION = "micromentor.lane"  # request extension naming the lane (set by GatedTransport)
OTHER_CONNECTIONS = 16
KEPT_POOLS = 64


class LanePools(httpx.AsyncBaseTransport):
    """Routes each request to its lane's own pool, made by `make(max_connections)` when first needed."""

    def __init__(self, make: Callable[[int], httpx.AsyncBaseTransport], size: Callable[[str], int]) -> None:
        self._make = make
        self._size = size
        self._pools: OrderedDict[str, httpx.AsyncBaseTransport] = OrderedDict()  # least recently used first
        self._busy: dict[str, int] = {}

    def pool_count(self) -> int:
        return len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        lane = request.extensions.get(LANE_EXTENSION)
        key = lane if isinstance(lane, str) else ""
        pool = self._pools.get(key)
        if pool is None:
            await self._trim()
            pool = self._pools[key] = self._make(self._size(key) if key else OTHER_CONNECTIONS)
        self._pools.move_to_end(key)
        self._busy[key] = self._busy.get(key, 0) + 1
        try:
            response = await pool.handle_async_request(request)
            try:
                raw = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            finally:
                await response.aclose()
        finally:
            self._busy[key] -= 1
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(raw), extensions=response.extensions
        )

    async def _trim(self) -> None:
        for key in [k for k in self._pools if not self._busy.get(k)][: max(0, len(self._pools) + 1 - KEPT_POOLS)]:
            pool = self._pools.pop(key)
            self._busy.pop(key, None)
            await pool.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()
