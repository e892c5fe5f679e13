"""A small fixed data set for the report renderers; every number the tests expect is worked out here.

Period [2026-03-02T00:00Z, 2026-03-23T00:00Z) = ISO weeks 2026-W10 (from Mon 2 Mar), W11 (9 Mar), W12 (16 Mar).
No mentor time zones: load is counted in UTC. All sessions last 15 minutes.

 id  mentor          mentees  start (UTC)        state      request
 S1  ana             dee      Tue 03-03 09:00    completed  R1
 S2  ana             eli      Wed 03-04 10:00    no_show    (eli missing, mentees_absent)
 S3  ana             dee      Thu 03-05 09:00    completed
 S4  <b>Bo</b>       gus      Wed 03-04 12:00    completed  R2
 S5  cy              hal      Tue 03-17 10:00    completed  R3
 S6  cy              hal      Wed 03-18 10:00    no_show    (cy and hal missing, all_absent)
 S7  <b>Bo</b>       gus      Thu 03-19 10:00    cancelled
 S8  cy              dee      Fri 03-20 10:00    pending_attendance

Totals: 8 sessions, completed 4 (S1 S3 S4 S5), no-show 2, cancelled 1, pending 1 -> 4 / 6 = 67%.
By week: W10 S1-S4 -> 3 completed of 4 decided = 75%; W11 none; W12 S5-S8 -> 1 of 2 = 50%.

Requests (time to first session):
 R1 dee Mon 03-02 09:00 -> S1 Tue 03-03 09:00 = 24 h = 1440 min   (W10)
 R2 gus Mon 03-02 12:00 -> S4 Wed 03-04 12:00 = 48 h = 2880 min   (W10)
 R4 eli Tue 03-10 08:00 -> nothing: waiting                       (W11)
 R3 hal Mon 03-16 09:00 -> S5 Tue 03-17 10:00 = 25 h = 1500 min   (W12)
 All: 1440, 1500, 2880 -> median 1500 (1 d 1 h); p90 rank ceil(2.7) = 3 -> 2880 (2 d).
 W10: median (1440 + 2880) / 2 = 2160 (1 d 12 h); p90 rank ceil(1.8) = 2 -> 2880 (2 d). W12: 1500 and 1500.

Load (non-cancelled, UTC weeks), caps: ana 3 a day / 2 a week / 12 a month, everyone else 3 / 5 / 12.
 ana: S1 S2 S3 all in W10 -> 3 > 2: over the weekly cap; one a day.
 <b>bo</b>: S4 in W10 -> 1 of 5 (S7 is cancelled).   cy: S5 S6 S8 in W12 -> 3 of 5.
Mentors are reported in lower case and sorted: "<b>bo</b>@c.com" ("<" sorts before letters), ana, cy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.metrics import CapLimits
from core.model import MentoringRequest, Session, SessionState

C = SessionState.COMPLETED
N = SessionState.NO_SHOW
X = SessionState.CANCELLED
P = SessionState.PENDING_ATTENDANCE

FROM = datetime(2026, 3, 2, tzinfo=UTC)
TO = datetime(2026, 3, 23, tzinfo=UTC)
BO = "<b>Bo</b>@c.com"
CAPS = {"ana@c.com": CapLimits(max_sessions_per_day=3, max_sessions_per_week=2, max_sessions_per_month=12)}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def session(
    sid: str,
    mentor: str,
    mentee: str,
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
        mentees=(mentee,),
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
    session("S1", "ana@c.com", "dee@c.com", "2026-03-03T09:00", C, "R1"),
    session("S2", "ana@c.com", "eli@c.com", "2026-03-04T10:00", N, None, ("eli@c.com",), "mentees_absent"),
    session("S3", "ana@c.com", "dee@c.com", "2026-03-05T09:00", C),
    session("S4", BO, "gus@c.com", "2026-03-04T12:00", C, "R2"),
    session("S5", "cy@c.com", "hal@c.com", "2026-03-17T10:00", C, "R3"),
    session("S6", "cy@c.com", "hal@c.com", "2026-03-18T10:00", N, None, ("cy@c.com", "hal@c.com"), "all_absent"),
    session("S7", BO, "gus@c.com", "2026-03-19T10:00", X),
    session("S8", "cy@c.com", "dee@c.com", "2026-03-20T10:00", P),
]


def request(rid: str, mentee: str, created: str) -> MentoringRequest:
    return MentoringRequest(id=rid, mentee=mentee, skill="reviews", question="q?", created_at=at(created))


REQUESTS = [
    request("R1", "dee@c.com", "2026-03-02T09:00"),
    request("R2", "gus@c.com", "2026-03-02T12:00"),
    request("R3", "hal@c.com", "2026-03-16T09:00"),
    request("R4", "eli@c.com", "2026-03-10T08:00"),
]

# Department only. Sales (dee): S1 C, S3 C, S8 P -> 3 sessions, 2 completed, rate 2 / 2 = 100%,
# 1 mentee (dee), no mentor. gus and cy have no entry: "(unknown)".
SEGMENTS = {
    "ana@c.com": {"department": "Eng"},
    BO: {"department": "R&D <Labs>"},
    "dee@c.com": {"department": "Sales"},
    "eli@c.com": {"department": "Eng"},
    "hal@c.com": {"department": "Ops"},
}


def caps_for(upn: str) -> CapLimits:
    return CAPS.get(upn, CapLimits())
