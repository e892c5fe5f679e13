"""The report's onboarding cohort: the flash sessions `micromentor onboard` booked (request id `onboard:{upn}`,
services/onboarding.py) that start in the period. Pure: sessions in, counts out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.model import Session, SessionState

__all__ = ["ONBOARDING_PREFIX", "OnboardingCohort", "onboarding_cohort"]

ONBOARDING_PREFIX = "onboard:"


@dataclass(frozen=True, slots=True)
class OnboardingCohort:
    joiners: int  # joiners with a session (cancelled ones left out) starting in the period
    placed: int  # of them, those with 2 or more such sessions
    sessions: int  # sessions not cancelled
    held: int  # completed
    no_shows: int
    cancelled: int
    mentors: int  # different mentors of the sessions not cancelled

    def to_json(self) -> dict[str, Any]:
        return {
            "joiners": self.joiners,
            "placed": self.placed,
            "sessions": self.sessions,
            "held": self.held,
            "noShows": self.no_shows,
            "cancelled": self.cancelled,
            "mentors": self.mentors,
        }


def onboarding_cohort(
    sessions: Iterable[Session], period_from: datetime, period_to: datetime
) -> OnboardingCohort | None:
    """None when no onboarding session starts in `[period_from, period_to)`."""
    ours = [
        s
        for s in sessions
        if s.request_id is not None
        and s.request_id.startswith(ONBOARDING_PREFIX)
        and period_from <= s.start < period_to
    ]
    if not ours:
        return None
    live = [s for s in ours if s.state is not SessionState.CANCELLED]
    per_joiner: dict[str, int] = {}
    for s in live:
        per_joiner[s.request_id or ""] = per_joiner.get(s.request_id or "", 0) + 1
    return OnboardingCohort(
        joiners=len(per_joiner),
        placed=sum(1 for n in per_joiner.values() if n >= 2),
        sessions=len(live),
        held=sum(1 for s in live if s.state is SessionState.COMPLETED),
        no_shows=sum(1 for s in live if s.state is SessionState.NO_SHOW),
        cancelled=len(ours) - len(live),
        mentors=len({s.mentor for s in live}),
    )
