"""Injected faults for Graph routes: throttling and outages (429/503/504 with Retry-After), latency,
and "dropAfterWrite" (do the work, then close the connection without a response)."""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FaultDecision", "FaultRegistry", "FaultRule", "FaultSpecError"]

_STATUSES = (429, 500, 502, 503, 504)


class FaultSpecError(ValueError):
    pass


@dataclass
class FaultRule:
    id: str
    path: re.Pattern[str]
    method: str | None
    status: int | None
    retry_after: float | None
    times: int | None
    every: int
    latency_ms: int
    drop_after_write: bool
    seen: int = 0
    fired: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path.pattern,
            "method": self.method,
            "status": self.status,
            "retryAfter": self.retry_after,
            "times": self.times,
            "every": self.every,
            "latencyMs": self.latency_ms,
            "dropAfterWrite": self.drop_after_write,
            "matched": self.seen,
            "fired": self.fired,
        }


@dataclass
class FaultDecision:
    status: int | None = None
    retry_after: float | None = None
    latency_ms: int = 0
    drop_after_write: bool = False
    rule_ids: list[str] = field(default_factory=list)


def _number(spec: dict[str, Any], key: str, minimum: float) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise FaultSpecError(f"{key}: expected a number >= {minimum}, got {value!r}")
    return float(value)


class FaultRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}
        self._ids = itertools.count(1)

    def add(self, spec: Any) -> FaultRule:
        if not isinstance(spec, dict):
            raise FaultSpecError("expected a JSON object")
        path = spec.get("path", ".*")
        if not isinstance(path, str):
            raise FaultSpecError("path: expected a regular expression string")
        try:
            pattern = re.compile(path)
        except re.error as exc:
            raise FaultSpecError(f"path: {exc}") from None
        method = spec.get("method")
        if method is not None and not isinstance(method, str):
            raise FaultSpecError("method: expected a string")
        status = spec.get("status")
        if status is not None and status not in _STATUSES:
            raise FaultSpecError(f"status: expected one of {', '.join(map(str, _STATUSES))}")
        drop = spec.get("dropAfterWrite", False)
        if not isinstance(drop, bool):
            raise FaultSpecError("dropAfterWrite: expected true or false")
        retry_after = _number(spec, "retryAfter", 0)
        times = _number(spec, "times", 1)
        every = _number(spec, "every", 1)
        latency = _number(spec, "latencyMs", 0)
        if status is None and not drop and not latency:
            raise FaultSpecError("give at least one of status, dropAfterWrite, latencyMs")
        with self._lock:
            rule = FaultRule(
                id=f"fault-{next(self._ids)}",
                path=pattern,
                method=method.upper() if method else None,
                status=status,
                retry_after=retry_after,
                times=int(times) if times is not None else None,
                every=int(every or 1),
                latency_ms=int(latency or 0),
                drop_after_write=drop,
            )
            self._rules[rule.id] = rule
            return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def describe_all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules.values()]

    def check(self, method: str, path: str) -> FaultDecision:
        """What the faults say about this request; counts it against every matching rule."""
        decision = FaultDecision()
        with self._lock:
            for rule in list(self._rules.values()):
                if rule.method and rule.method != method.upper():
                    continue
                if not rule.path.search(path):
                    continue
                rule.seen += 1
                if rule.seen % rule.every != 0:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                rule.fired += 1
                decision.rule_ids.append(rule.id)
                decision.latency_ms += rule.latency_ms
                if rule.status is not None and decision.status is None:
                    decision.status, decision.retry_after = rule.status, rule.retry_after
                decision.drop_after_write = decision.drop_after_write or rule.drop_after_write
        return decision
