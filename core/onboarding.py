"""Onboarding a cohort of joiners: 2 to 3 flash sessions per joiner, each with a different mentor, inside the
joiner's first two weeks. Pure: joiners, mentors and the valid slots of each (joiner, mentor) pair in,
a plan out; no clock, no I/O (the service reads calendars and books).

The slots given per pair are what the slot search found (`core.slots.find_slots`): every rule of the policy
and the caps, counted from the mentor's calendar, already hold for each slot on its own. What this planner
adds is what one session does to the next one it places:
- a mentor's caps (day / ISO week / month in the mentor's zone, `core.slots.caps_broken`) count the
  sessions already on the calendar *and* those this plan gave the mentor;
- a mentor or a joiner is in one placed session at a time, with the mentor's buffer between two;
- a joiner meets each mentor once.

Choices, in order:
- The window: the joiner's start date 00:00 to 14 days later 00:00, in the joiner's mailbox zone
  (`first_two_weeks`): a joiner in Seattle starting on Monday gets Seattle's Monday.
- Rounds: every joiner gets a first session before anyone gets a second, and a second before anyone gets a
  third, so a busy cohort is spread over joiners before it deepens for some. Within a round the joiners
  with fewest mentors available go first (they have least choice), then by start date and UPN.
- A joiner's mentor: the least loaded mentor first (their scheduled sessions before this plan plus those
  this plan gave them), then the one sharing most of the joiner's skills, then by UPN; the first of these
  with a slot that still fits.
- A joiner's slot with that mentor: the earliest on a local day (the joiner's) with no session of theirs
  yet, else the earliest: onboarding spreads over the first days.
- `minimum` (2): after that many rounds, a joiner short of it gives their sessions back; then each such
  joiner in turn tries for `minimum` sessions from what is free, or is not placed at all (nothing booked)
  and the reason says why. Then the optional rounds, up to `target` (3) where there is room.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.model import Slot
from core.quiet_hours import wall_to_utc
from core.slots import caps_broken
from policies.model import Policy

__all__ = [
    "MINIMUM_SESSIONS",
    "TARGET_SESSIONS",
    "WINDOW_DAYS",
    "JoinerSlots",
    "MentorLoad",
    "NewJoiner",
    "OnboardingPlan",
    "Placement",
    "Unplaced",
    "first_two_weeks",
    "plan_onboarding",
    "skill_key",
]

WINDOW_DAYS = 14
MINIMUM_SESSIONS = 2
TARGET_SESSIONS = 3

_ONE_DAY = timedelta(days=1)

NO_MENTOR = "no mentor in the catalogue besides the joiner"
NO_SLOT = "no mentor with a free slot in the first two weeks"
WINDOW_OVER = "the first two weeks are over"


def skill_key(skill: str) -> str:
    """Skills compare trimmed, inner spaces collapsed, case-folded (as the mentor catalogue does)."""
    return " ".join(skill.split()).casefold()


def first_two_weeks(start_date: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start date 00:00, start date + 14 days 00:00) in `zone`, as UTC instants."""
    return (
        wall_to_utc(start_date, time(0), zone),
        wall_to_utc(start_date + timedelta(days=WINDOW_DAYS), time(0), zone),
    )


@dataclass(frozen=True, slots=True)
class Placement:
    joiner: str
    mentor: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class NewJoiner:
    upn: str
    start_date: date
    zone: tzinfo  # the joiner's mailbox zone: their first two weeks, their local days
    skills: frozenset[str] = frozenset()  # `skill_key`-ed
    booked: tuple[Placement, ...] = ()  # sessions an earlier run already placed and booked for them


@dataclass(frozen=True, slots=True)
class MentorLoad:
    upn: str
    zone: tzinfo  # the mentor's mailbox zone: what the caps count in
    policy: Policy  # the mentor's effective policy: caps and buffer
    skills: frozenset[str] = frozenset()  # `skill_key`-ed
    sessions: tuple[datetime, ...] = ()  # starts of the sessions on the calendar the caps already count
    load: int = 0  # scheduled sessions before this plan: who is least loaded


@dataclass(frozen=True, slots=True)
class JoinerSlots:
    """The valid slots of one (joiner, mentor) pair, as the slot search found them."""

    joiner: str
    mentor: str
    slots: tuple[Slot, ...]


@dataclass(frozen=True, slots=True)
class Unplaced:
    joiner: str
    reason: str


