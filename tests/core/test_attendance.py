"""Attendance reports to session state (metrics.md), with thresholds worked out by hand.

The reference session runs 10:00-10:15 UTC (900 s); at ratio 0.66 a participant needs
0.66 x 900 = 594 s in the meeting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.attendance import StateDecision, attended_seconds, decide_state
from core.errors import InputError
from core.model import (
    AttendanceInterval,
    AttendanceRecord,
    AttendanceReport,
    Session,
    SessionState,
)

MENTOR = "Ana@Contoso.com"
MENTEE = "ravi@contoso.com"
START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
END = START + timedelta(minutes=15)
AFTER = END + timedelta(minutes=30)
RATIO = 0.66

SESSION = Session(
    id="s1",
    mentor=MENTOR,
    mentees=(MENTEE,),
    start=START,
    end=END,
    question="How do I split a large pull request?",
    created_at=START - timedelta(days=2),
)


def t(minutes: float) -> datetime:
    """Minutes after the scheduled start."""
    return START + timedelta(minutes=minutes)


def span(from_min: float, to_min: float) -> AttendanceInterval:
    return AttendanceInterval(join=t(from_min), leave=t(to_min))


def rec(email: str, *spans: AttendanceInterval, total: int | None = None) -> AttendanceRecord:
    return AttendanceRecord(email=email, intervals=spans, total_seconds=total)


def report(*records: AttendanceRecord, rid: str = "r1") -> AttendanceReport:
    return AttendanceReport(id=rid, records=records, meeting_start=START, meeting_end=END)


def decide(
    reports: list[AttendanceReport] | None,
    *,
    session: Session = SESSION,
    now: datetime = AFTER,
    ratio: float = RATIO,
) -> StateDecision:
    return decide_state(session=session, reports=reports, now=now, ratio=ratio)


# --- before and without reports -------------------------------------------------------------------


def test_before_the_end_the_session_is_scheduled() -> None:
    assert decide(None, now=END - timedelta(seconds=1)) == StateDecision(SessionState.SCHEDULED)
    # Even with an early report in hand: the meeting may still be running.
    full = report(rec(MENTOR, span(0, 15)), rec(MENTEE, span(0, 15)))
    assert decide([full], now=t(14)).state is SessionState.SCHEDULED


def test_a_moved_session_goes_back_to_scheduled() -> None:
    moved = replace(SESSION, state=SessionState.PENDING_ATTENDANCE, start=t(60 * 24), end=t(60 * 24 + 15))
    assert decide(None, session=moved, now=AFTER).state is SessionState.SCHEDULED


@pytest.mark.parametrize("reports", [None, []])
def test_ended_without_report_is_pending(reports: list[AttendanceReport] | None) -> None:
    assert decide(reports, now=END) == StateDecision(SessionState.PENDING_ATTENDANCE, (), "awaiting_report")


def test_no_report_for_48_hours_is_a_no_show() -> None:
    just_before = END + timedelta(hours=48) - timedelta(microseconds=1)
    assert decide(None, now=just_before).state is SessionState.PENDING_ATTENDANCE
    assert decide(None, now=END + timedelta(hours=48)) == StateDecision(
        SessionState.NO_SHOW, (MENTOR, MENTEE), "no_report"
    )


def test_report_grace_is_configurable() -> None:
    result = decide_state(
        session=SESSION, reports=None, now=END + timedelta(hours=1), ratio=RATIO, report_grace=timedelta(hours=1)
    )
    assert result.state is SessionState.NO_SHOW and result.reason == "no_report"


def test_a_decided_session_is_not_undone_by_a_missing_report() -> None:
    done = replace(SESSION, state=SessionState.COMPLETED)
    assert decide(None, session=done) == StateDecision(SessionState.COMPLETED)
    absent = replace(SESSION, state=SessionState.NO_SHOW, missing=(MENTEE,), state_reason="mentees_absent")
    assert decide([], session=absent) == StateDecision(SessionState.NO_SHOW, (MENTEE,), "mentees_absent")


def test_cancelled_stays_cancelled() -> None:
    cancelled = replace(SESSION, state=SessionState.CANCELLED, state_reason="declined")
    full = report(rec(MENTOR, span(0, 15)), rec(MENTEE, span(0, 15)))
    for reports in (None, [full]):
        for now in (t(5), AFTER, END + timedelta(days=5)):
            assert decide(reports, session=cancelled, now=now) == StateDecision(SessionState.CANCELLED, (), "declined")


# --- with reports ---------------------------------------------------------------------------------


def test_both_present_eleven_minutes_is_completed() -> None:
    # 11 min = 660 s >= 594 s (11/15 = 0.733 >= 0.66)
    result = decide([report(rec(MENTOR, span(0, 11)), rec(MENTEE, span(2, 13)))])
    assert result == StateDecision(SessionState.COMPLETED, (), None)


def test_mentee_four_minutes_is_a_no_show_naming_the_mentee() -> None:
    # 4 min = 240 s < 594 s
    result = decide([report(rec(MENTOR, span(0, 15)), rec(MENTEE, span(0, 4)))])
    assert result == StateDecision(SessionState.NO_SHOW, (MENTEE,), "mentees_absent")


def test_threshold_is_inclusive_to_the_second() -> None:
    # 594 s = 9 min 54 s meets 0.66 x 900 s exactly; 593 s and 593.999999 s do not.
    at_threshold = decide(
        [report(rec(MENTOR, span(0, 15)), rec(MENTEE, AttendanceInterval(START, START + timedelta(seconds=594))))]
    )
    assert at_threshold.state is SessionState.COMPLETED
    one_second_short = report(
        rec(MENTOR, span(0, 15)), rec(MENTEE, AttendanceInterval(START, START + timedelta(seconds=593)))
    )
    assert decide([one_second_short]) == StateDecision(SessionState.NO_SHOW, (MENTEE,), "mentees_absent")
    a_microsecond_short = report(
        rec(MENTOR, span(0, 15)),
        rec(MENTEE, AttendanceInterval(START, START + timedelta(seconds=594) - timedelta(microseconds=1))),
    )
    assert decide([a_microsecond_short]).state is SessionState.NO_SHOW


def test_threshold_with_total_seconds_only() -> None:
    # Records without intervals use totalAttendanceInSeconds: 594 passes, 593 fails.
    assert decide([report(rec(MENTOR, total=900), rec(MENTEE, total=594))]).state is SessionState.COMPLETED
    assert decide([report(rec(MENTOR, total=900), rec(MENTEE, total=593))]).missing == (MENTEE,)


def test_threshold_scales_with_the_session_length() -> None:
    # 20 minutes = 1200 s; 0.66 x 1200 = 792 s. 13 min 12 s = 792 s passes, 791 s does not.
    longer = replace(SESSION, end=t(20))
    ok = report(rec(MENTOR, span(0, 20)), rec(MENTEE, total=792))
    short = report(rec(MENTOR, span(0, 20)), rec(MENTEE, total=791))
    assert decide([ok], session=longer).state is SessionState.COMPLETED
    assert decide([short], session=longer).state is SessionState.NO_SHOW


def test_intervals_split_across_a_rejoin_are_summed() -> None:
    # 10:00-10:05 (300 s) + 10:06-10:11 (300 s) = 600 s >= 594 s
    rejoined = report(rec(MENTOR, span(0, 15)), rec(MENTEE, span(0, 5), span(6, 11)))
    assert decide([rejoined]).state is SessionState.COMPLETED
    # 297 s + 296 s = 593 s < 594 s
    short = report(
        rec(MENTOR, span(0, 15)),
        rec(
            MENTEE,
            AttendanceInterval(t(0), t(0) + timedelta(seconds=297)),
            AttendanceInterval(t(6), t(6) + timedelta(seconds=296)),
        ),
    )
    assert decide([short]).missing == (MENTEE,)


def test_two_reports_are_summed() -> None:
    # The meeting ended twice: 300 s in the first report, 300 s in the second = 600 s >= 594 s,
    # while either report alone (300 s) falls short.
    first = report(rec(MENTOR, span(0, 5)), rec(MENTEE, span(0, 5)), rid="r1")
    second = report(rec(MENTOR, span(7, 12)), rec(MENTEE, span(7, 12)), rid="r2")
    assert decide([first, second]).state is SessionState.COMPLETED
    assert decide([first]) == StateDecision(SessionState.NO_SHOW, (MENTOR, MENTEE), "all_absent")


def test_mentor_missing_is_a_no_show_naming_the_mentor() -> None:
    result = decide([report(rec(MENTOR, span(0, 2)), rec(MENTEE, span(0, 15)))])
    assert result == StateDecision(SessionState.NO_SHOW, (MENTOR,), "mentor_absent")


def test_mentor_missing_from_the_report_entirely() -> None:
    result = decide([report(rec(MENTEE, span(0, 15)))])
    assert result == StateDecision(SessionState.NO_SHOW, (MENTOR,), "mentor_absent")


def test_report_without_records_means_nobody_attended() -> None:
    assert decide([report()]) == StateDecision(SessionState.NO_SHOW, (MENTOR, MENTEE), "all_absent")


def test_emails_differing_in_case_match() -> None:
    result = decide([report(rec("ANA@CONTOSO.COM", span(0, 15)), rec("Ravi@Contoso.Com", span(0, 15)))])
    assert result.state is SessionState.COMPLETED
    # Missing people are named as the session spells them.
    result = decide([report(rec("ana@contoso.com", span(0, 1)), rec("RAVI@contoso.com", span(0, 15)))])
    assert result.missing == (MENTOR,)


def test_time_outside_the_scheduled_slot_counts() -> None:
    # Overlap with 10:00-10:15 is not required: the pair met 20 minutes late, for 11 minutes.
    late = report(rec(MENTOR, span(20, 31)), rec(MENTEE, span(20, 31)))
    assert decide([late], now=t(40)).state is SessionState.COMPLETED


def test_overlapping_intervals_count_once() -> None:
    # Joined from laptop and phone at the same time: 10:00-10:05 and 10:01-10:06 cover 6 min = 360 s,
    # not 600 s; also two records for the same person in one report.
    devices = report(
        rec(MENTOR, span(0, 15)),
        rec(MENTEE, span(0, 5), span(1, 6)),
        rec(MENTEE.upper(), span(0, 5)),
    )
    assert attended_seconds([devices])[MENTEE] == timedelta(minutes=6)
    assert decide([devices]).missing == (MENTEE,)


def test_group_session_needs_one_mentee() -> None:
    group = replace(SESSION, mentees=("zoe@contoso.com", MENTEE))
    one_there = report(rec(MENTOR, span(0, 15)), rec(MENTEE, span(0, 12)))
    # Completed; the absent mentee is still recorded as missing.
    assert decide([one_there], session=group) == StateDecision(SessionState.COMPLETED, ("zoe@contoso.com",), None)
    nobody = report(rec(MENTOR, span(0, 15)), rec(MENTEE, span(0, 3)))
    assert decide([nobody], session=group) == StateDecision(
        SessionState.NO_SHOW, (MENTEE, "zoe@contoso.com"), "mentees_absent"
    )


def test_records_without_email_are_ignored() -> None:
    guests = report(rec("", span(0, 15)), rec(MENTOR, span(0, 15)), rec(MENTEE, span(0, 15)))
    assert attended_seconds([guests]) == {
        MENTOR.casefold(): timedelta(minutes=15),
        MENTEE: timedelta(minutes=15),
    }


def test_intervals_win_over_total_seconds_and_reports_add_up() -> None:
    # Report 1 has intervals (5 min) and a disagreeing total (60 s): intervals count.
    # Report 2 has only a total (240 s). 300 + 240 = 540 s.
    first = report(rec(MENTEE, span(0, 5), total=60), rid="r1")
    second = report(rec(MENTEE, total=240), rid="r2")
    assert attended_seconds([first, second]) == {MENTEE: timedelta(seconds=540)}


@pytest.mark.parametrize("ratio", [0.0, -0.1, 1.01])
def test_ratio_must_be_a_share(ratio: float) -> None:
    with pytest.raises(InputError) as caught:
        decide(None, ratio=ratio)
    assert caught.value.field == "completion_min_ratio"
