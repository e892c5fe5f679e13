"""One lane's GETs asked one at a time by many callers go out together in chained $batches
(graph/batching.py), never more batches at once than the lane's slots."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.config import GraphSettings
from graph.errors import GraphUnavailable
from graph.gateway import GraphGateway
from graph.values import EventDraft
from tests.conftest import with_graph

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def meetings(settings: GraphSettings, count: int) -> list[str]:
    """Join URLs of `count` Teams meetings Maya organizes."""

    async def body(graph: GraphGateway) -> list[str]:
        urls = []
        for i in range(count):
            start = START + timedelta(minutes=30 * i)
            draft = EventDraft(
                subject=f"Micro mentoring {i}",
                body_html="<p>agenda</p>",
                start=start,
                end=start + timedelta(minutes=15),
                zone=UTC,
                attendees=((RAVI, RAVI),),
                transaction_id=f"batching-{i}",
                categories=("Micro-mentoring",),
            )
            urls.append((await graph.create_event(MAYA, draft)).join_url or "")
        return urls

    return with_graph(settings, body)


def lookups(settings: GraphSettings, urls: list[str]) -> list[Any]:
    async def body(graph: GraphGateway) -> list[Any]:
        organizer = (await graph.get_user(MAYA)).id
        async with graph.meeting_reader(organizer) as reader:
            return list(await asyncio.gather(*(reader.meeting_id(u) for u in urls), return_exceptions=True))

    return with_graph(settings, body)


def test_callers_share_one_batch_per_slot(graph_settings: GraphSettings, admin: Any) -> None:
    urls = meetings(graph_settings, 8)
    admin.post("/requests/reset", {})
    found = lookups(graph_settings, urls)
    assert all(read and meeting_id for read, meeting_id in found)
    assert len({meeting_id for _, meeting_id in found}) == 8
    log = admin.get("/requests")
    # 8 lookups over the organizer's 4 slots: 4 chained batches of 2, not 8 requests.
    assert log["counts"].get("POST /$batch") == 4
    assert log["batchItems"] == 8
    # With 2 slots: 2 batches of 4.
    admin.post("/requests/reset", {})
    assert lookups(replace(graph_settings, meeting_concurrency=2), urls) == found
    log = admin.get("/requests")
    assert log["counts"].get("POST /$batch") == 2 and log["batchItems"] == 8


def test_a_batch_that_fails_whole_raises_to_each_caller(graph_settings: GraphSettings, admin: Any) -> None:
    urls = meetings(graph_settings, 3)
    admin.post("/faults", {"path": r"/\$batch$", "status": 503, "retryAfter": 0})
    try:
        found = lookups(replace(graph_settings, max_attempts=2), urls)
    finally:
        admin.delete("/faults")
    assert len(found) == 3 and all(isinstance(f, GraphUnavailable) for f in found)
