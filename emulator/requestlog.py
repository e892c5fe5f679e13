"""A bounded log of the Graph requests the emulator served, with counts per route."""

from __future__ import annotations

import threading
from collections import Counter, deque
from datetime import UTC, datetime
from typing import Any

__all__ = ["RequestLog"]


class RequestLog:
    def __init__(self, keep: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=keep)
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._batch_items = 0

    def add(self, method: str, path: str, status: int, route: str, batch: bool = False,
            fault: str | None = None, query: str = "") -> None:
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "method": method,
            "path": path,
            "status": status,
            "route": route,
            "query": query,  # the raw query string as received, so tests can see what went over the wire
        }
        if batch:
            entry["batch"] = True
        if fault:
            entry["fault"] = fault
        with self._lock:
            self._entries.append(entry)
            self._counts[route] += 1
            self._statuses[str(status)] += 1
            self._batch_items += 1 if batch else 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": list(self._entries),
                "counts": dict(self._counts),
                "statuses": dict(self._statuses),
                "total": sum(self._counts.values()),
                "batchItems": self._batch_items,
            }

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()
            self._statuses.clear()
            self._batch_items = 0
