"""The report's onboarding cohort: the joiners whose first flash session (booked by `micromentor onboard`,
request id `onboard:{upn}`, services/onboarding.py) starts in the period, counted with all their flash
sessions, also those of the next period: a joiner's two weeks often straddle two. Pure: sessions in,
counts out."""

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
    joiners: int  # joiners whose first session (cancelled ones left out, unless all are) starts in the period
    placed: int  # of them, those with 2 or more sessions not cancelled
    sessions: int  # their sessions not cancelled
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
    """None when no joiner's first onboarding session starts in `[period_from, period_to)`."""
    by_joiner: dict[str, list[Session]] = {}
    for s in sessions:
        if s.request_id is not None and s.request_id.startswith(ONBOARDING_PREFIX):
            by_joiner.setdefault(s.request_id, []).append(s)

    def first_start(own: list[Session]) -> datetime:
        live = [s.start for s in own if s.state is not SessionState.CANCELLED]
        return min(live or [s.start for s in own])

    cohort = [own for own in by_joiner.values() if period_from <= first_start(own) < period_to]
    if not cohort:
        return None
    ours = [s for own in cohort for s in own]
    live = [s for s in ours if s.state is not SessionState.CANCELLED]
    return OnboardingCohort(
        joiners=len(cohort),
        placed=sum(1 for own in cohort if sum(s.state is not SessionState.CANCELLED for s in own) >= 2),
        sessions=len(live),
        held=sum(1 for s in live if s.state is SessionState.COMPLETED),
        no_shows=sum(1 for s in live if s.state is SessionState.NO_SHOW),
        cancelled=len(ours) - len(live),
        mentors=len({s.mentor for s in live}),
    )
