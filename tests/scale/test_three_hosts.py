"""Scale-out on Azure's own pieces: three `micromentor serve` processes share one Azurite (the Table
Storage store, the `sync-work` Storage queue) and one Graph emulator.

- 50 clients booking across the three hosts: no slot is booked twice; meanwhile the sync planner's
  timer, due every second on all three, runs once per occurrence (a blob lease).
- Duplicate sync messages consumed by all three, one host SIGKILLed mid-run: its message comes back
  after the visibility timeout and is finished by another host; every attendance is decided and counted
  once; the delta checkpoint stands (written by compare-and-set)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import ssl
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import BinaryBase64EncodePolicy, QueueClient

from core.model import SessionState
from emulator import RunningEmulator, start_emulator
from micromentor.cluster import host_env, start_hosts
from micromentor.singleton import DEFAULT_CONTAINER
from store import open_store
from tests.conftest import TENANT_SEED

CONNECTION = os.environ.get("AZURE_STORAGE_CONNECTION_STRING", "")
pytestmark = [
    pytest.mark.azurite,
    pytest.mark.skipif(
        not CONNECTION or "BlobEndpoint=" not in CONNECTION,
        reason="Azurite (tables, queues, blobs) not running: source .ci/azurite.sh",
    ),
]

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
BOOKING_NOW = "2026-11-30T00:00:00Z"  # a Monday: the seed tenant's working week
CLIENTS, SLOTS = 50, 10
QUEUE = "sync-work"
VISIBILITY = 3  # seconds a killed host's message stays hidden


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    running = start_emulator(TENANT_SEED)
    try:
        yield running
    finally:
        running.stop()


def _https(emu: RunningEmulator) -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_cert_path), trust_env=False, timeout=30)


def _queues() -> tuple[QueueClient, QueueClient]:
    made = []
    for name in (QUEUE, f"{QUEUE}-poison"):
        client = QueueClient.from_connection_string(CONNECTION, name, message_encode_policy=BinaryBase64EncodePolicy())
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        client.clear_messages()  # left by another run against a long-lived Azurite: start empty
        made.append(client)
    return made[0], made[1]


def _drained(work: QueueClient, seconds: float) -> bool:
    """No message left, visible or hidden (a hidden one still counts in the approximate count)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if work.get_queue_properties().approximate_message_count == 0:
            return True
        time.sleep(0.3)
    return False


def _timer_occurrences(since: datetime) -> list[tuple[str, str]]:
    """The plan_sync occurrences run since `since`: (blob name, the host that ran it)."""
    service = BlobServiceClient.from_connection_string(CONNECTION)
    container = service.get_container_client(DEFAULT_CONTAINER)
    low = f"plan_sync/{since.strftime('%Y-%m-%dT%H-%M-%SZ')}"
    found = [
        (b.name, str(b.metadata["owner"]))
        for b in container.list_blobs(name_starts_with="plan_sync/", include=["metadata"])
        if b.name >= low and b.metadata.get("done")
    ]
    service.close()
    return found


