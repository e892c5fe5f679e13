"""Queues for the local host's queue bindings: in-process by default, Azure Storage queues (Azurite
locally) when a connection string is configured. Both keep Azure's rules: a message is retried until
its dequeue count reaches `MAX_DEQUEUE_COUNT`, then moved to `<queue>-poison` and kept there."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import BinaryBase64DecodePolicy, BinaryBase64EncodePolicy, QueueClient

__all__ = ["MAX_DEQUEUE_COUNT", "AzureQueues", "InProcessQueues", "Queues", "Received"]

MAX_DEQUEUE_COUNT = 5  # host.json extensions.queues.maxDequeueCount
# How long a received message stays hidden: if its host dies, the message comes back after this (a
# host's crash is not an error the runtime sees). `MICROMENTOR_QUEUE_VISIBILITY_SECONDS` shortens it
# for the multi-host tests, which kill a host and wait for its messages.
VISIBILITY_SECONDS = 30  # host.json extensions.queues.visibilityTimeout


@dataclass(frozen=True, slots=True)
class Received:
    id: str
    body: bytes
    dequeue_count: int
    receipt: Any = None


class Queues(Protocol):
    async def put(self, name: str, body: bytes) -> None: ...

    async def receive(self, name: str, wait: float) -> Received | None: ...

    async def complete(self, name: str, message: Received) -> None: ...

    async def retry(self, name: str, message: Received) -> None: ...

    async def poison(self, name: str, message: Received) -> None: ...

    async def poisoned(self, name: str) -> list[bytes]: ...


@dataclass
class InProcessQueues:
    pending: dict[str, asyncio.Queue[tuple[str, bytes, int]]] = field(default_factory=dict)
    dead: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))

    def _queue(self, name: str) -> asyncio.Queue[tuple[str, bytes, int]]:
        return self.pending.setdefault(name, asyncio.Queue())

    async def put(self, name: str, body: bytes) -> None:
        self._queue(name).put_nowait((uuid.uuid4().hex, body, 0))

    async def receive(self, name: str, wait: float) -> Received | None:
        try:
            message_id, body, count = await asyncio.wait_for(self._queue(name).get(), wait)
        except TimeoutError:
            return None
        return Received(message_id, body, count + 1)

    async def complete(self, name: str, message: Received) -> None:
        return None

    async def retry(self, name: str, message: Received) -> None:
        self._queue(name).put_nowait((message.id, message.body, message.dequeue_count))

    async def poison(self, name: str, message: Received) -> None:
        self.dead[f"{name}-poison"].append(message.body)

    async def poisoned(self, name: str) -> list[bytes]:
        return list(self.dead.get(f"{name}-poison", []))


class AzureQueues:
    """Azure Storage queues, base64 messages as the Functions host reads and writes them."""

    def __init__(self, connection_string: str, *, visibility_seconds: int | None = None) -> None:
        self._connection = connection_string
        env = os.environ.get("MICROMENTOR_QUEUE_VISIBILITY_SECONDS", "")
        self.visibility_seconds = visibility_seconds or (
            int(env) if env.isdigit() and int(env) > 0 else VISIBILITY_SECONDS
        )
        self._clients: dict[str, QueueClient] = {}

    def _client(self, name: str) -> QueueClient:
        if name not in self._clients:
            client = QueueClient.from_connection_string(
                self._connection,
                name,
                message_encode_policy=BinaryBase64EncodePolicy(),
                message_decode_policy=BinaryBase64DecodePolicy(),
            )
            with contextlib.suppress(ResourceExistsError):
                client.create_queue()
            self._clients[name] = client
        return self._clients[name]

    async def put(self, name: str, body: bytes) -> None:
        await asyncio.to_thread(self._client(name).send_message, body)

    async def receive(self, name: str, wait: float) -> Received | None:
        message = await asyncio.to_thread(
            self._client(name).receive_message, visibility_timeout=self.visibility_seconds
        )
        if message is None:
            await asyncio.sleep(wait)
            return None
        return Received(message.id, bytes(message.content), int(message.dequeue_count or 1), message)

    async def complete(self, name: str, message: Received) -> None:
        await asyncio.to_thread(self._client(name).delete_message, message.receipt)

    async def retry(self, name: str, message: Received) -> None:
        # Visible again at once; Azure counts the next receive as the next dequeue.
        await asyncio.to_thread(self._client(name).update_message, message.receipt, visibility_timeout=0)

    async def poison(self, name: str, message: Received) -> None:
        await asyncio.to_thread(self._client(f"{name}-poison").send_message, message.body)
        await self.complete(name, message)

    async def poisoned(self, name: str) -> list[bytes]:
        peeked = await asyncio.to_thread(self._client(f"{name}-poison").peek_messages, max_messages=32)
        return [bytes(m.content) for m in peeked]

    def close(self) -> None:
        """Close the queue clients opened so far (their HTTP sessions); the runtime calls it on exit."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
