"""Half-open integer intervals `[start, end)` (seconds since the Unix epoch) and sets of them.

The slot search turns calendars, day windows and working hours into sorted, disjoint interval lists
once, then answers "is this slot inside / does it overlap" by bisection instead of scanning events.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

__all__ = [
    "Interval",
    "IntervalSet",
    "ceil_seconds",
    "dilate",
    "floor_seconds",
    "from_seconds",
    "intersect",
    "merge",
    "subtract",
]

Interval = tuple[int, int]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def floor_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch, rounded down (exact integer arithmetic, aware input)."""
    delta = moment - _EPOCH
    return delta.days * 86400 + delta.seconds


def ceil_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch, rounded up: an event ending at 09:00:00.5 still touches 09:00:00."""
    delta = moment - _EPOCH
    return delta.days * 86400 + delta.seconds + (1 if delta.microseconds else 0)


def from_seconds(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint union; overlapping and touching intervals fuse, empty ones vanish."""
    result: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def intersect(left: Sequence[Interval], right: Sequence[Interval]) -> list[Interval]:
    """Intersection of two sorted, disjoint lists (two-pointer sweep)."""
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(base: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    """`base` minus `holes`, both sorted and disjoint."""
    result: list[Interval] = []
    j = 0
    for start, end in base:
        cursor = start
        while j < len(holes) and holes[j][1] <= cursor:
            j += 1
        k = j
        while k < len(holes) and holes[k][0] < end:
            if holes[k][0] > cursor:
                result.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def dilate(intervals: Iterable[Interval], by: int) -> list[Interval]:
    """Every interval grown by `by` on both sides, then merged (a buffer around meetings)."""
    return merge((start - by, end + by) for start, end in intervals)


class IntervalSet:
    """A sorted, disjoint interval list with O(log n) containment and overlap queries."""

    __slots__ = ("ends", "intervals", "starts")

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.intervals = merge(intervals)
        self.starts = [start for start, _ in self.intervals]
        self.ends = [end for _, end in self.intervals]

    def contains(self, start: int, end: int) -> bool:
        """`[start, end)` lies inside one interval of the set."""
        index = bisect_right(self.starts, start) - 1
        return index >= 0 and self.ends[index] >= end

    def overlaps(self, start: int, end: int) -> bool:
        """Some interval shares a moment with `[start, end)` (strict: touching is not overlapping)."""
        index = bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end

    def covering(self, start: int, end: int) -> Interval | None:
        """The interval that contains `[start, end)`, if any."""
        index = bisect_right(self.starts, start) - 1
        if index >= 0 and self.ends[index] >= end:
            return self.intervals[index]
        return None

    def __len__(self) -> int:
        return len(self.intervals)
