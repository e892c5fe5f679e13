"""Attendance records matched to a session's people by directory object id first (Graph's `identity.id`),
then by any known address: real records show the mail (not the UPN), sometimes nothing at all."""

from __future__ import annotations

from dataclasses import replace

from core.attendance import decide_state
from core.model import AttendanceRecord, AttendanceReport, Participant, SessionState
from tests.core.test_attendance import END, MENTEE, MENTOR, SESSION, START, span

ANA_ID, RAVI_ID, EVE_ID = "0a", "0b", "0e"
PEOPLE = (
    Participant(MENTOR, ANA_ID, frozenset({MENTOR.casefold(), "ana.ortiz@contoso.co.uk"})),
    Participant(MENTEE, RAVI_ID, frozenset({MENTEE, "ravi.kumar@contoso.co.uk"})),
)
WITH_PEOPLE = replace(SESSION, people=PEOPLE)
AFTER = END + 60 * (END - START)


def record(email: str, user_id: str | None, minutes: float = 15) -> AttendanceRecord:
    return AttendanceRecord(email=email, intervals=(span(0, minutes),), user_id=user_id)


def decide(*records: AttendanceRecord, session: object = WITH_PEOPLE) -> tuple[SessionState, tuple[str, ...]]:
    decision = decide_state(
        session=session,  # type: ignore[arg-type]
        reports=[AttendanceReport("r1", records)],
        now=AFTER,
        ratio=0.66,
    )
    return decision.state, decision.missing


def test_mail_unlike_the_upn_is_matched_by_object_id() -> None:
    assert decide(record("ana.ortiz@contoso.co.uk", ANA_ID), record("ravi.kumar@contoso.co.uk", RAVI_ID)) == (
        SessionState.COMPLETED,
        (),
    )


def test_an_empty_email_never_makes_anyone_absent() -> None:
    assert decide(record("", ANA_ID), record("", RAVI_ID)) == (SessionState.COMPLETED, ())


def test_without_object_ids_any_known_address_matches_case_insensitively() -> None:
    bare = replace(PEOPLE[1], object_id=None)
    session = replace(SESSION, people=(PEOPLE[0], bare))
    assert decide(record("", ANA_ID), record("Ravi.Kumar@Contoso.co.uk", None), session=session)[0] == (
        SessionState.COMPLETED
    )


def test_someone_else_showing_a_participants_address_counts_for_nobody() -> None:
    # Another directory user (another object id) whose record shows Ravi's mail: not Ravi.
    state, missing = decide(record("", ANA_ID), record("ravi.kumar@contoso.co.uk", EVE_ID))
    assert (state, missing) == (SessionState.NO_SHOW, (MENTEE,))


def test_a_guest_and_a_dial_in_count_for_nobody() -> None:
    state, missing = decide(record("", ANA_ID), record("guest@partner.example", "f00"), record("", None))
    assert (state, missing) == (SessionState.NO_SHOW, (MENTEE,))


def test_deciding_waits_while_an_unresolved_person_may_own_an_unattributed_record() -> None:
    from core.attendance import awaits_identity

    unresolved = replace(SESSION, people=(PEOPLE[0], Participant(MENTEE)))
    reports = [AttendanceReport("r1", (record("", ANA_ID), record("", RAVI_ID)))]
    assert awaits_identity(unresolved, reports, now=END + (END - START))
    assert not awaits_identity(unresolved, reports, now=AFTER + 48 * (AFTER - START))  # past the grace period
    assert not awaits_identity(WITH_PEOPLE, reports, now=END + (END - START))  # everyone known
    known_only = [AttendanceReport("r1", (record("", ANA_ID),))]
    assert not awaits_identity(unresolved, known_only, now=END + (END - START))  # nothing unattributed
