"""How many Graph requests of this app run at once, and where: every request is held at the transport
(below the SDK's middleware, one hold per HTTP exchange, none while a retry waits) until its lane has a
slot free.

- Outlook: one lane for the whole app, `GraphSettings.mailbox_concurrency` slots (4). Outlook runs at most
  4 requests of an app at once, "regardless of whether the requests all access the same mailbox, or
  access different mailboxes" (DC concepts/throttling-limits.md, "Outlook service limits" -> "Limits per
  app ID"). Outlook requests are those below `/users/{user}/` on the page's "Outlook service resources"
  (event, calendar, message, mailFolder, contact, ...); mailboxSettings is read from the mailbox too. Any
  other path below `/users/{user}/` but onlineMeetings counts here as well: fewer at once never hurts.
- onlineMeetings (their attendance reports included): one lane per organizer,
  `GraphSettings.meeting_concurrency` slots (4). They are Teams', not Outlook's: the page lists no
  concurrency limit for them. 4 per organizer is what the emulator enforces (its strict choice).
- Anything else (the directory's `/users/{user}`, subscriptions, ...): not held.

A `$batch` holds what its items would: a chained batch (`dependsOn`) runs one item at a time, so one slot
in each lane its items touch; a parallel one runs up to 4 items at once (concepts/json-batching.md), so
per lane min(4, its items there, the lane's size) slots. A request taking several slots takes each lane's
at once, lanes in a fixed order, so two requests never each hold part of what the other waits for.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, deque
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

import httpx

from graph.pools import LANE_EXTENSION

__all__ = ["BATCH_PARALLEL", "GatedTransport", "Lanes", "lane_of"]

BATCH_PARALLEL = 4  # items of a parallel $batch Graph runs at once (concepts/json-batching.md)
OUTLOOK = "outlook"
_VERSIONS = ("v1.0", "beta")


def lane_of(url: str) -> str | None:
    """The lane of one request by its URL or path: "outlook", "meetings:<organizer>", or None."""
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
    segments = [unquote(s) for s in path.split("/") if s]
    versions = [n for n, s in enumerate(segments) if s.lower() in _VERSIONS]
    if versions:
        segments = segments[versions[0] + 1 :]  # whatever base path comes before the version
    if not segments or segments[0].lower() not in ("users", "me"):
        return None
    if segments[0].lower() == "me":
        segments = ["users", "me", *segments[1:]]
    if len(segments) < 3:
        return None  # /users or /users/{user}: the directory
    if segments[2].lower() == "onlinemeetings":
        return f"meetings:{segments[1].lower()}"
    return OUTLOOK


class _Slots:
    """A counting semaphore that hands out several slots at once, first come first served."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._queue: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def take(self, n: int) -> None:
        n = max(1, min(n, self.size))
        if not self._queue and self._free >= n:
            self._free -= n
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((n, waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give(n)  # granted as it was cancelled: hand the slots back
            else:
                if (n, waiter) in self._queue:
                    self._queue.remove((n, waiter))
                self._wake()  # a smaller request behind it may fit now
            raise

    def give(self, n: int) -> None:
        self._free += max(1, min(n, self.size))
        self._wake()

    def _wake(self) -> None:
        while self._queue and (self._queue[0][1].done() or self._free >= self._queue[0][0]):
            n, waiter = self._queue.popleft()
            if not waiter.done():  # a cancelled waiter takes nothing
                self._free -= n
                waiter.set_result(None)


class Lanes:
    """The slots of one gateway (one app), made per event loop (asyncio objects belong to one loop)."""

    def __init__(self, outlook: int, meetings: int) -> None:
        self.outlook = max(1, outlook)
        self.meetings = max(1, meetings)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: dict[str, _Slots] = {}

    def size(self, lane: str) -> int:
        return self.outlook if lane == OUTLOOK else self.meetings

    def _get(self, lane: str) -> _Slots:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._slots = loop, {}
        slots = self._slots.get(lane)
        if slots is None:
            slots = self._slots[lane] = _Slots(self.size(lane))
        return slots

    async def hold(self, needs: dict[str, int]) -> list[tuple[_Slots, int]]:
        held: list[tuple[_Slots, int]] = []
        try:
            for lane in sorted(needs):  # one order for everyone: no two holders wait on each other
                slots = self._get(lane)
                await slots.take(needs[lane])
                held.append((slots, needs[lane]))
        except BaseException:
            self.release(held)
            raise
        return held

    @staticmethod
    def release(held: Iterable[tuple[_Slots, int]]) -> None:
        for slots, n in held:
            slots.give(n)


def needs_of(request: httpx.Request) -> dict[str, int]:
    """The slots a request holds while it runs, by lane."""
    path = request.url.path
    if path.rstrip("/").endswith("/$batch"):
        try:
            body = json.loads(request.content or b"{}")
        except (ValueError, httpx.RequestNotRead):
            return {}
        items = [i for i in body.get("requests") or () if isinstance(i, dict)] if isinstance(body, dict) else []
        lanes = Counter(lane for i in items if (lane := lane_of(str(i.get("url") or ""))) is not None)
        chained = any(i.get("dependsOn") for i in items)
        return {lane: 1 if chained else min(n, BATCH_PARALLEL) for lane, n in lanes.items()}
    lane = lane_of(path)
    return {lane: 1} if lane is not None else {}


class GatedTransport(httpx.AsyncBaseTransport):
    """Holds each request's slots (`needs_of`) until its answer is read in full."""

    def __init__(self, inner: httpx.AsyncBaseTransport, lanes: Lanes) -> None:
        self.inner = inner
        self.lanes = lanes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        needs = needs_of(request)
        if not needs:
            return await self.inner.handle_async_request(request)
        # Which lane's connections to use, for a transport below that keeps a pool per lane (graph/pools.py).
        request.extensions[LANE_EXTENSION] = min(needs)
        held = await self.lanes.hold(needs)
        try:
            response = await self.inner.handle_async_request(request)
            try:
                raw = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            finally:
                await response.aclose()
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=httpx.ByteStream(raw),
                extensions=response.extensions,
            )
        finally:
            self.lanes.release(held)

    async def aclose(self) -> None:
        await self.inner.aclose()
