"""GETs of one lane (graph/lanes.py) sent as chained `$batch`es formed as the requests come, so a caller
asks for one item at a time (`await stream.get(info)`) and many callers fill batches together.

Why: a client pays its CPU per HTTP request (msgraph-sdk's middleware, httpx, TLS), not per item, so full
batches of 20 cost a twentieth of single requests. Batches filled only from the requests known at once
would make work that comes in steps (a meeting's reports are known only once its listing is read) wait
for the slowest item of each step, and separate calls would fill separate, smaller batches. Here every
item of a lane goes into one queue:

- Up to `slots` batches are in flight, each a chain (every item `dependsOn` the one before), so Graph
  runs one item of it at a time and each batch holds one slot of its lane; the lane's size is 4 (Outlook's
  4 per app, documented in concepts/throttling-limits.md "Outlook service limits for JSON batching";
  onlineMeetings' 4 per organizer, the emulator's strict choice). The transport holds the slots
  (graph/lanes.py), so the limit holds whatever this class does.
- A batch takes up to 20 items (Graph's JSON batching limit), spread evenly over the free slots when
  fewer are waiting (a batch of n holds its slot for n + 1 latencies).
- A throttled item (429/503/504, or missing from the answer) goes back into a later batch once its
  Retry-After has passed, while the others go on; the items after it in its chain (424, never run) go
  back at once. An item throttled `max_attempts` times is sent on its own through the one retry layer,
  once the batches in flight have come back and before any new one goes: a lane throttled that hard
  gets one request at a time.
- A refusal (401/403) is raised to that item's caller as GraphAuthError; a `$batch` that fails as a
  whole raises its error to each of its items' callers.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from typing import TYPE_CHECKING, Any

from graph.base import BATCH_LIMIT
from graph.errors import GraphNotFound
from graph.retry import TRANSIENT_STATUSES, batch_item_wait

if TYPE_CHECKING:
    from graph.base import GraphBase

__all__ = ["BatchStream"]

Answer = tuple[int, dict[str, Any] | None]
_SETTLE_TURNS = 8  # loop turns the scheduler waits, at most, for callers to queue their next items


class _Item:
    __slots__ = ("answer", "info", "throttled")

    def __init__(self, info: Any, answer: asyncio.Future[Answer]) -> None:
        self.info = info
        self.answer = answer
        self.throttled = 0


class BatchStream:
    """One lane's queue of GETs. Use as `async with BatchStream(graph, what, slots) as stream:`; every
    `get` must be awaited before the block ends (leaving it cancels what is still queued)."""

    def __init__(self, graph: GraphBase, what: str, slots: int) -> None:
        self._graph = graph
        self._what = what
        self._slots = max(1, slots)
        self._ready: deque[_Item] = deque()
        self._waiting: list[tuple[float, int, _Item]] = []  # (when it may go again, tie-break, item)
        self._order = itertools.count()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._given_up: deque[_Item] = deque()  # throttled in every batch: each to go on its own
        self._wakeup: asyncio.Future[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self.requests = 0  # $batch requests sent (for benches and tests)

    async def __aenter__(self) -> BatchStream:
        self._pump = asyncio.ensure_future(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        tasks = [t for t in (self._pump, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for item in (*self._ready, *self._given_up, *(entry[2] for entry in self._waiting)):
            if not item.answer.done():
                item.answer.cancel()

    async def get(self, info: Any) -> Answer:
        """(status, JSON body) of one GET the SDK's builders made; body None unless 2xx. 404 is an answer."""
        if self._pump is None or self._pump.done():
            raise RuntimeError("BatchStream used outside its `async with` block")
        item = _Item(info, asyncio.get_running_loop().create_future())
        self._ready.append(item)
        self._wake()
        return await item.answer

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def _run(self) -> None:
        try:
            await self._schedule()
        except asyncio.CancelledError:
            raise
        except BaseException as bug:  # never leave a caller waiting for an answer that cannot come
            for item in (*self._ready, *self._given_up, *(entry[2] for entry in self._waiting)):
                if not item.answer.done():
                    item.answer.set_exception(bug)
            raise

    async def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._waiting and self._waiting[0][0] <= now:
                self._ready.append(heapq.heappop(self._waiting)[2])
            if self._given_up:
                if not self._in_flight:
                    await self._send_alone(self._given_up.popleft())
                    continue
            elif self._ready and len(self._in_flight) < self._slots:
                # Callers resumed by the last answers ask for their next items over the next loop
                # turns: let them, so they share a batch instead of each taking a slot with a small one.
                queued = -1
                for _ in range(_SETTLE_TURNS):
                    if len(self._ready) == queued:
                        break
                    queued = len(self._ready)
                    await asyncio.sleep(0)
                while self._ready and len(self._in_flight) < self._slots:
                    free = self._slots - len(self._in_flight)
                    size = min(BATCH_LIMIT, -(-len(self._ready) // free))
                    batch = [self._ready.popleft() for _ in range(size)]
                    batch = [item for item in batch if not item.answer.done()]  # callers gone
                    if batch:
                        task = asyncio.ensure_future(self._send(batch))
                        self._in_flight.add(task)
                        task.add_done_callback(self._in_flight.discard)
                continue
            self._wakeup = loop.create_future()
            timer = loop.call_at(self._waiting[0][0], self._wake) if self._waiting else None
            try:
                await self._wakeup
            finally:
                if timer is not None:
                    timer.cancel()
                self._wakeup = None

    async def _send(self, batch: list[_Item]) -> None:
        try:
            self.requests += 1
            answers = await self._graph._post_batch(
                {str(n): item.info for n, item in enumerate(batch)}, self._what, chain=True
            )
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # the whole $batch failed (after the retry layer): tell each caller
            for item in batch:
                if not item.answer.done():
                    item.answer.set_exception(error)
            self._wake()
            return
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.discard(task)
        try:
            self._hand_out(batch, answers)
        finally:
            self._wake()  # after the answers: their callers run first and queue their next items

    def _hand_out(self, batch: list[_Item], answers: dict[str, dict[str, Any]]) -> None:
        clock = asyncio.get_running_loop().time
        for n, item in enumerate(batch):
            if item.answer.done():
                continue
            answer = answers.get(str(n), {})
            status = int(answer.get("status") or 0)
            if status == 424:
                self._ready.append(item)  # never ran: its chain broke before it
            elif status in TRANSIENT_STATUSES or not answer:
                item.throttled += 1
                if item.throttled >= self._graph.settings.max_attempts:
                    self._given_up.append(item)
                    continue
                when = clock() + batch_item_wait(answer, item.throttled, self._graph.settings.max_wait_seconds)
                heapq.heappush(self._waiting, (when, next(self._order), item))
            else:
                try:
                    item.answer.set_result(self._graph._item_answer(answer, status, item.info, self._what))
                except Exception as refused:  # 401/403: GraphAuthError for this caller
                    item.answer.set_exception(refused)

    async def _send_alone(self, item: _Item) -> None:
        """Throttled in every batch: on its own, with the retry layer's own budget."""
        try:
            answer: Answer = (200, await self._graph._json(self._what, item.info))
        except GraphNotFound:
            answer = (404, None)
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            if not item.answer.done():
                item.answer.set_exception(error)
            return
        if not item.answer.done():
            item.answer.set_result(answer)
