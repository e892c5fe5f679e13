"""One request per Idempotency-Key at a time: a retry waits for the first, or is told to come back."""

from __future__ import annotations

import asyncio
import json

import pytest

from core.errors import IdempotencyInProgress
from functions.http import respond
from services import idempotency
from services.idempotency import one_request_per_key


def test_a_retry_waits_for_the_first_request_then_runs() -> None:
    order: list[str] = []

    async def request(name: str, hold: float) -> None:
        async with one_request_per_key("k"):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def main() -> None:
        first = asyncio.create_task(request("first", 0.05))
        await asyncio.sleep(0)
        await request("retry", 0)
        await first

    asyncio.run(main())
    assert order == ["first in", "first out", "retry in", "retry out"]
    assert idempotency._turns == {}  # nothing kept once the requests are answered


def test_a_retry_that_waits_too_long_is_409_idempotency_in_progress_with_retry_after() -> None:
    async def main() -> tuple[int, dict[str, str], dict[str, str]]:
        async def hold() -> None:
            async with one_request_per_key("k"):
                await asyncio.sleep(0.2)

        first = asyncio.create_task(hold())
        await asyncio.sleep(0)

        async def retry() -> object:
            async with one_request_per_key("k", wait_seconds=0.01):
                raise AssertionError("must not run alongside the first request")

        answer = await respond(retry)  # type: ignore[arg-type]
        await first
        return answer.status_code, dict(answer.headers), json.loads(answer.get_body())["error"]

    status, headers, error = asyncio.run(main())
    assert status == 409 and int(headers["Retry-After"]) > 0
    assert error["code"] == "idempotency_in_progress" and error["field"] == "Idempotency-Key"
    assert idempotency._turns == {}


def test_other_keys_do_not_wait() -> None:
    async def main() -> None:
        async with one_request_per_key("a"), one_request_per_key("b", wait_seconds=0.01):
            pass
        with pytest.raises(IdempotencyInProgress):
            async with one_request_per_key("a"), one_request_per_key("a", wait_seconds=0.01):
                pass

    asyncio.run(main())
    assert idempotency._turns == {}
