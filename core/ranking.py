"""Ranking valid slots so that the mentor keeps long stretches of focus time.

Scoring (lower is better, compared as a tuple, so fully deterministic):

0. `week`: soonness first. A slot in an earlier calendar week (Monday to Sunday in the mentor's zone)
   always ranks before one in a later week, so `--limit 5` never hides the first week with a free slot
   behind better-shaped slots of the week after (a mentee asked for help now, and time to first session
   is a metric). Within a week, focus time decides:
1. `loss`: how many minutes the mentor's longest free block of that local day shrinks if the slot is
   booked. A free block is a maximal stretch of the mentor's day window ∩ working hours with no blocking
   item (focus holds included, buffers not). A slot in a short block, or at the edge of the longest one,
   loses little; one in the middle of the longest block loses a lot.
2. `gap`: the slack to the nearer edge of its free block, i.e. the distance to the previous/next meeting
   minus the buffer, or to the start/end of the working day; 0 when it is less than one grid step (no
   grid start sits closer to that edge). Edge slots leave the rest of the block in one piece.
3. the start: earlier first.

Each ranked slot carries a short `why`, such as "right after another meeting, keeps the 2h free block on
Tue 1 Dec intact".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from core.errors import InputError
from core.intervals import (
    Interval,
    IntervalSet,
    ceil_seconds,
    floor_seconds,
    from_seconds,
    intersect,
    subtract,
)
from core.model import Attendee, Slot
from core.slots import SlotSearch, blocking_intervals, hours_windows
from policies.model import Policy

__all__ = ["format_minutes", "rank_slots"]

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_minutes(minutes: int) -> str:
    """45 -> "45 min", 120 -> "2h", 90 -> "1h30"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours}h{rest:02d}" if rest else f"{hours}h"


def _day_label(day: date) -> str:
    return f"{_WEEKDAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


# `why` goes to mentees, so it never names the mentor's meetings: calendarView read with application
# permissions returns subjects the mentor may have marked private.
_AFTER = "right after another meeting"
_BEFORE = "right before another meeting"


@dataclass(frozen=True, slots=True)
class _Day:
    """The mentor's free blocks on one local day and their two longest lengths (seconds)."""

    blocks: IntervalSet
    work: tuple[Interval, ...]
    longest: int
    second: int


class _Ranker:
    def __init__(self, mentor: Attendee, policy: Policy, low: int, high: int) -> None:
        self.mentor, self.policy = mentor, policy
        days, work = hours_windows(mentor, policy, low, high)
        self.hours = intersect(days, work) if work is not None else days
        self.busy = blocking_intervals(mentor, policy=policy, mentor=True)
        self.buffer = policy.buffer_minutes * 60
        self.step = policy.slot_step_minutes * 60
        self.cache: dict[date, _Day] = {}

    def day(self, local: date) -> _Day:
        if local not in self.cache:
            # Each day's hours window lies inside that local day; pick those starting on `local`.
            work = tuple(iv for iv in self.hours if self._date_of(iv[0]) == local)
            blocks = subtract(list(work), self.busy)
            lengths = [*sorted((end - start for start, end in blocks), reverse=True), 0, 0]
            self.cache[local] = _Day(IntervalSet(blocks), work, lengths[0], lengths[1])
        return self.cache[local]

    def _date_of(self, seconds: int) -> date:
        return from_seconds(seconds).astimezone(self.mentor.tz).date()

    def score(self, slot: Slot) -> tuple[int, int, int, int, str]:
        """(the local week's Monday, loss, gap, start, why): the module docstring's order."""
        local = slot.start.astimezone(self.mentor.tz).date()
        monday = local.toordinal() - local.weekday()
        return (monday, *self._shape(slot))

    def _shape(self, slot: Slot) -> tuple[int, int, int, str]:
        start, end = floor_seconds(slot.start), ceil_seconds(slot.end)
        local = slot.start.astimezone(self.mentor.tz).date()
        day = self.day(local)
        block = day.blocks.covering(start, end)
        if block is None:  # not a slot the search would offer; rank it last but keep it
            return (1 << 40, 1 << 40, start, f"on {_day_label(local)}")
        left, right = start - block[0], block[1] - end
        others = day.second if block[1] - block[0] == day.longest else day.longest
        loss = day.longest - max(left, right, others)
        # Slack: distance to the edge beyond what the rules require (the buffer next to a meeting).
        left_meeting = block[0] not in {piece[0] for piece in day.work}
        right_meeting = block[1] not in {piece[1] for piece in day.work}
        left_slack = left - (self.buffer if left_meeting else 0)
        right_slack = right - (self.buffer if right_meeting else 0)
        gap = min(left_slack, right_slack)
        if gap < self.step:  # no grid start sits closer to that edge
            gap = 0
        why = self._why(local, day, block, left_slack, right_slack, left_meeting, right_meeting, loss)
        return (loss // 60, gap // 60, start, why)

    def _why(
        self,
        local: date,
        day: _Day,
        block: Interval,
        left_slack: int,
        right_slack: int,
        left_meeting: bool,
        right_meeting: bool,
        loss: int,
    ) -> str:
        if left_slack < self.step and left_slack <= right_slack:
            place = _AFTER if left_meeting else "first thing in the working day"
        elif right_slack < self.step:
            place = _BEFORE if right_meeting else "last thing in the working day"
        else:
            place = f"inside a {format_minutes((block[1] - block[0]) // 60)} free block"
        label = _day_label(local)
        longest = format_minutes(day.longest // 60)
        if loss <= 0:
            return f"{place}, keeps the {longest} free block on {label} intact"
        after = format_minutes((day.longest - loss) // 60)
        return f"{place}, shortens the longest free block on {label} from {longest} to {after}"


def rank_slots(search: SlotSearch, *, mentor: Attendee, policy: Policy, limit: int) -> tuple[Slot, ...]:
    """The best `limit` slots of `search` (scoring in the module docstring), best first, each with `why`."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InputError("limit", "must be a positive integer")
    if not search.slots:
        return ()
    low = floor_seconds(min(slot.start for slot in search.slots))
    high = ceil_seconds(max(slot.end for slot in search.slots))
    ranker = _Ranker(mentor, policy, low, high)
    scored = sorted((ranker.score(slot), slot) for slot in search.slots)
    return tuple(replace(slot, why=score[4]) for score, slot in scored[:limit])
