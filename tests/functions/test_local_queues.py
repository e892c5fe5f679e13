"""The local host's queue bindings: a timer's queue output reaches the queue trigger, and a message that
keeps failing ends in the poison queue after Azure's dequeue count — in process, and on Azurite."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from typing import Any

import azure.functions as func
import pytest

from micromentor.localhost import LocalHost
from store.queues import MAX_DEQUEUE_COUNT, AzureQueues, InProcessQueues, Queues


def build_app(queue: str, seen: list[dict[str, Any]]) -> func.FunctionApp:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
    @app.queue_output(arg_name="work", queue_name=queue, connection="AzureWebJobsStorage")
    async def plan(timer: func.TimerRequest, work: func.Out[list[str]]) -> None:
        work.set([json.dumps({"n": 1}), json.dumps({"n": 2, "fail": True})])

    @app.queue_trigger(arg_name="message", queue_name=queue, connection="AzureWebJobsStorage")
    async def handle(message: func.QueueMessage) -> None:
        body = json.loads(message.get_body())
        seen.append({**body, "dequeue": message.dequeue_count})
        if body.get("fail"):
            raise RuntimeError("this message always fails")

    return app


def backends() -> list[Any]:
    found: list[Any] = [pytest.param(InProcessQueues, id="in-process")]
    connection = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
    mark = pytest.mark.skipif(not connection, reason="Azurite not running (set AZURE_STORAGE_CONNECTION_STRING)")
    found.append(pytest.param(lambda: AzureQueues(connection or ""), id="azurite", marks=mark))
    return found


def test_each_timer_run_and_queue_delivery_is_one_line(caplog: pytest.LogCaptureFixture) -> None:
    host = LocalHost(build_app("lines", []))

    async def run() -> None:
        await host.run_timer("plan")
        await host.drain()

    with caplog.at_level("INFO", logger="micromentor.host"):
        asyncio.run(run())
    lines = [r.getMessage() for r in caplog.records if r.name == "micromentor.host"]
    assert lines[0].startswith("timer plan ok ")
    assert sum(line.startswith("queue lines (attempt 1) ok ") for line in lines) == 1
    assert sum(line.startswith("queue lines (attempt ") and " failed " in line for line in lines) == MAX_DEQUEUE_COUNT
    assert all(line.endswith(" ms") for line in lines) and len(lines) == 2 + MAX_DEQUEUE_COUNT


@pytest.mark.parametrize("make_queues", backends())
def test_timer_output_reaches_the_worker_and_failures_end_in_poison(make_queues: Any) -> None:
    queue = f"work-{uuid.uuid4().hex[:8]}"
    seen: list[dict[str, Any]] = []
    queues: Queues = make_queues()
    host = LocalHost(build_app(queue, seen), queues=queues)

    async def run() -> list[bytes]:
        await host.run_timer("plan")
        await host.drain()
        return await queues.poisoned(queue)

    poisoned = asyncio.run(run())
    assert [s for s in seen if s["n"] == 1] == [{"n": 1, "dequeue": 1}]
    assert [s["dequeue"] for s in seen if s["n"] == 2] == list(range(1, MAX_DEQUEUE_COUNT + 1))
    assert [json.loads(p) for p in poisoned] == [{"n": 2, "fail": True}]
