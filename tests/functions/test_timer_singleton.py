"""The timer singleton across hosts: three local hosts on one schedule, sharing Azurite's blob service,
run each occurrence once (a blob lease per occurrence, as the Functions host does on Azure)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from datetime import UTC, datetime

import azure.functions as func
import pytest
from azure.storage.blob import BlobServiceClient

from micromentor.localhost import LocalHost
from micromentor.singleton import TimerSingleton, has_blob_endpoint

CONNECTION = os.environ.get("AZURE_STORAGE_CONNECTION_STRING", "")
pytestmark = [
    pytest.mark.azurite,
    pytest.mark.skipif(
        not CONNECTION or "BlobEndpoint=" not in CONNECTION,
        reason="Azurite's blob service not running (source .ci/azurite.sh)",
    ),
]


def build_app(runs: list[float]) -> func.FunctionApp:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *")
    async def plan(timer: func.TimerRequest) -> None:
        runs.append(time.time())
        await asyncio.sleep(0.2)  # long enough that the other hosts ask while this one holds the lease

    return app


def test_three_hosts_run_each_occurrence_once() -> None:
    container = f"timers-{uuid.uuid4().hex[:10]}"
    runs: list[float] = []
    app = build_app(runs)
    locks = [TimerSingleton(CONNECTION, container=container, owner=f"host{i}") for i in range(3)]
    hosts = [LocalHost(app, timer_lock=lock, schedules={"plan": "* * * * * *"}) for lock in locks]

    async def run() -> None:
        [timer] = hosts[0].by_kind("timerTrigger")
        tasks = [asyncio.create_task(host._timer_loop(timer)) for host in hosts]
        await asyncio.sleep(4.5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    try:
        asyncio.run(run())
        service = BlobServiceClient.from_connection_string(CONNECTION)
        blobs = list(service.get_container_client(container).list_blobs(include=["metadata"]))
        done = [b for b in blobs if b.metadata.get("done")]
        owners = {b.metadata["owner"] for b in done}
        # One run per occurrence (each second), whichever host took it; every occurrence was taken. The
        # cancel at the end may cut one run short after it started and before its lease blob says done.
        assert len(done) >= 3, (len(runs), len(done))
        assert len(done) <= len(runs) <= len(done) + 1, (len(runs), len(done))
        assert len(blobs) - len(done) <= 1  # at most the occurrence the cancel cut short
        seconds = sorted(int(r) for r in runs)
        assert len(seconds) == len(set(seconds)), seconds
        assert owners <= {"host0", "host1", "host2"}
        with contextlib.suppress(Exception):
            service.delete_container(container)
        service.close()
    finally:
        for lock in locks:
            lock.close()


def test_a_lease_held_by_a_dead_host_expires_and_another_host_takes_the_occurrence() -> None:
    container = f"timers-{uuid.uuid4().hex[:10]}"
    occurrence = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    dead, alive = (TimerSingleton(CONNECTION, container=container, lease_seconds=15) for _ in range(2))
    ran: list[str] = []

    async def work() -> None:
        ran.append("alive")

    try:
        assert dead._take("plan", occurrence) is not None  # took the lease, then was killed: never released
        assert not asyncio.run(alive.run_once("plan", occurrence, work))
        time.sleep(15.5)
        assert asyncio.run(alive.run_once("plan", occurrence, work))
        assert not asyncio.run(dead.run_once("plan", occurrence, work))  # done: nobody runs it again
        assert ran == ["alive"]
    finally:
        dead.close()
        alive.close()


def test_which_connection_strings_reach_blobs() -> None:
    assert has_blob_endpoint(CONNECTION)
    azure = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;EndpointSuffix=core.windows.net"
    assert has_blob_endpoint(azure)
    assert not has_blob_endpoint("AccountName=a;AccountKey=k;QueueEndpoint=http://127.0.0.1:10001/a")
