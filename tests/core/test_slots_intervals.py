"""core.intervals: the interval algebra under the slot search (hand-worked small cases + a property)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.intervals import (
    IntervalSet,
    ceil_seconds,
    dilate,
    floor_seconds,
    from_seconds,
    intersect,
    merge,
    subtract,
)


def test_merge_sorts_fuses_touching_and_drops_empty() -> None:
    assert merge([(5, 7), (1, 3), (3, 4), (10, 10), (12, 11), (6, 9)]) == [(1, 4), (5, 9)]
    assert merge([]) == []


def test_intersect() -> None:
    assert intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]
    assert intersect([(0, 10)], [(10, 20)]) == []  # touching is not sharing
    assert intersect([(0, 10)], []) == []


def test_subtract() -> None:
    assert subtract([(0, 100)], [(10, 20), (30, 40), (90, 120)]) == [(0, 10), (20, 30), (40, 90)]
    assert subtract([(0, 10), (20, 30)], [(5, 25)]) == [(0, 5), (25, 30)]
    assert subtract([(0, 10)], [(-5, 15)]) == []
    assert subtract([(0, 10)], [(10, 20)]) == [(0, 10)]


def test_dilate() -> None:
    assert dilate([(10, 20), (31, 40)], 5) == [(5, 25), (26, 45)]
    assert dilate([(10, 20), (30, 40)], 5) == [(5, 45)]


def test_interval_set_queries_are_half_open() -> None:
    busy = IntervalSet([(10, 20), (30, 40)])
    assert busy.overlaps(15, 16) and busy.overlaps(5, 11) and busy.overlaps(19, 31)
    assert not busy.overlaps(20, 30)  # touches both, overlaps neither
    assert not busy.overlaps(0, 10) and not busy.overlaps(40, 50)
    assert busy.contains(10, 20) and busy.contains(31, 39)
    assert not busy.contains(9, 12) and not busy.contains(15, 35) and not busy.contains(45, 46)
    assert busy.covering(32, 33) == (30, 40) and busy.covering(20, 21) is None
    assert len(busy) == 2


def test_seconds_round_outwards_for_events() -> None:
    moment = datetime(2026, 6, 1, 9, tzinfo=UTC)
    assert floor_seconds(moment) == 1780304400  # 2026-06-01T09:00:00Z
    assert from_seconds(1780304400) == moment
    later = moment + timedelta(microseconds=1)
    assert floor_seconds(later) == 1780304400 and ceil_seconds(later) == 1780304401
    assert ceil_seconds(moment) == floor_seconds(moment)


spans = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=6)


@settings(max_examples=200, derandomize=True, database=None)
@given(spans, spans)
def test_algebra_matches_point_sets(left: list[tuple[int, int]], right: list[tuple[int, int]]) -> None:
    def points(intervals: list[tuple[int, int]]) -> set[int]:
        return {p for start, end in intervals for p in range(start, end)}

    a, b = merge(left), merge(right)
    assert points(a) == points(left)
    assert points(intersect(a, b)) == points(a) & points(b)
    assert points(subtract(a, b)) == points(a) - points(b)
    busy = IntervalSet(right)
    for start in range(0, 60, 3):
        for end in range(start + 1, 62, 4):
            window = set(range(start, end))
            assert busy.overlaps(start, end) == bool(window & points(b))
            assert busy.contains(start, end) == any(window <= set(range(s, e)) for s, e in b)