@dataclass(frozen=True, slots=True)
class OnboardingPlan:
    placements: tuple[Placement, ...]  # new sessions to book, by joiner then start
    unplaced: tuple[Unplaced, ...]  # joiners left with fewer than `minimum` sessions, in input order

    def of(self, joiner: str) -> tuple[Placement, ...]:
        return tuple(p for p in self.placements if p.joiner == joiner)


@dataclass(slots=True)
class _State:
    mentors: dict[str, MentorLoad]
    assigned: dict[str, list[Placement]] = field(default_factory=dict)  # by mentor: this plan's sessions
    busy: dict[str, list[Placement]] = field(default_factory=dict)  # by person, either role
    # by person, by UTC day of the start: what `fits` scans (the day before, of, and after a slot)
    busy_days: dict[str, dict[date, list[Placement]]] = field(default_factory=dict)
    # mentor -> local day -> one more session that day breaks a cap; dropped when the mentor's sessions change
    full: dict[str, dict[date, bool]] = field(default_factory=dict)

    def load(self, mentor: str) -> int:
        return self.mentors[mentor].load + len(self.assigned.get(mentor, ()))

    def hold(self, person: str, placement: Placement) -> None:
        """`person` is in `placement` (a session of this plan, or one booked before it)."""
        self.busy.setdefault(person, []).append(placement)
        day = placement.start.astimezone(UTC).date()
        self.busy_days.setdefault(person, {}).setdefault(day, []).append(placement)

    def add(self, placement: Placement) -> None:
        self.assigned.setdefault(placement.mentor, []).append(placement)
        self.full.pop(placement.mentor, None)
        for person in (placement.joiner, placement.mentor):
            self.hold(person, placement)

    def remove(self, placement: Placement) -> None:
        self.assigned[placement.mentor].remove(placement)
        self.full.pop(placement.mentor, None)
        for person in (placement.joiner, placement.mentor):
            self.busy[person].remove(placement)
            self.busy_days[person][placement.start.astimezone(UTC).date()].remove(placement)

    def _capped(self, mentor: MentorLoad, start: datetime) -> bool:
        """Caps count by the mentor's local day, ISO week and month: one answer per local day."""
        day = start.astimezone(mentor.zone).date()
        known = self.full.setdefault(mentor.upn, {})
        if day not in known:
            planned = [p.start for p in self.assigned.get(mentor.upn, ())]
            known[day] = bool(
                caps_broken([*mentor.sessions, *planned], start=start, mentor_tz=mentor.zone, policy=mentor.policy)
            )
        return known[day]

    def fits(self, joiner: str, mentor: MentorLoad, slot: Slot) -> bool:
        gap = timedelta(minutes=mentor.policy.buffer_minutes)
        # A session that overlaps the slot with the buffer around it starts on the slot's UTC day, the day
        # before or the day after (sessions and buffers are far shorter than a day): only those are scanned.
        low, high = slot.start - gap, slot.end + gap
        near: tuple[date, ...] | None = None
        for person in (joiner, mentor.upn):
            days = self.busy_days.get(person)
            if not days:
                continue
            if near is None:
                day = slot.start.astimezone(UTC).date()
                near = (day - _ONE_DAY, day, day + _ONE_DAY)
            for d in near:
                for b in days.get(d, ()):
                    if b.start < high and low < b.end:
                        return False
        return not self._capped(mentor, slot.start)


def _window_slots(
    joiners: Sequence[NewJoiner], mentors: Mapping[str, MentorLoad], pairs: Iterable[JoinerSlots]
) -> dict[str, dict[str, tuple[Slot, ...]]]:
    """Per joiner, per mentor: the pair's slots inside the joiner's first two weeks, ascending."""
    by_upn = {j.upn: j for j in joiners}
    found: dict[str, dict[str, tuple[Slot, ...]]] = {j.upn: {} for j in joiners}
    for pair in pairs:
        joiner = by_upn.get(pair.joiner)
        if joiner is None or pair.mentor not in mentors or pair.mentor == joiner.upn:
            continue
        if pair.mentor in {b.mentor for b in joiner.booked}:
            continue  # met once already
        low, high = first_two_weeks(joiner.start_date, joiner.zone)
        inside = tuple(sorted((s for s in pair.slots if low <= s.start and s.end <= high), key=lambda s: s.start))
        if inside:
            found[joiner.upn][pair.mentor] = inside
    return found


