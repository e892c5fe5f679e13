"""Two HTML texts of the newcomer review (issue 14): why segments are missing, and the charts' zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.metrics import CapLimits, compute_report
from reporting import render_html
from tests.reporting.report_data import FROM, REQUESTS, SESSIONS, TO
from tests.reporting.test_report_html import parse


def _page(**extra: object) -> str:
    report = compute_report(
        sessions=SESSIONS,
        requests=REQUESTS,
        period_from=FROM,
        period_to=TO,
        caps=CapLimits(),
        **extra,  # type: ignore[arg-type]
    )
    return render_html(report.to_json())


def test_segments_withheld_by_the_minimum_say_so_and_why() -> None:
    # The data set has 8 people with sessions; a minimum of 9 withholds the whole department breakdown.
    directory = {"ana@c.com": {"department": "Sales"}, "dee@c.com": {"department": "Sales"}}
    page = _page(segments=directory, min_segment_size=9)
    empties = [p.text() for p in parse(page).all("p", "empty")]
    assert (
        "Segments by department are withheld: fewer than 9 people (the minimum segment size) had sessions "
        "in this period, so a breakdown could single someone out"
    ) in empties
    assert "No directory attributes were provided for segments" not in page


def test_without_directory_attributes_the_page_still_says_none_were_given() -> None:
    empties = [p.text() for p in parse(_page()).all("p", "empty")]
    assert "No directory attributes were provided for segments" in empties


def test_chart_descriptions_name_the_reports_zone() -> None:
    tree = parse(_page(zone=ZoneInfo("Europe/Paris")))
    descs = {d.attrs["id"]: d.text() for d in tree.all("desc")}
    assert descs["chart-completion-desc"].startswith("Share of completed sessions among completed and no-show "
                                                     "sessions, per ISO week (Europe/Paris). ")  # fmt: skip
    assert descs["chart-wait-desc"].startswith("Time from request to first session, by ISO week (Europe/Paris) ")
    assert "(UTC)" not in " ".join(descs.values())
