"""The HTML report page on the data set of conftest.py (expectations worked out there and below)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any

import pytest

from core.metrics import CapLimits, compute_report
from core.model import SessionState
from reporting import render_html
from reporting.charts import completion_chart
from reporting.html import EMPTY_SESSIONS
from tests.reporting.report_data import FROM, SESSIONS, TO


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    content: list[Node | str] = field(default_factory=list)  # child elements and text, in document order

    @property
    def children(self) -> list[Node]:
        return [c for c in self.content if isinstance(c, Node)]

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def all(self, tag: str, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.walk()
            if n.tag == tag
            and (cls is None or cls in n.attrs.get("class", "").split())
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def one(self, tag: str, cls: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, (tag, cls, attrs, len(found))
        return found[0]

    def text(self) -> str:
        """The visible text, whitespace collapsed (SVG `<title>` tooltips left out)."""
        parts: list[str] = []
        for item in self.content:
            if isinstance(item, str):
                parts.append(item)
            elif item.tag != "title":
                parts.append(" " + item.text() + " ")
        return " ".join("".join(parts).split())


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class TreeBuilder(HTMLParser):
    """A strict tree: every non-void element must be closed, in order, or the page is not well formed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]
        self.errors: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].content.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].content.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"end tag for void element <{tag}>")
        elif len(self.stack) == 1 or self.stack[-1].tag != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].content.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.errors == []
    assert [n.tag for n in builder.stack] == ["#root"], "unclosed elements"
    assert builder.doctype.lower() == "doctype html"
    return builder.root


@pytest.fixture(scope="module")
def page(doc: dict[str, Any]) -> str:
    return render_html(doc)


@pytest.fixture(scope="module")
def tree(page: str) -> Node:
    return parse(page)


def rows_of(table: Node) -> dict[str, list[str]]:
    """Body rows keyed by their row header, cells as visible text."""
    body = table.one("tbody")
    return {
        tr.one("th").text(): [td.text() for td in tr.children if td.tag == "td"]
        for tr in body.children
        if tr.tag == "tr"
    }


def table_captioned(tree: Node, caption: str) -> Node:
    return next(t for t in tree.all("table") if t.one("caption").text() == caption)


# --- the page as a whole ----------------------------------------------------------------------------


def test_page_is_well_formed_and_titled(tree: Node) -> None:
    html = tree.one("html")
    assert html.attrs["lang"] == "en"
    assert tree.one("meta", charset="utf-8")
    # [2 Mar, 23 Mar) is 2 to 22 March inclusive.
    assert tree.one("head").one("title").text() == "Micro mentoring report \u2014 2 \u2013 22 March 2026"
    assert tree.one("h1").text() == "Micro mentoring report"


def test_page_loads_nothing_from_outside(page: str, tree: Node) -> None:
    assert "http://" not in page and "https://" not in page
    assert "url(" not in page and "@import" not in page
    for node in tree.walk():
        assert node.tag not in ("script", "link", "img", "iframe", "object", "embed")
        assert not {"src", "href", "xlink:href", "srcset", "action"} & set(node.attrs), node.tag
    assert len(tree.all("style")) == 1  # the CSS is inline


def test_headline_numbers(tree: Node) -> None:
    cards = {li.one("span", "label").text(): li.one("span", "value").text() for li in tree.all("li", "kpi")}
    assert cards == {
        "Sessions": "8",
        "Completion rate": "67%",  # 4 / (4 + 2)
        "No-shows": "2",
        "Median wait": "1 d 1 h",  # 1500 min
        "P90 wait": "2 d",  # 2880 min
        "Cancelled": "1",
        "Pending attendance": "1",
    }
    wait_note = next(li for li in tree.all("li", "kpi") if "Median wait" in li.text()).one("span", "note").text()
    assert wait_note == "request to first session \u00b7 3 of 4 served"


def test_one_accessible_svg_per_chart(tree: Node) -> None:
    svgs = tree.all("svg")
    assert [s.attrs["id"] for s in svgs] == ["chart-completion", "chart-wait", "chart-load"]
    for svg in svgs:
        assert svg.attrs["role"] == "img" and svg.attrs["aria-label"]
        title, desc = svg.children[0], svg.children[1]
        assert (title.tag, desc.tag) == ("title", "desc")
        assert svg.attrs["aria-labelledby"] == f"{title.attrs['id']} {desc.attrs['id']}"
        assert title.text() == svg.attrs["aria-label"]


# --- charts -----------------------------------------------------------------------------------------