def _pick(joiner: NewJoiner, state: _State, slots: Mapping[str, tuple[Slot, ...]]) -> Placement | None:
    def rank(upn: str) -> tuple[int, int, str]:
        return (state.load(upn), -len(joiner.skills & state.mentors[upn].skills), upn)

    met = {p.mentor for p in state.busy.get(joiner.upn, ()) if p.joiner == joiner.upn}
    days = {p.start.astimezone(joiner.zone).date() for p in (*joiner.booked, *state.busy.get(joiner.upn, ()))}
    for upn in sorted((m for m in slots if m not in met), key=rank):
        mentor = state.mentors[upn]
        fallback: Slot | None = None
        for slot in slots[upn]:  # ascending: the first fitting slot on a fresh day wins, else the first fitting
            fresh = slot.start.astimezone(joiner.zone).date() not in days
            if (fresh or fallback is None) and state.fits(joiner.upn, mentor, slot):
                if fresh:
                    return Placement(joiner.upn, upn, slot.start, slot.end)
                fallback = slot
        if fallback is not None:
            return Placement(joiner.upn, upn, fallback.start, fallback.end)
    return None


def _reason(available: int, minimum: int) -> str:
    if available == 0:
        return NO_SLOT
    if available < minimum:
        mentors = "1 mentor has" if available == 1 else f"{available} mentors have"
        return f"fewer than {minimum} mentors available: only {mentors} a free slot in the first two weeks"
    return (
        f"fewer than {minimum} sessions fit: the free slots and caps of the {available} mentors available went "
        "to other joiners"
    )


def _settle(
    order: Sequence[NewJoiner],
    new: dict[str, list[Placement]],
    dropped: dict[str, str],
    state: _State,
    slots: Mapping[str, Mapping[str, tuple[Slot, ...]]],
    *,
    now: datetime,
    minimum: int,
) -> None:
    """After the `minimum`-th round: a joiner short of `minimum` gives their sessions back; then each of
    them in turn takes `minimum` sessions from what is free now, or is left unplaced with the reason
    (round robin alone could leave two joiners with one session each where one of them fits twice)."""
    short = [j for j in order if len(j.booked) + len(new[j.upn]) < minimum]
    for joiner in short:
        for placement in new[joiner.upn]:
            state.remove(placement)
        new[joiner.upn] = []
    for joiner in short:
        while len(joiner.booked) + len(new[joiner.upn]) < minimum:
            chosen = _pick(joiner, state, slots[joiner.upn])
            if chosen is None:
                break
            state.add(chosen)
            new[joiner.upn].append(chosen)
        if len(joiner.booked) + len(new[joiner.upn]) >= minimum:
            continue
        for placement in new[joiner.upn]:
            state.remove(placement)
        new[joiner.upn] = []
        if not [m for m in state.mentors if m != joiner.upn]:
            dropped[joiner.upn] = NO_MENTOR
        elif first_two_weeks(joiner.start_date, joiner.zone)[1] <= now:
            dropped[joiner.upn] = WINDOW_OVER
        else:
            dropped[joiner.upn] = _reason(len(joiner.booked) + len(slots[joiner.upn]), minimum)


def plan_onboarding(
    joiners: Sequence[NewJoiner],
    mentors: Sequence[MentorLoad],
    pairs: Iterable[JoinerSlots],
    *,
    now: datetime,
    minimum: int = MINIMUM_SESSIONS,
    target: int = TARGET_SESSIONS,
) -> OnboardingPlan:
    """New sessions for each joiner up to `target` (their `booked` ones count), or none and a reason when
    fewer than `minimum` fit. See the module docstring for the order of choices."""
    state = _State({m.upn: m for m in mentors})
    slots = _window_slots(joiners, state.mentors, pairs)
    for joiner in joiners:
        for placed in joiner.booked:
            state.hold(joiner.upn, placed)  # their own time, not the mentor's caps again
    order = sorted(joiners, key=lambda j: (len(slots[j.upn]), j.start_date, j.upn))
    new: dict[str, list[Placement]] = {j.upn: [] for j in joiners}
    dropped: dict[str, str] = {}

    for round_ in range(1, target + 1):
        for joiner in order:
            if joiner.upn in dropped or len(joiner.booked) + len(new[joiner.upn]) >= round_:
                continue
            chosen = _pick(joiner, state, slots[joiner.upn])
            if chosen is not None:
                state.add(chosen)
                new[joiner.upn].append(chosen)
        if round_ == minimum:
            _settle(order, new, dropped, state, slots, now=now, minimum=minimum)

    placements = tuple(p for j in joiners for p in sorted(new[j.upn], key=lambda p: p.start))
    unplaced = tuple(Unplaced(j.upn, dropped[j.upn]) for j in joiners if j.upn in dropped)
    return OnboardingPlan(placements, unplaced)
