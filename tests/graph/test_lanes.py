"""Which lane a Graph request waits in, and how many slots it holds (graph/lanes.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence

import httpx
import pytest

from graph.lanes import Lanes, lane_of, needs_of

ORGANIZER = "8b7a2c2e-0002-4b0e-9e8e-000000000002"


@pytest.mark.parametrize(
    ("url", "lane"),
    [
        ("https://graph.microsoft.com/v1.0/users/maya@contoso.example/calendarView", "outlook"),
        ("/users/maya@contoso.example/calendar/getSchedule", "outlook"),
        ("/users/maya@contoso.example/mailboxSettings", "outlook"),
        ("/users/maya@contoso.example/mailFolders/sentitems/messages?$top=1", "outlook"),
        (f"https://graph.microsoft.com/v1.0/users/{ORGANIZER}/onlineMeetings?$filter=x", f"meetings:{ORGANIZER}"),
        (f"/users/{ORGANIZER.upper()}/onlineMeetings/m1/attendanceReports/r1", f"meetings:{ORGANIZER}"),
        ("https://graph.microsoft.com/v1.0/users/maya@contoso.example", None),  # the directory
        ("https://graph.microsoft.com/v1.0/subscriptions", None),
        ("https://graph.microsoft.com/v1.0/$batch", None),
    ],
)
def test_lane_of(url: str, lane: str | None) -> None:
    assert lane_of(url) == lane


def batch(items: Sequence[Mapping[str, object]]) -> httpx.Request:
    return httpx.Request("POST", "https://graph.microsoft.com/v1.0/$batch", content=json.dumps({"requests": items}))


def test_a_chained_batch_holds_one_slot_per_lane_it_touches() -> None:
    items: list[dict[str, object]] = [
        {"id": str(i), "method": "GET", "url": f"/users/{ORGANIZER}/onlineMeetings/m{i}/attendanceReports",
         "dependsOn": [str(i - 1)] if i else []}
        for i in range(10)
    ]  # fmt: skip
    assert needs_of(batch(items)) == {f"meetings:{ORGANIZER}": 1}


def test_a_parallel_batch_holds_up_to_four_slots_per_lane() -> None:
    # Graph runs up to 4 items of a parallel batch at once (json-batching.md): 6 mailboxSettings items
    # may be 4 Outlook requests at once; 2 directory entries hold nothing; 1 meeting item holds 1.
    items = [{"id": f"m{i}", "method": "GET", "url": f"/users/u{i}/mailboxSettings"} for i in range(6)]
    items += [{"id": f"u{i}", "method": "GET", "url": f"/users/u{i}"} for i in range(2)]
    items += [{"id": "x", "method": "GET", "url": f"/users/{ORGANIZER}/onlineMeetings/m"}]
    assert needs_of(batch(items)) == {"outlook": 4, f"meetings:{ORGANIZER}": 1}


def test_a_request_waiting_for_several_slots_is_not_overtaken_and_a_cancelled_one_takes_none() -> None:
    async def body() -> list[str]:
        lanes = Lanes(outlook=4, meetings=4)
        order: list[str] = []
        first = await lanes.hold({"outlook": 3})  # 1 of 4 left
        big = asyncio.ensure_future(lanes.hold({"outlook": 4}))
        gone = asyncio.ensure_future(lanes.hold({"outlook": 1}))
        small = asyncio.ensure_future(lanes.hold({"outlook": 1}))
        await asyncio.sleep(0)
        assert not big.done() and not gone.done() and not small.done()  # first come, first served
        gone.cancel()
        await asyncio.sleep(0)
        lanes.release(first)  # 4 free: the big one takes them all, the small one still waits
        await asyncio.sleep(0)
        assert big.done() and not small.done()
        order.append("big")
        lanes.release(big.result())
        await asyncio.sleep(0)
        assert small.done()
        order.append("small")
        lanes.release(small.result())
        # all 4 free again: a new holder of 4 gets them at once
        lanes.release(await lanes.hold({"outlook": 4}))
        return order

    assert asyncio.run(body()) == ["big", "small"]