def test_completion_chart_has_a_bar_per_week_with_decided_sessions(tree: Node) -> None:
    svg = tree.one("svg", id="chart-completion")
    weeks = svg.all("g", "week")
    assert [w.attrs["data-week"] for w in weeks] == ["2026-W10", "2026-W11", "2026-W12"]
    w10, w11, w12 = weeks
    assert len(svg.all("rect", "bar")) == 2  # W11 has no session: no bar
    assert w11.all("rect", "bar") == [] and w11.one("text", "none").text() == "\u2014"
    assert (w10.one("text", "value").text(), w10.one("text", "count").text()) == ("75%", "3 of 4")
    assert (w12.one("text", "value").text(), w12.one("text", "count").text()) == ("50%", "1 of 2")
    # Bar heights follow the rates: 0.75 / 0.5 = 1.5.
    h10 = float(w10.one("rect", "bar").attrs["height"])
    h12 = float(w12.one("rect", "bar").attrs["height"])
    assert h10 / h12 == pytest.approx(1.5, abs=0.01)
    assert [t.text() for t in svg.all("text", "week-label")] == ["W10", "W11", "W12"]
    assert [t.text() for t in svg.all("text", "week-date")] == ["2 Mar", "9 Mar", "16 Mar"]
    assert "67%" in [t.text() for t in svg.all("text", "overall-label")]  # the period's rate line


def test_wait_chart_has_median_and_p90_points_for_weeks_with_served_requests(tree: Node) -> None:
    svg = tree.one("svg", id="chart-wait")
    weeks = {w.attrs["data-week"]: w for w in svg.all("g", "week")}
    assert list(weeks) == ["2026-W10", "2026-W11", "2026-W12"]
    assert len(svg.all("circle", "median")) == 2 and len(svg.all("circle", "p90")) == 2
    assert weeks["2026-W11"].all("circle") == []  # its only request is still waiting
    assert weeks["2026-W11"].one("text", "waiting").text() == "1 waiting"
    w10 = weeks["2026-W10"]
    assert w10.one("text", "median").text() == "1 d 12 h"  # 2160 min
    assert w10.one("text", "p90").text() == "2 d"  # 2880 min
    assert weeks["2026-W12"].one("text", "median").text() == "1 d 1 h"  # 1500 min
    # Longer waits sit higher: the p90 point is above the median one (smaller y).
    assert float(w10.one("circle", "p90").attrs["cy"]) < float(w10.one("circle", "median").attrs["cy"])
    # The W11 gap breaks the lines: no polyline joins W10 to W12.
    assert svg.all("polyline") == []


def test_mentor_load_chart_marks_the_mentor_over_the_weekly_cap(tree: Node) -> None:
    svg = tree.one("svg", id="chart-load")
    rows = svg.all("g", "mentor")
    assert [r.attrs["data-mentor"] for r in rows] == ["<b>bo</b>@c.com", "ana@c.com", "cy@c.com"]
    assert [r.attrs["class"] for r in rows] == ["mentor within", "mentor over", "mentor within"]
    assert len(svg.all("rect", "over")) == 1 and len(svg.all("line", "cap")) == 3
    ana = rows[1]
    assert ana.one("text", "load-value").text() == "3 / 2"
    assert ana.one("text", "load-note").text() == "over weekly cap"
    bar, cap = ana.one("rect", "bar"), ana.one("line", "cap")
    assert float(bar.attrs["x"]) + float(bar.attrs["width"]) > float(cap.attrs["x1"])  # past the cap line
    cy = rows[2]
    assert cy.one("text", "load-value").text() == "3 / 5" and cy.all("text", "load-note") == []


def test_long_periods_keep_every_week_and_thin_the_labels() -> None:
    weeks = [
        {"week": f"2026-W{n:02d}", "weekStart": f"2026-{1 + (n - 1) * 7 // 31:02d}-01T00:00:00Z", "sessions": 2,
         "completed": 1, "noShow": 1, "cancelled": 0, "completionRate": 0.5}
        for n in range(1, 27)
    ]  # fmt: skip
    svg = parse("<!DOCTYPE html>" + completion_chart(weeks, 0.5)).one("svg")
    assert len(svg.all("g", "week")) == 26 and len(svg.all("rect", "bar")) == 26
    xs = [float(t.attrs["x"]) for t in svg.all("text", "week-label")]
    assert 1 < len(xs) < 26
    assert all(b - a >= 40 for a, b in pairwise(xs))  # labels do not collide


# --- tables -----------------------------------------------------------------------------------------


