"""Outcome metrics (core/outcomes.py), counted by hand.

Sessions (completed unless said): s1 Maya->Ana ends Tue 1 Dec 10:00Z (week 2026-W49); s2 Maya->Ravi ends
Tue 8 Dec 10:00Z (W50); s3 Sita->Ana ends Wed 2 Dec (W49); s4 is a no-show (never counted); s5 starts
outside the period. Follow-ups and usefulness questions are sent at the end, check-ins 7 days later; an
answer counts when given while its link was valid (within 14 days of its message being sent).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.metrics import CSV_HEADER
from core.model import Session, SessionState
from core.outcomes import OUTCOME_CSV_COLUMNS, AskedQuestion, GivenAnswer, OutcomeReport, compute_outcomes

MAYA, SITA, ANA, RAVI = "maya@x.example", "sita@x.example", "ana@x.example", "ravi@x.example"


def at(day: int, hour: int = 10, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def session(sid: str, mentor: str, mentee: str, end: datetime, state: SessionState = SessionState.COMPLETED) -> Session:
    return Session(sid, mentor, (mentee,), end - timedelta(minutes=15), end, "q", end - timedelta(days=2), state)


SESSIONS = [
    session("s1", MAYA, ANA, at(1)),
    session("s2", MAYA, RAVI, at(8)),
    session("s3", SITA, ANA, at(2)),
    session("s4", SITA, RAVI, at(3), SessionState.NO_SHOW),
    session("s5", SITA, RAVI, at(20, month=11)),
]
ASKED = [
    AskedQuestion(s, p, k, end + timedelta(days=later))
    for s, mentor, mentee, end in (
        ("s1", MAYA, ANA, at(1)),
        ("s2", MAYA, RAVI, at(8)),
        ("s3", SITA, ANA, at(2)),
        ("s4", SITA, RAVI, at(3)),
        ("s5", SITA, RAVI, at(20, month=11)),
    )
    for p, k, later in ((mentor, "mentor_followup", 0), (mentee, "mentee_usefulness", 0), (mentee, "mentee_checkin", 7))
]
ANSWERS = [
    GivenAnswer("s1", ANA, "mentee_checkin", "applied", at(9)),
    GivenAnswer("s2", RAVI, "mentee_checkin", "partly", at(15)),
    GivenAnswer("s3", ANA, "mentee_checkin", "not_yet", at(24)),  # sent 9 Dec: 15 days later, not counted
    GivenAnswer("s1", MAYA, "mentor_followup", "yes", at(1, 11)),
    GivenAnswer("s2", MAYA, "mentor_followup", "maybe", at(8, 11)),
    GivenAnswer("s3", SITA, "mentor_followup", "no", at(2, 12)),
    GivenAnswer("s1", ANA, "mentee_usefulness", "5", at(1, 12)),
    GivenAnswer("s2", RAVI, "mentee_usefulness", "4", at(8, 12)),
    GivenAnswer("s4", RAVI, "mentee_usefulness", "1", at(3, 12)),  # a no-show session: ignored
    GivenAnswer("s5", RAVI, "mentor_followup", "yes", at(20, 12, 11)),  # outside the period
]


def outcomes(min_segment_size: int = 1) -> OutcomeReport:
    return compute_outcomes(
        sessions=SESSIONS,
        asked=ASKED,
        answers=ANSWERS,
        period_from=at(1, 0),
        period_to=at(31, 0),
        segments={ANA: {"department": "Sales"}, RAVI: {"department": "Ops"}},
        min_segment_size=min_segment_size,
    )


def report(min_segment_size: int = 1) -> dict:  # type: ignore[type-arg]
    return outcomes(min_segment_size).to_json()


def test_segments_smaller_than_the_minimum_are_never_shown() -> None:
    # Ana (Sales) and Ravi (Ops) are the only people asked: with a minimum of 2, neither department may
    # show alone and "(other)" would hold both (2 people), so both fold into it; at 3 all is withheld.
    folded = report(min_segment_size=2)["outcomes"]["bySegment"]
    assert [(s["attribute"], s["value"]) for s in folded] == [("department", "(other)")]
    assert report(min_segment_size=3)["outcomes"]["bySegment"] == []


def test_overall() -> None:
    data = report()
    # 3 counted sessions: 3 check-ins asked; answered in time: s1 applied, s2 partly -> 2 of 2 applied/partly.
    assert data["skillApplication"] == {"asked": 3, "answered": 2, "applied": 1, "partly": 1, "notYet": 0, "rate": 1.0}
    assert data["mentorRepeat"] == {"asked": 3, "answered": 3, "yes": 1, "maybe": 1, "no": 1, "rate": 0.3333}
    assert data["usefulness"] == {"asked": 3, "n": 2, "mean": 4.5}
    # 9 asked; answered: 2 check-ins + 3 follow-ups + 2 usefulness = 7.
    assert data["responseRate"] == {"asked": 9, "answered": 7, "rate": 0.7778}


def test_per_mentor_segment_and_week() -> None:
    outcomes = report()["outcomes"]
    maya = next(m for m in outcomes["byMentor"] if m["mentor"] == MAYA)
    assert maya["skillApplication"]["rate"] == 1.0 and maya["mentorRepeat"]["yes"] == 1
    sita = next(m for m in outcomes["byMentor"] if m["mentor"] == SITA)
    assert sita["skillApplication"] == {"asked": 1, "answered": 0, "applied": 0, "partly": 0, "notYet": 0, "rate": None}
    sales = next(s for s in outcomes["bySegment"] if s["value"] == "Sales")
    assert sales["skillApplication"]["asked"] == 2 and sales["usefulness"] == {"asked": 2, "n": 1, "mean": 5.0}
    weeks = {w["week"]: w for w in outcomes["byWeek"]}
    assert set(weeks) == {"2026-W49", "2026-W50"}
    assert weeks["2026-W50"]["mentorRepeat"]["maybe"] == 1


def test_answering_again_counts_the_current_answer_only() -> None:
    answers = [
        GivenAnswer("s1", ANA, "mentee_checkin", "not_yet", at(5)),
        GivenAnswer("s1", ANA, "mentee_checkin", "applied", at(9)),
    ]
    result = compute_outcomes(
        sessions=SESSIONS[:1],
        asked=ASKED[:3],
        answers=answers,
        period_from=at(1, 0),
        period_to=at(31, 0),
    )
    assert result.to_json()["skillApplication"]["applied"] == 1
    all_row = result.merged_csv_rows([list(CSV_HEADER)])[1]
    assert all_row[0] == "all" and all_row[len(CSV_HEADER) :][:5] == ["1", "1", "1", "0", "1.0"]


def test_the_csv_is_one_table_with_the_outcome_figures_as_columns() -> None:
    # The scope table (core.metrics) as the report writes it: all, a previous quarter, Maya's row, a Sales
    # segment row, week 49 and a no-show row. Sita has no row there, nor week 50, nor Ops.
    width = len(CSV_HEADER)

    def row(scope: str, **cells: str) -> list[str]:
        values = [""] * width
        values[0] = scope
        for name, value in cells.items():
            values[CSV_HEADER.index(name)] = value
        return values

    table = [
        list(CSV_HEADER),
        row("all", sessions="4"),
        row("previous", sessions="2"),
        row("mentor", mentor=MAYA, sessions="2"),
        row("segment", attribute="department", value="Sales", sessions="2"),
        row("week", week="2026-W49", sessions="3"),
        row("no_show", session_id="s4"),
    ]
    rows = outcomes().merged_csv_rows(table)
    assert rows[0] == [*CSV_HEADER, *OUTCOME_CSV_COLUMNS]
    assert all(len(r) == width + len(OUTCOME_CSV_COLUMNS) for r in rows)

    def figures(r: list[str]) -> dict[str, str]:
        return dict(zip(OUTCOME_CSV_COLUMNS, r[width:], strict=True))

    by_scope = [(r[0], r[1], r[CSV_HEADER.index("value")], r[CSV_HEADER.index("week")]) for r in rows[1:]]
    assert by_scope == [
        ("all", "", "", ""),
        ("previous", "", "", ""),
        ("mentor", MAYA, "", ""),
        ("segment", "", "Sales", ""),
        ("week", "", "", "2026-W49"),
        ("no_show", "", "", ""),
        ("mentor", SITA, "", ""),  # outcome figures without a row in the scope table get their own
        ("segment", "", "Ops", ""),
        ("week", "", "", "2026-W50"),
    ]
    # All: 9 asked, 7 answered (test_overall); the table's own cells are kept.
    assert rows[1][CSV_HEADER.index("sessions")] == "4"
    assert (figures(rows[1])["questions_asked"], figures(rows[1])["questions_answered"]) == ("9", "7")
    assert set(figures(rows[2]).values()) == {""}  # the previous quarter has no outcome figures
    assert set(figures(rows[6]).values()) == {""}
    # Maya: s1 (applied) and s2 (partly): 2 check-ins answered, rate 1.0; follow-ups yes and maybe.
    maya = figures(rows[3])
    assert (maya["checkin_answered"], maya["skill_application_rate"], maya["repeat_yes"]) == ("2", "1.0", "1")
    assert figures(rows[5])["repeat_maybe"] == "0" and figures(rows[9])["repeat_maybe"] == "1"  # W49 / W50
    sita = rows[7]
    assert sita[CSV_HEADER.index("sessions")] == "" and figures(sita)["repeat_no"] == "1"


def test_an_answer_counts_while_its_link_was_valid_for_all_three_questions() -> None:
    # s1 ends Tue 1 Dec 10:00. Quiet hours held Ana's check-in until Fri 11 Dec 16:00; she answers on
    # Sun 20 Dec (9 days later, her link still valid): counted, though it is 19 days after the end.
    # Maya's follow-up was sent at the end: her answer 14 days and 1 hour later came on an expired link.
    # Ana's usefulness answer at exactly 14 days after its send is the last moment the link was valid.
    sent_checkin = datetime(2026, 12, 11, 16, tzinfo=UTC)
    asked = [
        AskedQuestion("s1", ANA, "mentee_checkin", sent_checkin),
        AskedQuestion("s1", MAYA, "mentor_followup", at(1)),
        AskedQuestion("s1", ANA, "mentee_usefulness", at(1)),
    ]
    answers = [
        GivenAnswer("s1", ANA, "mentee_checkin", "applied", at(20, 9)),
        GivenAnswer("s1", MAYA, "mentor_followup", "yes", at(15, 11)),
        GivenAnswer("s1", ANA, "mentee_usefulness", "4", at(15, 10)),
    ]
    data = compute_outcomes(
        sessions=SESSIONS[:1], asked=asked, answers=answers, period_from=at(1, 0), period_to=at(31, 0)
    ).to_json()
    assert data["skillApplication"]["answered"] == 1 and data["skillApplication"]["applied"] == 1
    assert data["mentorRepeat"]["answered"] == 0
    assert data["usefulness"] == {"asked": 1, "n": 1, "mean": 4.0}


def test_someone_removed_from_the_session_is_neither_asked_nor_counted() -> None:
    # Ana was asked and answered, then removed from s1 (Ravi is its mentee now; he was never asked).
    now_ravi = [session("s1", MAYA, RAVI, at(1))]
    data = compute_outcomes(
        sessions=now_ravi,
        asked=[AskedQuestion("s1", ANA, "mentee_checkin", at(8)), AskedQuestion("s1", MAYA, "mentor_followup", at(1))],
        answers=[
            GivenAnswer("s1", ANA, "mentee_checkin", "applied", at(9)),
            GivenAnswer("s1", MAYA, "mentor_followup", "yes", at(1, 12)),
        ],
        period_from=at(1, 0),
        period_to=at(31, 0),
    ).to_json()
    assert data["skillApplication"] == {"asked": 0, "answered": 0, "applied": 0, "partly": 0, "notYet": 0, "rate": None}
    assert data["mentorRepeat"]["yes"] == 1
    assert data["responseRate"] == {"asked": 1, "answered": 1, "rate": 1.0}
