"""The report's group sessions panel (reporting/groups_html.py), from the report JSON's `groupSessions`."""

from __future__ import annotations

from reporting.groups_html import groups_section


def test_the_panel_shows_group_sessions_apart_from_one_to_one() -> None:
    doc = {"groupSessions": {"sessions": 2, "seatsOffered": 7, "seatsTaken": 5, "oneToOne": 44,
                             "menteesAttended": 4, "menteesMissed": 1}}  # fmt: skip
    html = groups_section(doc)
    assert 'id="groups"' in html
    assert '<th scope="row">Group sessions</th><td>2</td>' in html
    assert '<th scope="row">1:1 sessions</th><td>44</td>' in html
    assert '<th scope="row">Seats taken of offered</th><td>5 of 7</td>' in html
    assert "<td>4 / 1</td>" in html


def test_no_panel_without_group_sessions() -> None:
    empty = {"sessions": 0, "seatsOffered": 0, "seatsTaken": 0, "oneToOne": 9, "menteesAttended": 0,
             "menteesMissed": 0}  # fmt: skip
    assert groups_section({"groupSessions": empty}) == ""
    assert groups_section({}) == ""
