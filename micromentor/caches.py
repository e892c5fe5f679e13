"""Small bounded caches the composition root owns (micromentor.bootstrap), never module-level ones."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

__all__ = ["TimedCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TimedCache(Generic[K, V]):
    """At most `size` values, each kept `seconds` (monotonic clock); the least recently used goes first
    when full. Safe to share between threads (the Functions worker may run sync code in its pool)."""

    def __init__(self, *, seconds: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: TTLCache[K, V] = TTLCache(maxsize=size, ttl=seconds, timer=clock)
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            self._entries.expire()
            return len(self._entries)