def test_three_hosts_book_and_sync_without_doubles(emu: RunningEmulator, tmp_path: Path) -> None:
    store_url = f"tables:{CONNECTION}TablePrefix=h{uuid.uuid4().hex[:10]};"
    work, poison = _queues()
    admin = _https(emu)
    token = admin.post(f"{emu.admin_url}/token", json={"upn": MAYA}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    store = open_store(store_url)

    # --- 50 clients book ten slots through three hosts --------------------------------------------
    # The sync planner's timer every second on all three hosts: each occurrence must run on one only.
    env = host_env(
        emu,
        CONNECTION,
        store_url,
        MICROMENTOR_NOW=BOOKING_NOW,
        MICROMENTOR_TIMER_SCHEDULES="plan_sync=* * * * * *",
        MICROMENTOR_QUEUE_VISIBILITY_SECONDS=str(VISIBILITY),
    )
    (tmp_path / "a").mkdir()
    since = datetime.now(UTC).replace(microsecond=0)
    with start_hosts(3, env, tmp_path / "a") as hosts:
        found = httpx.get(
            f"{hosts[0].url}/slots", params={"mentor": MAYA, "mentee": RAVI, "limit": SLOTS}, headers=auth, timeout=60
        )
        assert found.status_code == 200, found.text
        starts = [s["start"] for s in found.json()["slots"]]
        assert len(starts) == SLOTS

        def book(i: int) -> tuple[str, int]:
            body = {"mentor": MAYA, "mentees": [RAVI], "start": starts[i % SLOTS], "question": f"client {i}"}
            answer = httpx.post(f"{hosts[i % 3].url}/sessions", json=body, headers=auth, timeout=60)
            return starts[i % SLOTS], answer.status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(book, range(CLIENTS)))
        time.sleep(1.5)  # at least one more timer occurrence with every host up
    # Counted once the hosts are stopped: a run cut short by the stop neither logs nor marks its blob.
    timer_runs = sum(len(re.findall(r"timer plan_sync (?:ok|failed)", h.log())) for h in hosts)
    occurrences = _timer_occurrences(since)
    assert timer_runs >= 2 and timer_runs == len(occurrences), (timer_runs, occurrences)
    assert len({owner for _, owner in occurrences}) >= 1
    statuses = Counter(status for _, status in answers)
    # 409: the slot was taken by another client; 422: a booking next to it made it break a policy rule
    # (buffer, daily cap). Never a 5xx, never two bookings of one slot.
    assert set(statuses) <= {201, 409, 422}, statuses
    won = Counter(start for start, status in answers if status == 201)
    assert won and max(won.values()) == 1, won
    every = store.list_sessions(mentor=MAYA)
    # A booking that lost a policy race after writing its session cancels it: only the 201s stay.
    sessions = [s for s in every if s.state == SessionState.SCHEDULED]
    assert len(sessions) == statuses[201] and len({s.start for s in sessions}) == len(sessions)
    assert all(s.join_url for s in sessions)

    # --- every meeting took place; duplicate sync messages; one host killed mid-run ----------------
    for session in sessions:
        leave = (session.start + timedelta(minutes=12)).isoformat()
        admin.post(
            f"{emu.admin_url}/meetings/attendance",
            json={
                "joinUrl": session.join_url,
                "start": session.start.isoformat(),
                "end": session.end.isoformat(),
                "records": [
                    {"upn": who, "intervals": [{"join": session.start.isoformat(), "leave": leave}]}
                    for who in (MAYA, RAVI)
                ],
            },
        ).raise_for_status()
    # Slow Graph down, so that a host is surely in the middle of a sync when it is killed.
    admin.post(f"{emu.admin_url}/faults", json={"latencyMs": 150}).raise_for_status()
    after = max(s.end for s in sessions) + timedelta(hours=1)
    messages = 9
    for _ in range(messages):
        work.send_message(json.dumps({"organizer": MAYA, "queued": after.isoformat()}).encode())

    env = host_env(
        emu,
        CONNECTION,
        store_url,
        MICROMENTOR_NOW=after.isoformat(),
        MICROMENTOR_QUEUE_VISIBILITY_SECONDS=str(VISIBILITY),
    )
    (tmp_path / "b").mkdir()
    with start_hosts(3, env, tmp_path / "b") as hosts:
        time.sleep(1.5)
        hosts[0].kill()
        assert _drained(work, 40), "sync messages left on the queue"
        logs = [h.log() for h in hosts]
    admin.delete(f"{emu.admin_url}/faults").raise_for_status()

    assert poison.get_queue_properties().approximate_message_count == 0
    done = sum(len(re.findall(r"queue sync-work \(attempt \d+\) ok", log)) for log in logs)
    assert done >= messages - 1  # the killed host's message is finished elsewhere (a retry, attempt 2+)
    assert any(re.search(r"queue sync-work \(attempt [2-9]\) ok", log) for log in logs[1:]), logs[1:]
    decided = sum(int(n) for log in logs for n in re.findall(r"decided=\{'completed': (\d+)\}", log))
    assert decided <= len(sessions)  # never counted twice (the killed host may die after a save, before its log)
    booked = {s.id for s in sessions}
    final = [s for s in store.list_sessions(mentor=MAYA) if s.id in booked]
    assert Counter(s.state for s in final) == {SessionState.COMPLETED: len(sessions)}
    checkpoint = store.read_checkpoint(f"delta:{MAYA}")
    assert checkpoint is not None and json.loads(checkpoint.value)["link"]
    assert datetime.fromisoformat(json.loads(checkpoint.value)["to"]) > after
    drop = getattr(store, "drop_tables", None)
    if drop is not None:
        drop()  # a long-lived Azurite keeps no tables of this run
