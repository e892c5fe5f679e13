"""Sync throughput across hosts: ended sessions decided per second by 1 and by 3 `micromentor serve`
processes sharing Azurite (Table Storage store, the `sync-work` queue) and one emulator with 100 ms
latency on every Graph request. One queue message per organizer, as `plan_sync` queues them.

    source .ci/azurite.sh && .venv/bin/python bench/sync_hosts.py          # 300 sessions, 1 and 3 hosts
    .venv/bin/python bench/sync_hosts.py 600                               # another size

Host start-up is not timed: the clock runs from the first message sent to the queue being empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import BinaryBase64EncodePolicy, QueueClient

from bench.sync import LATENCY_MS, NOW, Admin, prepare, seed
from core.model import SessionState
from emulator import start_emulator
from micromentor.cluster import host_env, start_hosts
from services.sync import find_sync_work
from store import open_store

QUEUE = "sync-work"


def _queue(connection: str) -> QueueClient:
    client = QueueClient.from_connection_string(connection, QUEUE, message_encode_policy=BinaryBase64EncodePolicy())
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    client.clear_messages()
    return client


def one_round(hosts: int, count: int, connection: str, work_dir: Path) -> dict[str, Any]:
    seed_file = work_dir / f"seed-{hosts}.json"
    seed_file.write_text(json.dumps(seed()), encoding="utf-8")
    emulator = start_emulator(str(seed_file))
    store_url = f"tables:{connection}TablePrefix=b{uuid.uuid4().hex[:10]};"
    store = open_store(store_url)
    try:
        asyncio.run(prepare(count, emulator, store, ids_known=False))
        organizers = find_sync_work(store)
        admin = Admin(emulator)
        asyncio.run(admin.post("/faults", {"latencyMs": LATENCY_MS}))
        queue = _queue(connection)
        env = host_env(emulator, connection, store_url, MICROMENTOR_NOW=NOW.isoformat())
        logs = work_dir / f"hosts-{hosts}"
        logs.mkdir()
        with start_hosts(hosts, env, logs):
            started = time.perf_counter()
            for organizer in organizers:
                queue.send_message(json.dumps({"organizer": organizer, "queued": NOW.isoformat()}).encode())
            while queue.get_queue_properties().approximate_message_count:
                time.sleep(0.1)
            wall = time.perf_counter() - started
        decided = sum(1 for s in store.list_sessions() if s.state != SessionState.SCHEDULED)
        return {"hosts": hosts, "sessions": count, "organizers": len(organizers), "decided": decided, "wall": wall}
    finally:
        drop = getattr(store, "drop_tables", None)
        if drop is not None:
            drop()
        emulator.stop()


def main() -> None:
    connection = os.environ.get("AZURE_STORAGE_CONNECTION_STRING", "")
    if "QueueEndpoint=" not in connection:
        sys.exit("needs Azurite: source .ci/azurite.sh first")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for hosts in (1, 3):
            rows.append(one_round(hosts, count, connection, Path(tmp)))
    print(f"Sync across hosts, {LATENCY_MS} ms Graph latency, Table Storage on Azurite\n")
    print("| hosts | sessions | organizers | decided | wall s | sessions/s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        rate = r["decided"] / r["wall"]
        print(f"| {r['hosts']} | {r['sessions']} | {r['organizers']} | {r['decided']} | {r['wall']:.1f} | {rate:.1f} |")


if __name__ == "__main__":
    main()