def test_mentor_table(tree: Node) -> None:
    table = table_captioned(tree, "Sessions and load per mentor")
    assert [th.text() for th in table.one("thead").all("th", scope="colgroup")] == [
        "Sessions", "Mentees", "Busiest vs cap",
    ]  # fmt: skip
    # Columns: all, completed, no-show, cancelled, pending, completion, distinct, repeat, day, week, month.
    assert rows_of(table) == {
        # S4 completed, S7 cancelled: 1 / 1; gus once (S7 does not count).
        "<b>bo</b>@c.com": ["2", "1", "0", "1", "0", "100%", "1", "0", "1 / 3", "1 / 5", "1 / 12"],
        # S1 C, S2 N, S3 C: 2 / 3; dee twice (repeat), eli once; 3 in W10 against a cap of 2.
        "ana@c.com": ["3", "2", "1", "0", "0", "67%", "2", "1", "1 / 3", "3 / 2 over", "3 / 12"],
        # S5 C, S6 N, S8 P: 1 / 2; hal twice (repeat), dee once.
        "cy@c.com": ["3", "1", "1", "0", "1", "50%", "2", "1", "1 / 3", "3 / 5", "3 / 12"],
    }


def test_no_show_table_names_who_was_missing(tree: Node) -> None:
    table = table_captioned(tree, "Sessions marked no-show, with who was missing")
    assert [th.text() for th in table.one("thead").all("th")] == [
        "Start (UTC)", "Mentor", "Mentees", "Missing", "Reason", "Session",
    ]  # fmt: skip
    rows = [[c.text() for c in tr.children] for tr in table.one("tbody").children]
    assert rows == [
        ["Wed 4 Mar 2026, 10:00", "ana@c.com", "eli@c.com", "eli@c.com", "Mentees absent", "S2"],
        ["Wed 18 Mar 2026, 10:00", "cy@c.com", "hal@c.com", "cy@c.com (mentor) hal@c.com", "Everyone absent", "S6"],
    ]


def test_segment_table(tree: Node) -> None:
    table = table_captioned(tree, "By department")
    rows = rows_of(table)
    assert sorted(rows) == ["(unknown)", "Eng", "Ops", "R&D <Labs>", "Sales"]
    # Mentors, mentees, sessions, completed, no-show, cancelled, completion.
    assert rows["Sales"] == ["0", "1", "3", "2", "0", "0", "100%"]


def test_text_from_the_data_is_escaped(page: str, tree: Node) -> None:
    assert "<b>" not in page and "<labs>" not in page.lower()
    assert "&lt;b&gt;bo&lt;/b&gt;@c.com" in page
    assert "R&amp;D &lt;Labs&gt;" in page
    assert tree.all("b") == [] and tree.all("labs") == []
    # Escaped once, not twice: the reader sees the UPN as written.
    assert "&amp;lt;" not in page


def test_title_is_escaped(doc: dict[str, Any]) -> None:
    tree = parse(render_html(doc, title='Q1 <draft> & "co"'))
    assert tree.one("h1").text() == 'Q1 <draft> & "co"'
    assert tree.all("draft") == []


# --- edges ------------------------------------------------------------------------------------------


def test_same_input_same_bytes(doc: dict[str, Any], page: str) -> None:
    assert render_html(doc) == page
    assert render_html(json.loads(json.dumps(doc))) == page  # from the JSON as read back from a file


def test_empty_report_shows_the_empty_state(empty_doc: dict[str, Any]) -> None:
    page = render_html(empty_doc)
    tree = parse(page)
    assert tree.all("svg") == []
    empties = [p.text() for p in tree.all("p", "empty")]
    assert empties.count(EMPTY_SESSIONS) == 5  # completion chart, load chart, mentors, no-shows, segments
    assert "No mentoring requests in this period" in empties
    cards = {li.one("span", "label").text(): li.one("span", "value").text() for li in tree.all("li", "kpi")}
    assert (cards["Sessions"], cards["Completion rate"], cards["Median wait"]) == ("0", "\u2014", "\u2014")


def test_sessions_without_an_outcome_yet_give_no_completion_chart() -> None:
    # Only scheduled sessions: no completed or no-show one, so no rate to chart; load still shows.
    waiting = [replace(s, state=SessionState.SCHEDULED) for s in SESSIONS]
    doc = compute_report(sessions=waiting, requests=[], period_from=FROM, period_to=TO, caps=CapLimits()).to_json()
    tree = parse(render_html(doc))
    assert [s.attrs["id"] for s in tree.all("svg")] == ["chart-load"]
    empties = [p.text() for p in tree.all("p", "empty")]
    assert empties == [
        "No completed or missed sessions yet in this period",
        "No mentoring requests in this period",
        "No no-shows in this period",
        "No directory attributes were provided for segments",
    ]
