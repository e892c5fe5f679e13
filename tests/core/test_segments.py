"""Small segments folded into "(other)" (core.segments) and through the report (core.metrics)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InputError
from core.metrics import CapLimits, compute_report
from core.model import Session, SessionState
from core.segments import (
    OTHER_SEGMENT,
    check_attribute_path,
    check_min_segment,
    fold_small_segments,
    fold_together,
    work_mode,
)


def people(prefix: str, n: int) -> set[str]:
    return {f"{prefix}{i}" for i in range(n)}


def test_values_below_the_minimum_are_folded_into_other() -> None:
    # London 6, Paris 5 stay; Oslo 3 + Rome 2 = 5 in "other", enough to show.
    shown = fold_small_segments(
        {"London": people("l", 6), "Paris": people("p", 5), "Oslo": people("o", 3), "Rome": people("r", 2)}, 5
    )
    assert shown == {"London": "London", "Paris": "Paris", "Oslo": OTHER_SEGMENT, "Rome": OTHER_SEGMENT}


def test_a_small_other_takes_the_smallest_shown_value_with_it() -> None:
    # Oslo alone (1 person) would be an "other" of one: Paris (5, smaller than London's 6) joins it -> 6.
    shown = fold_small_segments({"London": people("l", 6), "Paris": people("p", 5), "Oslo": {"o0"}}, 5)
    assert shown == {"London": "London", "Paris": OTHER_SEGMENT, "Oslo": OTHER_SEGMENT}


def test_ties_fold_the_first_by_name() -> None:
    shown = fold_small_segments({"B": people("b", 5), "A": people("a", 5), "C": {"c"}}, 5)
    assert shown == {"A": OTHER_SEGMENT, "B": "B", "C": OTHER_SEGMENT}


def test_everything_folded_is_one_other_row_when_big_enough() -> None:
    shown = fold_small_segments({"A": people("a", 3), "B": people("b", 3)}, 5)
    assert shown == {"A": OTHER_SEGMENT, "B": OTHER_SEGMENT}


def test_fewer_people_than_the_minimum_in_all_withholds_the_breakdown() -> None:
    assert fold_small_segments({"A": people("a", 3), "B": {"b"}}, 5) == {"A": None, "B": None}
    assert fold_small_segments({"A": people("a", 4)}, 5) == {"A": None}


def test_big_enough_values_need_no_other() -> None:
    assert fold_small_segments({"A": people("a", 5)}, 5) == {"A": "A"}
    assert fold_small_segments({}, 5) == {}


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        ("Remote", "remote"),
        (" WFH ", "remote"),
        ("hybrid", "hybrid"),
        ("On-site", "office"),
        ("In office", "office"),
        ("Contractor", "(unknown)"),
        ("", "(unknown)"),
        (None, "(unknown)"),
    ],
)
def test_work_mode_words(raw: object, mode: str) -> None:
    assert work_mode(raw) == mode


@pytest.mark.parametrize("raw", ["1", "0", "-3", "five", "", "1001", "\uff15", "+5", "5_0"])
def test_a_bad_minimum_is_refused_naming_the_setting(raw: str) -> None:
    with pytest.raises(InputError) as caught:
        check_min_segment("MICROMENTOR_REPORT_MIN_SEGMENT", raw)
    assert caught.value.field == "MICROMENTOR_REPORT_MIN_SEGMENT"


def test_minimums_in_range() -> None:
    assert check_min_segment("x", " 2 ") == 2
    assert check_min_segment("x", "1000") == 1000


@pytest.mark.parametrize(
    "path", ["employeeType", "officeLocation", "onPremisesExtensionAttributes.extensionAttribute3"]
)
def test_attribute_paths(path: str) -> None:
    assert check_attribute_path("a", path) == path


@pytest.mark.parametrize(
    "path",
    ["", "EmployeeType", "onPremisesExtensionAttributes.extensionAttribute16", "a.b", "x$select=y", "a b"],
)
def test_bad_attribute_paths_are_refused(path: str) -> None:
    with pytest.raises(InputError):
        check_attribute_path("MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE", path)


# --- through the report -------------------------------------------------------------------------------

START = datetime(2026, 3, 2, tzinfo=UTC)


def one_to_one(i: int, mentor: str, mentee: str, state: SessionState = SessionState.COMPLETED) -> Session:
    start = START + timedelta(hours=i)
    return Session(
        id=f"S{i}",
        mentor=mentor,
        mentees=(mentee,),
        start=start,
        end=start + timedelta(minutes=15),
        question="?",
        created_at=START,
        state=state,
    )


def test_the_report_never_shows_a_segment_of_one_person() -> None:
    # Five London mentors each meet a London mentee (10 people); Ola in Oslo meets London's le0 and
    # no-shows. Alone she would be a segment of one, her no-show hers; folded alone, "(other)" would be
    # her too (and London's row subtracted from the total would give her away). So London is folded in
    # as well: one "(other)" row of all 11 people and 6 sessions.
    sessions = [one_to_one(i, f"lm{i}@c", f"le{i}@c") for i in range(5)]
    sessions.append(one_to_one(9, "ola@c", "le0@c", SessionState.NO_SHOW))
    directory = {f"{p}{i}@c": {"officeLocation": "London"} for p in ("lm", "le") for i in range(5)}
    directory["ola@c"] = {"officeLocation": "Oslo"}
    report = compute_report(
        sessions=sessions,
        requests=[],
        period_from=START,
        period_to=START + timedelta(days=1),
        caps=CapLimits(),
        segments=directory,
    )
    rows = {s.value: s for s in report.segments}
    assert set(rows) == {OTHER_SEGMENT}
    assert rows[OTHER_SEGMENT].counts.total == 6 and rows[OTHER_SEGMENT].counts.no_show == 1
    assert report.to_json()["segmentRules"] == {"minSize": 5, "withheld": []}


def test_the_report_shows_big_values_and_an_other_of_five_or_more() -> None:
    # London: 10 people; Oslo 3 and Rome 2 people: "(other)" of 5. Nobody alone.
    sessions = [one_to_one(i, f"lm{i}@c", f"le{i}@c") for i in range(5)]
    sessions += [one_to_one(10, "o1@c", "o2@c"), one_to_one(11, "o3@c", "r1@c"), one_to_one(12, "r2@c", "le0@c")]
    directory = {f"{p}{i}@c": {"officeLocation": "London"} for p in ("lm", "le") for i in range(5)}
    directory |= {f"o{i}@c": {"officeLocation": "Oslo"} for i in (1, 2, 3)}
    directory |= {f"r{i}@c": {"officeLocation": "Rome"} for i in (1, 2)}
    report = compute_report(
        sessions=sessions,
        requests=[],
        period_from=START,
        period_to=START + timedelta(days=1),
        caps=CapLimits(),
        segments=directory,
    )
    rows = {s.value: s for s in report.segments}
    assert set(rows) == {"London", OTHER_SEGMENT}
    # London: its 5 sessions and S12 (Rome's r2 with London's le0); other: S10, S11, S12.
    assert rows["London"].counts.total == 6 and rows[OTHER_SEGMENT].counts.total == 3
    assert rows[OTHER_SEGMENT].mentors + rows[OTHER_SEGMENT].mentees == 5


def test_a_report_with_fewer_people_than_the_minimum_withholds_its_segments() -> None:
    report = compute_report(
        sessions=[one_to_one(1, "a@c", "b@c")],
        requests=[],
        period_from=START,
        period_to=START + timedelta(days=1),
        caps=CapLimits(),
        segments={"a@c": {"department": "Eng"}, "b@c": {"department": "Ops"}},
    )
    assert report.segments == ()
    assert report.withheld_segments == ("department",)


def _people(prefix: str, n: int) -> set[str]:
    return {f"{prefix}{i}" for i in range(n)}


def test_fold_together_folds_a_value_everywhere_once_it_is_small_anywhere() -> None:
    # Period: A 5, B 6. Before: A 5, B 3. B is small before, so it is folded in both; then the period's
    # "(other)" is B alone (6 people, large enough) and before's is B's 3 people: A folds in too there,
    # and so everywhere: A 5 + B 3 = 8 before, everyone in "(other)" in both tables.
    now = {"A": _people("a", 5), "B": _people("b", 6)}
    before = {"A": _people("a", 5), "B": _people("b", 3)}
    assert fold_together([now, before], 5) == [{"A": "(other)", "B": "(other)"}, {"A": "(other)", "B": "(other)"}]


def test_fold_together_names_a_value_large_everywhere_and_ignores_a_withheld_table() -> None:
    # Period: A 5, B 5, C 5. Outcomes: A 5, C 5 (B asked nobody). Before: 3 people in all: withheld,
    # so its small A (2) folds nothing elsewhere.
    now = {"A": _people("a", 5), "B": _people("b", 5), "C": _people("c", 5)}
    outcomes = {"A": _people("a", 5), "C": _people("c", 5)}
    before = {"A": _people("a", 2), "C": _people("c", 1)}
    assert fold_together([now, outcomes, before], 5) == [
        {"A": "A", "B": "B", "C": "C"},
        {"A": "A", "C": "C"},
        {"A": None, "C": None},
    ]
