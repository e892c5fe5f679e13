"""The report's directory side against the emulated tenant: display names, the work-mode segment read
from a configured attribute (only returned when $select-ed), folding, the viewer's zone and the quarter."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.errors import Misconfigured
from core.model import Session, SessionState
from emulator import RunningEmulator, start_emulator
from graph.gateway import GraphGateway
from micromentor.tenant import emulator_settings
from policies import TenantPolicy
from services.report import ReportOptions, ReportQuery, report_for
from store import open_store
from store.base import Store
from tests.emulator.conftest import app_token, verify

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
DOMAIN = "contoso.example"


def user(name: str, **extra: Any) -> dict[str, Any]:
    return {"userPrincipalName": f"{name}@{DOMAIN}", "displayName": name.capitalize(), **extra}


# employeeType: r1..r5 "Remote" (5 people), h1..h5 "hybrid" (5), o1 "On-site" (1), n1 none (1).
# Work mode is also set for x1 in extension attribute 3 only. h1 has an empty displayName and a mail.
SEED: dict[str, Any] = {
    "tenantId": "11111111-2222-3333-4444-555555555555",
    "users": [
        *(user(f"r{i}", employeeType="Remote") for i in range(1, 6)),
        user("h1", displayName="", mail=f"hana@{DOMAIN}", employeeType="hybrid"),
        *(user(f"h{i}", employeeType="hybrid") for i in range(2, 6)),
        user("o1", employeeType="On-site", onPremisesExtensionAttributes={"extensionAttribute3": "remote"}),
        user("n1"),
    ],
}


@pytest.fixture(scope="module")
def running() -> Iterator[RunningEmulator]:
    emulator = start_emulator(SEED)
    try:
        yield emulator
    finally:
        emulator.stop()


def session(
    i: int, mentor: str, mentee: str, start: datetime, state: SessionState, missing: tuple[str, ...] = ()
) -> Session:
    return Session(
        id=f"S{i}",
        mentor=f"{mentor}@{DOMAIN}",
        mentees=tuple(f"{m}@{DOMAIN}" for m in mentee.split(",")),
        missing=tuple(f"{m}@{DOMAIN}" for m in missing),
        start=start,
        end=start + timedelta(minutes=15),
        question="?",
        created_at=start - timedelta(days=1),
        state=state,
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(f"sqlite:///{tmp_path / 'mm.db'}")
    # Q4 2026: r_i mentors h_i (completed), o1 mentors n1 and h1 (no-show, both missing, Tue 3 Nov 23:30 UTC).
    for i in range(1, 6):
        opened.add_session(
            session(
                i, f"r{i}", f"h{i}", datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(days=i), SessionState.COMPLETED
            )
        )
    opened.add_session(
        session(6, "o1", "n1,h1", datetime(2026, 11, 3, 23, 30, tzinfo=UTC), SessionState.NO_SHOW, ("n1", "h1"))
    )
    # Q3 2026: one completed session r1 -> h1.
    opened.add_session(session(7, "r1", "h1", datetime(2026, 8, 4, 9, tzinfo=UTC), SessionState.COMPLETED))
    return opened


def run(
    running: RunningEmulator, store: Store, query: ReportQuery, options: ReportOptions | None = None
) -> tuple[str, str]:
    async def go() -> tuple[str, str]:
        graph = GraphGateway(emulator_settings(running))
        try:
            return await report_for(query, store, TenantPolicy(), now=NOW, graph=graph, options=options)
        finally:
            await graph.aclose()

    return asyncio.run(go())


def report_json(
    running: RunningEmulator, store: Store, query: ReportQuery, options: ReportOptions | None = None
) -> Any:
    return json.loads(run(running, store, query, options)[1])


EMPLOYEE_TYPE = ReportOptions(work_mode_attribute="employeeType")
Q4 = ReportQuery(quarter="2026Q4", tz="UTC")


def test_display_names_fall_back_to_the_mail(running: RunningEmulator, store: Store) -> None:
    doc = report_json(running, store, Q4, EMPLOYEE_TYPE)
    names = {m["mentor"]: m["name"] for m in doc["mentors"]}
    assert names[f"r1@{DOMAIN}"] == "R1" and names[f"o1@{DOMAIN}"] == "O1"
    no_show = doc["noShows"][0]
    # h1's displayName is empty (null from Graph): the mail stands in.
    assert (no_show["mentorName"], no_show["menteeNames"]) == ("O1", ["N1", f"hana@{DOMAIN}"])
    assert no_show["missingNames"] == ["N1", f"hana@{DOMAIN}"]
    html = run(running, store, replace(Q4, format="html"), EMPLOYEE_TYPE)[1]
    assert ">O1<" in html and f"hana@{DOMAIN}" in html


def test_the_work_mode_segment_is_folded_and_never_one_person(running: RunningEmulator, store: Store) -> None:
    doc = report_json(running, store, Q4, EMPLOYEE_TYPE)
    rows = {s["value"]: s for s in doc["segments"] if s["attribute"] == "workMode"}
    # remote 5 and hybrid 5 people; office (o1) and unknown (n1) 1 each -> "(other)" of 2, too small, so
    # the smallest shown value joins it (a tie at 5: "hybrid" before "remote") -> remote | (other) of 7.
    assert set(rows) == {"remote", "(other)"}
    assert (rows["remote"]["mentors"], rows["remote"]["mentees"], rows["remote"]["sessions"]) == (5, 0, 5)
    # (other): the five r-h sessions (their mentees are hybrid) and o1 -> n1.
    # Its people: mentor o1 and mentees h1..h5 and n1 -> 7.
    assert (rows["(other)"]["sessions"], rows["(other)"]["noShow"]) == (6, 1)
    assert (rows["(other)"]["mentors"], rows["(other)"]["mentees"]) == (1, 6)
    assert doc["segmentRules"] == {"minSize": 5, "withheld": []}


def test_work_mode_from_an_extension_attribute(running: RunningEmulator, store: Store) -> None:
    options = ReportOptions(min_segment=2, work_mode_attribute="onPremisesExtensionAttributes.extensionAttribute3")
    doc = report_json(running, store, Q4, options)
    rows = {s["value"]: s for s in doc["segments"] if s["attribute"] == "workMode"}
    # Only o1 has extensionAttribute3 ("remote"): remote 1 < 2 folds into "(unknown)"'s 11 as "(other)".
    assert set(rows) == {"(other)"}


def test_without_the_setting_there_is_no_work_mode(running: RunningEmulator, store: Store) -> None:
    doc = report_json(running, store, Q4)
    assert [s for s in doc["segments"] if s["attribute"] == "workMode"] == []


def test_an_attribute_graph_does_not_know_is_a_misconfiguration(running: RunningEmulator, store: Store) -> None:
    with pytest.raises(Misconfigured) as caught:
        run(running, store, Q4, ReportOptions(work_mode_attribute="workMode"))
    assert caught.value.setting == "MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE"


def test_the_emulator_returns_employee_type_only_when_selected(running: RunningEmulator) -> None:
    headers = {"Authorization": f"Bearer {app_token(running)}"}
    with httpx.Client(base_url=running.graph_url, verify=verify(running), trust_env=False, headers=headers) as graph:
        base = f"/users/r1@{DOMAIN}"
        plain = graph.get(base).json()
        assert "employeeType" not in plain and "onPremisesExtensionAttributes" not in plain
        picked = graph.get(base, params={"$select": "id,employeeType,onPremisesExtensionAttributes"}).json()
        assert picked["employeeType"] == "Remote"
        assert picked["onPremisesExtensionAttributes"]["extensionAttribute3"] is None
        assert len(picked["onPremisesExtensionAttributes"]) == 15
        unknown = graph.get(base, params={"$select": "id,workMode"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["message"] == (
            "Could not find a property named 'workMode' on type 'microsoft.graph.user'."
        )
        nested = graph.get(base, params={"$select": "onPremisesExtensionAttributes/extensionAttribute3"})
        assert nested.status_code == 400
        # No displayName on h1: null, as real tenants answer for accounts made without one.
        assert graph.get(f"/users/h1@{DOMAIN}").json()["displayName"] is None


def test_times_and_weeks_in_the_viewers_zone(running: RunningEmulator, store: Store) -> None:
    # o1's no-show at Tue 3 Nov 23:30 UTC is Wed 4 Nov 08:30 in Tokyo (UTC+9).
    doc = report_json(running, store, ReportQuery(quarter="2026Q4", tz="Asia/Tokyo"), EMPLOYEE_TYPE)
    assert doc["timeZone"] == "Asia/Tokyo"
    assert doc["period"] == {"from": "2026-10-01T00:00:00+09:00", "to": "2027-01-01T00:00:00+09:00"}
    assert doc["noShows"][0]["start"] == "2026-11-04T08:30:00+09:00"
    weeks = doc["trends"]["completionByWeek"]
    # The quarter starts Thu 1 Oct local: its first week is the one from Mon 28 Sep 00:00 Tokyo.
    assert (weeks[0]["week"], weeks[0]["weekStart"]) == ("2026-W40", "2026-09-28T00:00:00+09:00")


def test_a_quarter_comes_with_the_one_before(running: RunningEmulator, store: Store) -> None:
    doc = report_json(running, store, Q4, EMPLOYEE_TYPE)
    assert doc["quarter"] == "2026 Q4"
    assert doc["sessions"]["sessions"] == 6 and doc["completionRate"] == round(5 / 6, 4)
    previous = doc["comparison"]
    assert previous["label"] == "2026 Q3"
    assert previous["period"] == {"from": "2026-07-01T00:00:00Z", "to": "2026-10-01T00:00:00Z"}
    assert previous["sessions"]["sessions"] == 1 and previous["completionRate"] == 1.0
    # Q3 has two people: fewer than five in all, so its segments are withheld.
    assert previous["segments"] == []
    html = run(running, store, replace(Q4, format="html"), EMPLOYEE_TYPE)[1]
    assert "2026 Q4 compared with 2026 Q3" in html and "times in UTC" in html
    # Completion 83% now against 100% before: -17 points; sessions 6 against 1: +5.
    comparison = html.split('id="comparison"')[1].split("</section>")[0]
    assert "+5" in comparison and "-17 pts" in comparison


def test_the_csv_has_segments_trend_no_shows_and_the_comparison(running: RunningEmulator, store: Store) -> None:
    _, text = run(running, store, ReportQuery(format="csv", quarter="2026Q4", tz="UTC"), EMPLOYEE_TYPE)
    rows = list(csv.DictReader(io.StringIO(text)))
    scopes = {r["scope"] for r in rows}
    assert {"all", "mentor", "segment", "week", "no_show", "previous"} <= scopes
    no_show = next(r for r in rows if r["scope"] == "no_show")
    assert (no_show["name"], no_show["start"]) == ("O1", "2026-11-03T23:30:00Z")
    assert (no_show["mentees"], no_show["missing"]) == (f"N1; hana@{DOMAIN}", f"N1; hana@{DOMAIN}")
    segments = {r["value"] for r in rows if r["scope"] == "segment"}
    assert segments == {"remote", "(other)"}
    previous = next(r for r in rows if r["scope"] == "previous")
    assert (previous["label"], previous["sessions"], previous["completed"]) == ("2026 Q3", "1", "1")


def test_one_folding_for_the_quarter_and_the_one_before_so_no_subtraction_isolates_anyone(
    running: RunningEmulator, store: Store
) -> None:
    """Q3 gets r_i -> h_i as well (remote 5, hybrid 5: both large enough there on their own). In Q4,
    office (o1) and unknown (n1) are 2 people: folding them alone would leave an "(other)" of 2, so
    hybrid, the smaller-named of the two values of 5, is folded in with them: Q4 shows remote and
    "(other)" = hybrid + office + unknown, mentees h1..h5 and n1 = 6. Were Q3 folded on its own, it
    would name hybrid with mentees h1..h5 = 5, and 6 - 5 = 1: the one unknown/office mentee (n1), a
    segment of one. Folded once, hybrid is folded in both tables: named in neither."""
    for i in range(1, 6):
        store.add_session(
            session(10 + i, f"r{i}", f"h{i}", datetime(2026, 8, 10 + i, 9, tzinfo=UTC), SessionState.COMPLETED)
        )
    doc = report_json(running, store, Q4, EMPLOYEE_TYPE)

    def rows(table: dict[str, Any]) -> dict[str, int]:
        return {s["value"]: s["mentees"] for s in table["segments"] if s["attribute"] == "workMode"}

    now, before = rows(doc), rows(doc["comparison"])
    assert now == {"remote": 0, "(other)": 6}  # remote people only mentor in Q4
    assert before == {"remote": 0, "(other)": 5}
    named = {value for table in (now, before) for value in table if value != "(other)"}
    assert named == {"remote"}  # hybrid is folded in both, never subtracted from "(other)"
