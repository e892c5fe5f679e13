"""The report of metrics.md on a small fixed data set; every expectation is worked out by hand below.

Period: [2026-03-02T00:00Z, 2026-03-16T00:00Z) = UTC ISO weeks 2026-W10 (Mon 2 - Sun 8 March) and
2026-W11 (Mon 9 - Sun 15 March).

Mentors and their zones: ana (America/Los_Angeles: PST UTC-8 until 2026-03-08 02:00, then PDT UTC-7),
bo (Asia/Kolkata, UTC+05:30), cy (Asia/Kathmandu, UTC+05:45). Mentees: dee, eli, fay, gus, hal.
All sessions are 15 minutes.

 id   mentor  mentees    start (UTC)        state       request   mentor-local start
 S1   ana     dee        Tue 03-03 17:00    completed   R1        Tue 03-03 09:00 PST
 S2   ana     Dee (!)    Thu 03-05 17:00    completed             Thu 03-05 09:00 PST
 S3   ana     eli        Fri 03-06 07:30    no_show               Thu 03-05 23:30 PST  (other local day)
 S4   ana     fay        Fri 03-06 17:00    cancelled R3          Fri 03-06 09:00 PST
 S5   ana     fay        Tue 03-10 17:00    completed R3          Tue 03-10 10:00 PDT
 S6   bo      gus        Wed 03-04 04:00    completed R2          Wed 03-04 09:30 IST
 S7   bo      gus        Wed 03-04 05:00    no_show               Wed 03-04 10:30 IST
 S8   bo      hal, gus   Wed 03-11 04:30    pending               Wed 03-11 10:00 IST
 S9   bo      eli        Thu 03-12 04:00    scheduled             Thu 03-12 09:30 IST
 S10  cy      hal        Mon 03-02 00:00    completed             Mon 03-02 05:45 NPT  (= period start)
 S14  cy      hal        Mon 03-09 09:00    completed R4          Mon 03-09 14:45 NPT
 S11  cy      hal        Sun 03-15 23:30    no_show               Mon 03-16 05:15 NPT  (local W12)
 S12  cy      dee        Mon 03-16 09:00    completed R5          outside the period (= period end)
 S13  ana     dee        Sun 03-01 23:59    completed R0          outside the period (before)

In the period: 12 sessions (S1-S11, S14): completed 6 (S1 S2 S5 S6 S10 S14), no_show 3 (S3 S7 S11),
cancelled 1 (S4), pending_attendance 1 (S8), scheduled 1 (S9). Completion rate 6 / (6 + 3) = 0.6667.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from core.errors import InputError
from core.metrics import CapLimits, Report, compute_report
from core.model import MentoringRequest, Session, SessionState

C = SessionState.COMPLETED
N = SessionState.NO_SHOW
X = SessionState.CANCELLED
P = SessionState.PENDING_ATTENDANCE
S = SessionState.SCHEDULED

FROM = datetime(2026, 3, 2, tzinfo=UTC)
TO = datetime(2026, 3, 16, tzinfo=UTC)

ZONES: dict[str, tzinfo] = {
    "ana@c.com": ZoneInfo("America/Los_Angeles"),
    "bo@c.com": ZoneInfo("Asia/Kolkata"),
    "cy@c.com": ZoneInfo("Asia/Kathmandu"),
}
# ana's own caps are tight (1 a day, 3 a week); everyone else has the policy defaults 3 / 5 / 12.
CAPS = {"ana@c.com": CapLimits(max_sessions_per_day=1, max_sessions_per_week=3, max_sessions_per_month=12)}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def session(
    sid: str,
    mentor: str,
    mentees: tuple[str, ...],
    start: str,
    state: SessionState,
    request: str | None = None,
    missing: tuple[str, ...] = (),
    reason: str | None = None,
) -> Session:
    begin = at(start)
    return Session(
        id=sid,
        mentor=mentor,
        mentees=mentees,
        start=begin,
        end=begin + timedelta(minutes=15),
        question="q?",
        created_at=begin - timedelta(days=1),
        state=state,
        request_id=request,
        missing=missing,
        state_reason=reason,
    )


SESSIONS = [
    session("S1", "ana@c.com", ("dee@c.com",), "2026-03-03T17:00", C, "R1"),
    session("S2", "Ana@C.com", ("Dee@C.com",), "2026-03-05T17:00", C),
    session("S3", "ana@c.com", ("eli@c.com",), "2026-03-06T07:30", N, None, ("eli@c.com",), "mentees_absent"),
    session("S4", "ana@c.com", ("fay@c.com",), "2026-03-06T17:00", X, "R3"),
    session("S5", "ana@c.com", ("fay@c.com",), "2026-03-10T17:00", C, "R3"),
    session("S6", "bo@c.com", ("gus@c.com",), "2026-03-04T04:00", C, "R2"),
    session("S7", "bo@c.com", ("gus@c.com",), "2026-03-04T05:00", N, None, ("bo@c.com",), "mentor_absent"),
    session("S8", "bo@c.com", ("hal@c.com", "gus@c.com"), "2026-03-11T04:30", P),
    session("S9", "bo@c.com", ("eli@c.com",), "2026-03-12T04:00", S),
    session("S10", "cy@c.com", ("hal@c.com",), "2026-03-02T00:00", C),
    session("S11", "cy@c.com", ("hal@c.com",), "2026-03-15T23:30", N, None, ("cy@c.com", "hal@c.com"), "all_absent"),
    session("S12", "cy@c.com", ("dee@c.com",), "2026-03-16T09:00", C, "R5"),
    session("S13", "ana@c.com", ("dee@c.com",), "2026-03-01T23:59", C, "R0"),
    session("S14", "cy@c.com", ("hal@c.com",), "2026-03-09T09:00", C, "R4"),
]


def request(rid: str, mentee: str, created: str) -> MentoringRequest:
    return MentoringRequest(id=rid, mentee=mentee, skill="reviews", question="q?", created_at=at(created))


# Time to first session (first non-cancelled session of the request, any start):
#  R0 created 02-27: before the period, left out.
#  R1 dee 03-02 09:00 -> S1 03-03 17:00            = 32 h       = 1920 min   (week W10)
#  R2 gus 03-03 10:00 -> S6 03-04 04:00            = 18 h       = 1080 min   (W10)
#  R3 fay 03-04 12:00 -> S4 cancelled; S5 03-10 17:00 = 6 d 5 h = 149 h = 8940 min (W10)
#  R4 hal 03-08 21:00 (Sunday) -> S14 03-09 09:00  = 12 h       = 720 min    (W10)
#  R6 eli 03-11 08:00 -> no session: waiting                                  (W11)
#  R5 dee 03-13 09:00 -> S12 03-16 09:00 (after the period, still counts) = 72 h = 4320 min (W11)
# Sorted: 720, 1080, 1920, 4320, 8940 -> median 1920 (3rd of 5); p90 rank ceil(0.9 x 5) = 5 -> 8940.
# W10: 720, 1080, 1920, 8940 -> median (1080 + 1920) / 2 = 1500; p90 rank ceil(3.6) = 4 -> 8940.
# W11: 4320 (1 served, 1 waiting) -> median 4320, p90 4320.
REQUESTS = [
    request("R0", "dee@c.com", "2026-02-27T00:00"),
    request("R1", "dee@c.com", "2026-03-02T09:00"),
    request("R2", "gus@c.com", "2026-03-03T10:00"),
    request("R3", "fay@c.com", "2026-03-04T12:00"),
    request("R4", "hal@c.com", "2026-03-08T21:00"),
    request("R5", "dee@c.com", "2026-03-13T09:00"),
    request("R6", "eli@c.com", "2026-03-11T08:00"),
]

SEGMENTS = {
    "ana@c.com": {"officeLocation": "Seattle", "department": "Eng"},
    "BO@c.com": {"officeLocation": "Pune", "department": "Eng"},
    "dee@c.com": {"officeLocation": "Seattle", "department": "Sales"},
    "eli@c.com": {"officeLocation": "Pune", "department": "Eng"},
    "gus@c.com": {"officeLocation": "Pune"},
    "hal@c.com": {"officeLocation": "Kathmandu", "department": "Ops"},
    # cy and fay have no entry: "(unknown)" for every attribute.
}


def caps_for(upn: str) -> CapLimits:
    return CAPS.get(upn, CapLimits())


@pytest.fixture(scope="module")
def report() -> Report:
    return compute_report(
        sessions=SESSIONS,
        requests=REQUESTS,
        period_from=FROM,
        period_to=TO,
        caps=caps_for,
        segments=SEGMENTS,
        mentor_tz=ZONES.__getitem__,
        # Display names: Ana's is known (any case of the UPN); Eli's is blank, so his UPN is shown.
        names={"ANA@c.com": "Ana Ortiz", "eli@c.com": "  "},
        # Every segment shown as it is; folding small ones is tested in test_segments.py.
        min_segment_size=1,
    )


@pytest.fixture(scope="module")
def doc(report: Report) -> dict[str, object]:
    data = report.to_json()
    # Plain JSON all the way down (no datetimes, enums or tuples left to trip json.dumps).
    assert json.loads(json.dumps(data)) == data
    return data


# --- totals ---------------------------------------------------------------------------------------


def test_state_counts_and_completion_rate(doc: dict[str, object]) -> None:
    assert doc["period"] == {"from": "2026-03-02T00:00:00Z", "to": "2026-03-16T00:00:00Z"}
    assert doc["sessions"] == {
        "sessions": 12,
        "completed": 6,
        "noShow": 3,
        "cancelled": 1,
        "pendingAttendance": 1,
        "attendanceUnavailable": 0,
        "scheduled": 1,
    }
    assert doc["completionRate"] == 0.6667  # 6 / 9


def test_sessions_whose_attendance_graph_refused_are_counted_apart_from_no_shows() -> None:
    from dataclasses import replace as _replace

    from core.attendance import ATTENDANCE_UNAVAILABLE
    from core.metrics import StateCounts

    base = SESSIONS[0]
    refused = _replace(base, state=SessionState.PENDING_ATTENDANCE, state_reason=ATTENDANCE_UNAVAILABLE)
    waiting = _replace(base, state=SessionState.PENDING_ATTENDANCE, state_reason="awaiting_report")
    counts = StateCounts.of([refused, waiting])
    assert (counts.pending_attendance, counts.attendance_unavailable, counts.no_show) == (2, 1, 0)
    assert counts.completion_rate is None


def test_people(doc: dict[str, object]) -> None:
    # Non-cancelled sessions in the period. Mentors: ana, bo, cy. Mentees: dee (S1, S2 as "Dee"),
    # eli (S3, S9), fay (S5; S4 is cancelled), gus (S6, S7, S8), hal (S8, S10, S11, S14).
    # Two or more sessions: dee, eli, gus, hal -> 4.
    assert doc["people"] == {"mentors": 3, "mentees": 5, "repeatMentees": 4}


def test_no_shows_list_who_was_missing(doc: dict[str, object]) -> None:
    assert doc["noShows"] == [
        {
            "sessionId": "S7",
            "start": "2026-03-04T05:00:00Z",
            "mentor": "bo@c.com",
            "mentorName": "bo@c.com",
            "mentees": ["gus@c.com"],
            "menteeNames": ["gus@c.com"],
            "missing": ["bo@c.com"],
            "missingNames": ["bo@c.com"],
            "reason": "mentor_absent",
        },
        {
            "sessionId": "S3",
            "start": "2026-03-06T07:30:00Z",
            "mentor": "ana@c.com",
            "mentorName": "Ana Ortiz",
            "mentees": ["eli@c.com"],
            "menteeNames": ["eli@c.com"],
            "missing": ["eli@c.com"],
            "missingNames": ["eli@c.com"],
            "reason": "mentees_absent",
        },
        {
            "sessionId": "S11",
            "start": "2026-03-15T23:30:00Z",
            "mentor": "cy@c.com",
            "mentorName": "cy@c.com",
            "mentees": ["hal@c.com"],
            "menteeNames": ["hal@c.com"],
            "missing": ["cy@c.com", "hal@c.com"],
            "missingNames": ["cy@c.com", "hal@c.com"],
            "reason": "all_absent",
        },
    ]


def test_time_to_first_session(doc: dict[str, object], report: Report) -> None:
    wait = doc["timeToFirstSession"]
    assert isinstance(wait, dict)
    assert {k: wait[k] for k in ("requests", "served", "waiting", "medianMinutes", "p90Minutes")} == {
        "requests": 6,
        "served": 5,
        "waiting": 1,
        "medianMinutes": 1920.0,
        "p90Minutes": 8940.0,
    }
    assert wait["percentile"] == "nearest-rank"
    assert [(i["requestId"], i["firstSessionId"], i["minutes"]) for i in wait["items"]] == [
        ("R1", "S1", 1920.0),
        ("R2", "S6", 1080.0),
        ("R3", "S5", 8940.0),
        ("R4", "S14", 720.0),
        ("R6", None, None),
        ("R5", "S12", 4320.0),
    ]
    assert wait["items"][0] == {
        "requestId": "R1",
        "mentee": "dee@c.com",
        "menteeName": "dee@c.com",
        "createdAt": "2026-03-02T09:00:00Z",
        "firstSessionId": "S1",
        "firstSessionStart": "2026-03-03T17:00:00Z",
        "minutes": 1920.0,
    }
    assert report.time_to_first_session.median_minutes == 1920.0


# --- per mentor -----------------------------------------------------------------------------------


def test_per_mentor_counts(doc: dict[str, object]) -> None:
    mentors = doc["mentors"]
    assert isinstance(mentors, list)
    assert [m["mentor"] for m in mentors] == ["ana@c.com", "bo@c.com", "cy@c.com"]
    ana, bo, cy = mentors
    # ana: S1 S2 S3 S4 S5; completed S1 S2 S5, no_show S3, cancelled S4 -> 3 / 4 = 0.75.
    # Mentees (not cancelled): dee (S1, S2 "Dee"), eli, fay (S5 only) -> 3; repeat: dee.
    assert {k: ana[k] for k in ana if k != "load"} == {
        "mentor": "ana@c.com",
        "name": "Ana Ortiz",
        "sessions": 5,
        "completed": 3,
        "noShow": 1,
        "cancelled": 1,
        "pendingAttendance": 0,
        "scheduled": 0,
        "completionRate": 0.75,
        "distinctMentees": 3,
        "repeatMentees": 1,
        "repeatMenteeList": ["dee@c.com"],
        "repeatMenteeNames": ["dee@c.com"],
    }
    # bo: S6 completed, S7 no_show, S8 pending, S9 scheduled -> 1 / 2 = 0.5.
    # Mentees: gus (S6 S7 S8), hal (S8), eli (S9) -> 3; repeat: gus.
    assert (bo["sessions"], bo["completed"], bo["noShow"], bo["pendingAttendance"], bo["scheduled"]) == (4, 1, 1, 1, 1)
    assert (bo["completionRate"], bo["distinctMentees"], bo["repeatMenteeList"]) == (0.5, 3, ["gus@c.com"])
    # cy: S10 completed, S14 completed, S11 no_show -> 2 / 3; mentee hal three times.
    assert (cy["sessions"], cy["completed"], cy["noShow"], cy["completionRate"]) == (3, 2, 1, 0.6667)
    assert (cy["distinctMentees"], cy["repeatMenteeList"]) == (1, ["hal@c.com"])


def test_mentor_load_in_local_time(doc: dict[str, object]) -> None:
    mentors = doc["mentors"]
    assert isinstance(mentors, list)
    ana, bo, cy = (m["load"] for m in mentors)
    # ana, local: S1 Tue 03-03, S2 Thu 03-05 09:00, S3 Thu 03-05 23:30 (Fri in UTC), S5 Tue 03-10;
    # S4 cancelled does not count. Day peak 2 on 03-05 (> cap 1); weeks W10: 3, W11: 1 -> 3 / 3 = 1.0.
    assert ana == {
        "maxPerDay": 2,
        "maxPerWeek": 3,
        "maxPerMonth": 4,
        "capPerDay": 1,
        "capPerWeek": 3,
        "capPerMonth": 12,
        "peakDay": "2026-03-05",
        "peakWeek": "2026-W10",
        "peakMonth": "2026-03",
        "peakWeekUtilisation": 1.0,
        "overCap": True,
    }
    # bo, local: 03-04 twice, 03-11, 03-12; W10: 2, W11: 2 (tie: the earlier week) -> 2 / 5 = 0.4.
    assert (bo["maxPerDay"], bo["peakDay"], bo["maxPerWeek"], bo["peakWeek"]) == (2, "2026-03-04", 2, "2026-W10")
    assert (bo["maxPerMonth"], bo["peakWeekUtilisation"], bo["overCap"]) == (4, 0.4, False)
    # cy, local: 03-02 (W10), 03-09 (W11), 03-16 05:15 (W12, still March) -> 1 a week, 1 / 5 = 0.2.
    assert (cy["maxPerDay"], cy["peakDay"], cy["maxPerWeek"], cy["peakWeek"]) == (1, "2026-03-02", 1, "2026-W10")
    assert (cy["maxPerMonth"], cy["peakWeekUtilisation"]) == (3, 0.2)


def test_single_caps_value_and_utc_default() -> None:
    # Without mentor_tz everything is UTC: ana's S3 (03-06 07:30Z) and S4 (cancelled) no longer share
    # a day with S2, so her busiest day holds 1 session (03-03 first); W10 still 3 (S1 S2 S3).
    result = compute_report(sessions=SESSIONS, requests=[], period_from=FROM, period_to=TO, caps=CapLimits(3, 4, 12))
    ana = result.mentors[0]
    assert (ana.load.max_per_day, ana.load.peak_day, ana.load.max_per_week) == (1, "2026-03-03", 3)
    assert ana.load.caps == CapLimits(3, 4, 12)
    assert ana.load.peak_week_utilisation == 0.75  # 3 / 4
    assert result.segments == ()
    # cy in UTC: S11 (03-15 23:30Z) is in W11 with S14 -> 2.
    assert result.mentors[2].load.max_per_week == 2


# --- segments -------------------------------------------------------------------------------------


def test_participation_by_office(doc: dict[str, object]) -> None:
    segments = doc["segments"]
    assert isinstance(segments, list)
    office = [s for s in segments if s["attribute"] == "officeLocation"]
    # Each session counts once for every office among its mentor and mentees:
    #  (unknown) (cy, fay): S4 S5 S10 S11 S14 -> 5; completed S5 S10 S14, no_show S11, cancelled S4 -> 3/4
    #            mentors: cy; mentees: fay (S5)
    #  Kathmandu (hal): S8 S10 S11 S14 -> 4; completed 2, no_show 1, pending 1 -> 2/3; mentees: hal
    #  Pune (bo, eli, gus): S3 S6 S7 S8 S9 -> 5; completed S6, no_show S3 S7, pending, scheduled -> 1/3
    #            mentors: bo; mentees: eli, gus
    #  Seattle (ana, dee): S1 S2 S3 S4 S5 -> 5; completed 3, no_show 1, cancelled 1 -> 3/4
    #            mentors: ana; mentees: dee
    assert office == [
        {
            "attribute": "officeLocation",
            "value": "(unknown)",
            "mentees": 1,
            "mentors": 1,
            "sessions": 5,
            "completed": 3,
            "noShow": 1,
            "cancelled": 1,
            "pendingAttendance": 0,
            "scheduled": 0,
            "completionRate": 0.75,
        },
        {
            "attribute": "officeLocation",
            "value": "Kathmandu",
            "mentees": 1,
            "mentors": 0,
            "sessions": 4,
            "completed": 2,
            "noShow": 1,
            "cancelled": 0,
            "pendingAttendance": 1,
            "scheduled": 0,
            "completionRate": 0.6667,
        },
        {
            "attribute": "officeLocation",
            "value": "Pune",
            "mentees": 2,
            "mentors": 1,
            "sessions": 5,
            "completed": 1,
            "noShow": 2,
            "cancelled": 0,
            "pendingAttendance": 1,
            "scheduled": 1,
            "completionRate": 0.3333,
        },
        {
            "attribute": "officeLocation",
            "value": "Seattle",
            "mentees": 1,
            "mentors": 1,
            "sessions": 5,
            "completed": 3,
            "noShow": 1,
            "cancelled": 1,
            "pendingAttendance": 0,
            "scheduled": 0,
            "completionRate": 0.75,
        },
    ]


def test_participation_by_department(doc: dict[str, object]) -> None:
    segments = doc["segments"]
    assert isinstance(segments, list)
    department = {s["value"]: s for s in segments if s["attribute"] == "department"}
    assert sorted(department) == ["(unknown)", "Eng", "Ops", "Sales"]
    # Sales (dee): S1, S2 -> both completed; no mentor is in Sales.
    sales = department["Sales"]
    assert (sales["sessions"], sales["completed"], sales["completionRate"]) == (2, 2, 1.0)
    assert (sales["mentees"], sales["mentors"]) == (1, 0)
    # Eng (ana, bo, eli): every session of ana and bo -> S1-S9 = 9; completed S1 S2 S5 S6 = 4,
    # no_show S3 S7 = 2 -> 4/6. Mentors ana, bo; mentees eli (gus has no department).
    eng = department["Eng"]
    assert (eng["sessions"], eng["completed"], eng["noShow"], eng["completionRate"]) == (9, 4, 2, 0.6667)
    assert (eng["mentors"], eng["mentees"]) == (2, 1)
    # (unknown): cy and fay, and gus (no department): S4 S5 (fay), S6 S7 S8 (gus), S10 S11 S14 (cy) -> 8.
    assert department["(unknown)"]["sessions"] == 8


# --- trends ---------------------------------------------------------------------------------------


def test_completion_by_week(doc: dict[str, object]) -> None:
    trends = doc["trends"]
    assert isinstance(trends, dict)
    # W10: S10 C, S1 C, S6 C, S7 N, S2 C, S3 N, S4 X -> 7 sessions, 4 / 6.
    # W11: S14 C, S5 C, S8 P, S9 S, S11 N -> 5 sessions, 2 / 3.
    assert trends["completionByWeek"] == [
        {
            "week": "2026-W10",
            "weekStart": "2026-03-02T00:00:00Z",
            "sessions": 7,
            "completed": 4,
            "noShow": 2,
            "cancelled": 1,
            "pendingAttendance": 0,
            "scheduled": 0,
            "completionRate": 0.6667,
        },
        {
            "week": "2026-W11",
            "weekStart": "2026-03-09T00:00:00Z",
            "sessions": 5,
            "completed": 2,
            "noShow": 1,
            "cancelled": 0,
            "pendingAttendance": 1,
            "scheduled": 1,
            "completionRate": 0.6667,
        },
    ]


def test_time_to_first_session_by_week(doc: dict[str, object]) -> None:
    trends = doc["trends"]
    assert isinstance(trends, dict)
    assert trends["timeToFirstSessionByWeek"] == [
        {
            "week": "2026-W10",
            "weekStart": "2026-03-02T00:00:00Z",
            "requests": 4,
            "served": 4,
            "waiting": 0,
            "medianMinutes": 1500.0,
            "p90Minutes": 8940.0,
        },
        {
            "week": "2026-W11",
            "weekStart": "2026-03-09T00:00:00Z",
            "requests": 2,
            "served": 1,
            "waiting": 1,
            "medianMinutes": 4320.0,
            "p90Minutes": 4320.0,
        },
    ]


def test_mentor_load_by_week(doc: dict[str, object]) -> None:
    trends = doc["trends"]
    assert isinstance(trends, dict)
    # Local Mondays 00:00: ana W10 = 03-02 00:00 PST = 08:00Z; W11 = 03-09 00:00 PDT = 07:00Z (DST began
    # 03-08). bo W10 = 03-02 00:00 IST = 03-01 18:30Z. cy W12 = 03-16 00:00 NPT = 03-15 18:15Z.
    assert trends["mentorLoadByWeek"] == [
        {
            "mentor": "ana@c.com",
            "name": "Ana Ortiz",
            "week": "2026-W10",
            "weekStart": "2026-03-02T08:00:00Z",
            "sessions": 3,
            "cap": 3,
            "utilisation": 1.0,
        },
        {
            "mentor": "ana@c.com",
            "name": "Ana Ortiz",
            "week": "2026-W11",
            "weekStart": "2026-03-09T07:00:00Z",
            "sessions": 1,
            "cap": 3,
            "utilisation": 0.3333,
        },
        {
            "mentor": "bo@c.com",
            "name": "bo@c.com",
            "week": "2026-W10",
            "weekStart": "2026-03-01T18:30:00Z",
            "sessions": 2,
            "cap": 5,
            "utilisation": 0.4,
        },
        {
            "mentor": "bo@c.com",
            "name": "bo@c.com",
            "week": "2026-W11",
            "weekStart": "2026-03-08T18:30:00Z",
            "sessions": 2,
            "cap": 5,
            "utilisation": 0.4,
        },
        {
            "mentor": "cy@c.com",
            "name": "cy@c.com",
            "week": "2026-W10",
            "weekStart": "2026-03-01T18:15:00Z",
            "sessions": 1,
            "cap": 5,
            "utilisation": 0.2,
        },
        {
            "mentor": "cy@c.com",
            "name": "cy@c.com",
            "week": "2026-W11",
            "weekStart": "2026-03-08T18:15:00Z",
            "sessions": 1,
            "cap": 5,
            "utilisation": 0.2,
        },
        {
            "mentor": "cy@c.com",
            "name": "cy@c.com",
            "week": "2026-W12",
            "weekStart": "2026-03-15T18:15:00Z",
            "sessions": 1,
            "cap": 5,
            "utilisation": 0.2,
        },
    ]


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_rows(report: Report) -> None:
    rows = report.to_csv_rows()
    header, summary, ana, bo, cy = rows[:5]
    assert len(header) == 39 and all(len(r) == 39 for r in rows)
    assert dict(zip(header[:25], summary[:25], strict=True)) == {
        "scope": "all",
        "mentor": "",
        "period_from": "2026-03-02T00:00:00Z",
        "period_to": "2026-03-16T00:00:00Z",
        "sessions": "12",
        "completed": "6",
        "no_show": "3",
        "cancelled": "1",
        "pending_attendance": "1",
        "scheduled": "1",
        "completion_rate": "0.6667",
        "distinct_mentees": "5",
        "repeat_mentees": "4",
        "max_per_day": "",
        "max_per_week": "",
        "max_per_month": "",
        "cap_per_day": "",
        "cap_per_week": "",
        "cap_per_month": "",
        "peak_week": "",
        "peak_week_utilisation": "",
        "requests": "6",
        "waiting": "1",
        "median_minutes_to_first_session": "1920.0",
        "p90_minutes_to_first_session": "8940.0",
    }
    assert ana == [
        "mentor",
        "ana@c.com",
        "2026-03-02T00:00:00Z",
        "2026-03-16T00:00:00Z",
        "5",
        "3",
        "1",
        "1",
        "0",
        "0",
        "0.75",
        "3",
        "1",
        "2",
        "3",
        "4",
        "1",
        "3",
        "12",
        "2026-W10",
        "1.0",
        "",
        "",
        "",
        "",
        "Ana Ortiz",  # name; the other appended columns do not apply to a mentor
        *[""] * 13,
    ]
    assert (bo[1], bo[4], bo[10]) == ("bo@c.com", "4", "0.5")
    assert (cy[1], cy[10], cy[19], cy[20]) == ("cy@c.com", "0.6667", "2026-W10", "0.2")


def test_csv_guards_against_formulas() -> None:
    evil = session("E1", "=HYPERLINK(x)@c.com", ("dee@c.com",), "2026-03-03T10:00", C)
    rows = compute_report(sessions=[evil], requests=[], period_from=FROM, period_to=TO, caps=CapLimits()).to_csv_rows()
    assert rows[2][1] == "'=hyperlink(x)@c.com"


# --- edges ----------------------------------------------------------------------------------------


def test_empty_period() -> None:
    result = compute_report(sessions=[], requests=[], period_from=FROM, period_to=TO, caps=CapLimits())
    data = result.to_json()
    assert data["completionRate"] is None
    assert data["timeToFirstSession"]["medianMinutes"] is None
    assert data["timeToFirstSession"]["p90Minutes"] is None
    assert data["mentors"] == [] and data["noShows"] == []
    # Charts still get one point per week of the period, empty ones included.
    assert [w["week"] for w in data["trends"]["completionByWeek"]] == ["2026-W10", "2026-W11"]
    assert all(w["completionRate"] is None for w in data["trends"]["completionByWeek"])
    assert result.to_csv_rows()[1][10] == ""  # completion rate undefined


def test_only_cancelled_and_pending_give_no_rate() -> None:
    # Cancelled, pending and scheduled sessions never enter the rate: 0 / 0 -> None.
    sessions = [replace(SESSIONS[0], state=X), replace(SESSIONS[1], state=P), replace(SESSIONS[4], state=S)]
    result = compute_report(sessions=sessions, requests=[], period_from=FROM, period_to=TO, caps=CapLimits())
    assert result.counts.total == 3 and result.completion_rate is None


def test_weeks_cover_a_period_starting_mid_week() -> None:
    # Wed 2026-03-04 .. Tue 2026-03-17 overlaps W10, W11 and W12; W10 is labelled by its Monday.
    result = compute_report(
        sessions=[],
        requests=[],
        period_from=at("2026-03-04T12:00"),
        period_to=at("2026-03-17T00:00"),
        caps=CapLimits(),
    )
    weeks = [(w.week, w.week_start) for w in result.completion_by_week]
    assert weeks == [
        ("2026-W10", at("2026-03-02T00:00")),
        ("2026-W11", at("2026-03-09T00:00")),
        ("2026-W12", at("2026-03-16T00:00")),
    ]


def test_nearest_rank_p90_with_ten_values() -> None:
    # Ten requests waiting 10, 20, ..., 100 minutes: median (50 + 60) / 2 = 55; p90 rank ceil(9) = 9 -> 90.
    requests = [request(f"Q{i}", "dee@c.com", "2026-03-03T00:00") for i in range(1, 11)]
    sessions = [
        session(
            f"T{i}",
            "ana@c.com",
            ("dee@c.com",),
            f"2026-03-03T00:{10 * i:02d}" if i < 6 else f"2026-03-03T01:{10 * i - 60:02d}",
            C,
            f"Q{i}",
        )
        for i in range(1, 11)
    ]
    wait = compute_report(
        sessions=sessions, requests=requests, period_from=FROM, period_to=TO, caps=CapLimits()
    ).time_to_first_session
    assert (wait.median_minutes, wait.p90_minutes, wait.served, wait.waiting) == (55.0, 90.0, 10, 0)


def test_first_session_is_the_earliest_not_cancelled_one() -> None:
    # Q1 created 03-03 00:00; sessions for it at 03-04 00:00 (cancelled), 03-06 00:00 and 03-05 00:00
    # -> first is 03-05 00:00 = 48 h = 2880 min.
    q = request("Q1", "dee@c.com", "2026-03-03T00:00")
    sessions = [
        session("A", "ana@c.com", ("dee@c.com",), "2026-03-04T00:00", X, "Q1"),
        session("B", "ana@c.com", ("dee@c.com",), "2026-03-06T00:00", C, "Q1"),
        session("C", "ana@c.com", ("dee@c.com",), "2026-03-05T00:00", N, "Q1"),
    ]
    wait = compute_report(sessions=sessions, requests=[q], period_from=FROM, period_to=TO, caps=CapLimits())
    item = wait.time_to_first_session.requests[0]
    assert (item.first_session_id, item.minutes) == ("C", 2880.0)


@pytest.mark.parametrize(
    ("period_from", "period_to", "field"),
    [
        (FROM, FROM, "to"),
        (TO, FROM, "to"),
        (FROM.replace(tzinfo=None), TO, "from"),
        (FROM, TO.replace(tzinfo=None), "to"),
    ],
)
def test_period_is_checked(period_from: datetime, period_to: datetime, field: str) -> None:
    with pytest.raises(InputError) as caught:
        compute_report(sessions=[], requests=[], period_from=period_from, period_to=period_to, caps=CapLimits())
    assert caught.value.field == field


def test_period_in_another_offset_is_read_as_the_same_instants() -> None:
    # 2026-03-02T05:30+05:30 is 2026-03-02T00:00Z: S10 at exactly that instant is in.
    ist = ZoneInfo("Asia/Kolkata")
    result = compute_report(
        sessions=[SESSIONS[9]],
        requests=[],
        period_from=FROM.astimezone(ist),
        period_to=TO.astimezone(ist),
        caps=CapLimits(),
    )
    assert result.counts.total == 1
    assert result.to_json()["period"]["from"] == "2026-03-02T00:00:00Z"


def test_a_page_move_counts_as_an_outlook_move_does() -> None:
    """Outlook: one session, moved from Tue 10:00 to Wed 10:00 (sync rewrote its time, reason `moved`).
    Session page: the old session cancelled with `moved 1 <new start>` and a new one at Wed 10:00.
    Both are one scheduled session, no cancellation, one session for ana, one for dee, with R9's
    first session on Wednesday (created Mon 09:00 -> Wed 10:00 = 49 h)."""
    outlook = [session("O1", "ana@c.com", ("dee@c.com",), "2026-03-04T10:00", S, "R9", reason="moved")]
    page = [
        session("P1", "ana@c.com", ("dee@c.com",), "2026-03-03T10:00", X, "R9", reason="moved 1 2026-03-04T10:00:00Z"),
        session("P2", "ana@c.com", ("dee@c.com",), "2026-03-04T10:00", S, "R9"),
    ]
    asked = [request("R9", "dee@c.com", "2026-03-02T09:00")]
    for sessions in (outlook, page):
        result = compute_report(sessions=sessions, requests=asked, period_from=FROM, period_to=TO, caps=CapLimits())
        assert (result.counts.total, result.counts.scheduled, result.counts.cancelled) == (1, 1, 0)
        [ana] = result.mentors
        assert ana.counts.total == 1 and ana.load.max_per_day == 1
        assert result.to_json()["timeToFirstSession"]["medianMinutes"] == 49 * 60
