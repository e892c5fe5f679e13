"""calendarView: expansion of series, ordering, paging (odata.maxpagesize, $top, nextLink with $skip),
$select, Prefer time zone, and the 400 for a missing window."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from emulator import RunningEmulator

from .conftest import DANA, PST, SAMANTHA, assert_graph_error

DECEMBER = {"startDateTime": "2026-11-30T00:00:00Z", "endDateTime": "2026-12-19T00:00:00Z"}


def all_pages(graph: httpx.Client, url: str, params: dict[str, str] | None, headers: dict[str, str]) -> list[Any]:
    pages = []
    response = graph.get(url, params=params, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        if "@odata.nextLink" not in body:
            return pages
        response = graph.get(body["@odata.nextLink"], headers=headers)


def test_series_expand_into_ordered_occurrences(graph: httpx.Client, emu: RunningEmulator) -> None:
    response = graph.get(f"/users/{DANA}/calendarView", params=dict(DECEMBER, **{"$top": "50"}))
    body = response.json()
    assert (
        body["@odata.context"]
        == f"{emu.graph_url}/$metadata#users('dc17674c-81d9-4adb-bfb2-8f6a442e4622')/calendarView"
    )
    events = body["value"]
    starts = [e["start"]["dateTime"] for e in events]
    assert starts == sorted(starts)
    stand_ups = [e for e in events if e["subject"] == "Team stand-up"]
    # Mon/Wed/Fri from 30 Nov to 18 Dec: 30 Nov, 2, 4, 7, 9, 11, 14, 16, 18 Dec; 09:00 PST = 17:00Z.
    assert [e["start"]["dateTime"][:16] for e in stand_ups] == [
        f"2026-{d}T17:00" for d in ("11-30", "12-02", "12-04", "12-07", "12-09", "12-11", "12-14", "12-16", "12-18")
    ]
    assert {e["type"] for e in stand_ups} == {"occurrence"}
    assert len({e["seriesMasterId"] for e in stand_ups}) == 1
    assert len({e["id"] for e in stand_ups}) == 9
    one = graph.get(f"/users/{DANA}/events/{stand_ups[1]['id']}").json()
    assert one["start"] == stand_ups[1]["start"] and one["type"] == "occurrence"
    master = graph.get(f"/users/{DANA}/events/{stand_ups[0]['seriesMasterId']}").json()
    assert master["type"] == "seriesMaster" and master["recurrence"]["pattern"]["type"] == "weekly"


def test_default_page_is_10_and_next_links_carry_skip(graph: httpx.Client) -> None:
    pages = all_pages(graph, f"/users/{DANA}/calendarView", DECEMBER, {})
    # 9 stand-ups + focus time = 10 events fit one default page.
    assert [len(p["value"]) for p in pages] == [10]
    pages = all_pages(graph, f"/users/{DANA}/calendarView", DECEMBER, {"Prefer": "odata.maxpagesize=4"})
    assert [len(p["value"]) for p in pages] == [4, 4, 2]
    assert "$skip=4" in pages[0]["@odata.nextLink"]
    assert "startDateTime=" in pages[0]["@odata.nextLink"]
    ids = [e["id"] for p in pages for e in p["value"]]
    assert len(set(ids)) == 10


def test_top_sets_the_page_size(graph: httpx.Client) -> None:
    pages = all_pages(graph, f"/users/{DANA}/calendarView", dict(DECEMBER, **{"$top": "3"}), {})
    assert [len(p["value"]) for p in pages] == [3, 3, 3, 1]


def test_select_and_prefer_time_zone(graph: httpx.Client) -> None:
    response = graph.get(
        f"/users/{DANA}/calendarView",
        params=dict(DECEMBER, **{"$select": "subject,start"}),
        headers={"Prefer": f'outlook.timezone="{PST}"'},
    )
    first = response.json()["value"][0]
    assert set(first) == {"@odata.etag", "id", "subject", "start"}
    assert first["start"] == {"dateTime": "2026-11-30T09:00:00.0000000", "timeZone": PST}
    assert response.headers["Preference-Applied"] == f'outlook.timezone="{PST}"'


def test_window_parameters_use_their_own_offsets(graph: httpx.Client) -> None:
    # 2026-12-01 07:00-09:00 at UTC-08:00 is 15:00-17:00Z: only the first hour of focus time (16:00-18:00Z).
    response = graph.get(
        f"/users/{DANA}/calendarView",
        params={"startDateTime": "2026-12-01T07:00:00-08:00", "endDateTime": "2026-12-01T09:00:00-08:00"},
    )
    assert [e["subject"] for e in response.json()["value"]] == ["Focus time"]


@pytest.mark.parametrize("params", [{}, {"startDateTime": "2026-12-01T00:00:00Z"}])
def test_missing_window_is_400(graph: httpx.Client, params: dict[str, str]) -> None:
    error = assert_graph_error(graph.get(f"/users/{DANA}/calendarView", params=params), 400, "ErrorInvalidParameter")
    assert "StartDateTime and EndDateTime" in error["message"]


def test_calendar_calendar_view_alias(graph: httpx.Client) -> None:
    direct = graph.get(f"/users/{DANA}/calendarView", params=DECEMBER).json()["value"]
    alias = graph.get(f"/users/{DANA}/calendar/calendarView", params=DECEMBER).json()["value"]
    assert [e["id"] for e in alias] == [e["id"] for e in direct]


def test_empty_calendar(graph: httpx.Client) -> None:
    body = graph.get(
        f"/users/{SAMANTHA}/calendarView",
        params={"startDateTime": "2020-01-01T00:00:00Z", "endDateTime": "2020-01-02T00:00:00Z"},
    ).json()
    assert body["value"] == [] and "@odata.nextLink" not in body


def test_deleting_one_occurrence_removes_only_that_instance(graph: httpx.Client) -> None:
    week = {"startDateTime": "2027-02-01T00:00:00Z", "endDateTime": "2027-02-06T00:00:00Z"}
    before = [
        e
        for e in graph.get(f"/users/{DANA}/calendarView", params=week).json()["value"]
        if e["subject"] == "Team stand-up"
    ]
    assert [e["start"]["dateTime"][:10] for e in before] == ["2027-02-01", "2027-02-03", "2027-02-05"]
    assert graph.delete(f"/users/{DANA}/events/{before[1]['id']}").status_code == 204
    after = [
        e
        for e in graph.get(f"/users/{DANA}/calendarView", params=week).json()["value"]
        if e["subject"] == "Team stand-up"
    ]
    assert [e["id"] for e in after] == [before[0]["id"], before[2]["id"]]
    assert_graph_error(graph.get(f"/users/{DANA}/events/{before[1]['id']}"), 404, "ErrorItemNotFound")
