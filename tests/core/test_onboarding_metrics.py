"""The report's onboarding cohort, counted by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.model import Session, SessionState
from core.onboarding_metrics import OnboardingCohort, onboarding_cohort

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def session(n: int, mentor: str, request_id: str | None, day: int, state: SessionState) -> Session:
    start = START + timedelta(days=day)
    return Session(
        id=f"s{n}", mentor=mentor, mentees=("x@x",), start=start, end=start + timedelta(minutes=15),
        question="q", created_at=START - timedelta(days=1), request_id=request_id, state=state,
    )  # fmt: skip


def test_the_cohort_is_the_joiners_whose_first_session_is_in_the_period() -> None:
    sessions = [
        session(1, "m1", "onboard:a@x", 0, SessionState.COMPLETED),
        session(2, "m2", "onboard:a@x", 1, SessionState.NO_SHOW),
        session(3, "m3", "onboard:a@x", 2, SessionState.SCHEDULED),
        session(4, "m1", "onboard:b@x", 0, SessionState.SCHEDULED),
        session(5, "m2", "onboard:b@x", 1, SessionState.CANCELLED),  # b keeps one live session: not placed
        session(6, "m3", "onboard:c@x", 9, SessionState.SCHEDULED),  # c starts after the period
        session(7, "m3", "req-1", 0, SessionState.COMPLETED),  # an ordinary request
        session(8, "m3", None, 0, SessionState.COMPLETED),
    ]
    cohort = onboarding_cohort(sessions, START - timedelta(hours=9), START + timedelta(days=7))
    assert cohort == OnboardingCohort(joiners=2, placed=1, sessions=4, held=1, no_shows=1, cancelled=1, mentors=3)
    assert onboarding_cohort(sessions[6:], START, START + timedelta(days=7)) is None


def test_a_joiner_whose_sessions_straddle_two_periods_counts_once_in_the_first_with_all_of_them() -> None:
    # d's first session is on the period's last day, the next two in the next period (a joiner's two
    # weeks often straddle two): placed in the first period with 3 sessions, not in the second at all.
    sessions = [
        session(1, "m1", "onboard:d@x", 6, SessionState.COMPLETED),
        session(2, "m2", "onboard:d@x", 8, SessionState.COMPLETED),
        session(3, "m3", "onboard:d@x", 10, SessionState.NO_SHOW),
        session(4, "m1", "onboard:e@x", 7, SessionState.CANCELLED),  # e: first live session in the second
        session(5, "m2", "onboard:e@x", 9, SessionState.SCHEDULED),
    ]
    week, next_week = START + timedelta(days=7), START + timedelta(days=14)
    assert onboarding_cohort(sessions, START, week) == OnboardingCohort(
        joiners=1, placed=1, sessions=3, held=2, no_shows=1, cancelled=0, mentors=3
    )
    assert onboarding_cohort(sessions, week, next_week) == OnboardingCohort(
        joiners=1, placed=0, sessions=1, held=0, no_shows=0, cancelled=1, mentors=1
    )
