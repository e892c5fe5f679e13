"""The one retry layer for Graph calls: 429/503/504 and dropped connections, honouring Retry-After.

Every Graph write micromentor makes is safe to resend: creates carry a `transactionId`, cancels and
PATCHes are idempotent. A refused token (401) is refreshed once and the call tried again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from kiota_abstractions.api_error import APIError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from graph.errors import (
    GraphAuthError,
    GraphError,
    GraphNotFound,
    GraphRequestError,
    GraphThrottled,
    GraphUnavailable,
)

__all__ = ["TRANSIENT_STATUSES", "answered", "batch_item_wait", "call_graph", "classify", "retry_after_seconds"]

T = TypeVar("T")
TRANSIENT_STATUSES = frozenset({429, 503, 504})
log = logging.getLogger(__name__)


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    try:
        value = headers.get(name) or headers.get(name.lower())
    except AttributeError:
        return None
    if isinstance(value, list | tuple | set):
        value = next(iter(value), None)
    return None if value is None else str(value)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (Graph sends integers; '2.128' and HTTP dates also occur)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def batch_item_wait(answer: dict[str, Any], throttled: int, longest: float) -> float:
    """Seconds before a throttled `$batch` item (its `throttled`-th time) may go again: its own
    Retry-After when Graph sent one (items are throttled one by one, concepts/json-batching.md), else
    0.5, 1, 2… seconds; never more than `longest`."""
    headers = {str(k).lower(): v for k, v in (answer.get("headers") or {}).items()}
    after = retry_after_seconds(headers.get("retry-after"))
    return min(after if after is not None else 0.5 * 2 ** (throttled - 1), longest)


def _status(exc: BaseException) -> int | None:
    if isinstance(exc, APIError):
        return exc.response_status_code
    return None


def _is_transient(exc: BaseException) -> bool:
    return _status(exc) in TRANSIENT_STATUSES or isinstance(exc, httpx.TransportError)


def _odata_code(exc: APIError) -> tuple[str | None, str]:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or exc.message or type(exc).__name__
    return code, str(message)


def answered(what: str, status: int | None, code: str | None, message: str) -> str:
    """How an error names Graph's answer: `<call>: Graph answered <status> <code>: <message>`."""
    return f"{what}: Graph answered {status} {code or ''}: {message}".replace("  ", " ")


def classify(exc: BaseException, what: str) -> GraphError:
    """Turn an SDK or transport exception into one of ours, naming the call."""
    if isinstance(exc, GraphError):
        return exc
    if isinstance(exc, httpx.TransportError):
        return GraphUnavailable(f"{what}: Graph did not answer ({type(exc).__name__}: {exc})")
    if isinstance(exc, APIError):
        status = exc.response_status_code
        code, message = _odata_code(exc)
        text = answered(what, status, code, message)
        if status in TRANSIENT_STATUSES:
            after = retry_after_seconds(_header(exc.response_headers, "Retry-After"))
            throttled = GraphThrottled if status == 429 else GraphUnavailable
            return throttled(text, status=status, code=code, retry_after=after)
        if status == 404:
            return GraphNotFound(text, status=status, code=code)
        if status in (401, 403):
            return GraphAuthError(text, status=status, code=code)
        return GraphRequestError(text, status=status, code=code)
    return GraphError(f"{what}: {exc}")


class _Wait:
    """Retry-After when Graph gives one, else exponential backoff with jitter."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, cap

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, APIError):
            after = retry_after_seconds(_header(exc.response_headers, "Retry-After"))
            if after is not None:
                return after
        backoff = self.base * (2 ** (state.attempt_number - 1))
        return float(min(self.cap, backoff * (0.5 + random.random() / 2)))


def _too_long_to_wait(cap: float) -> Callable[[BaseException], bool]:
    def transient_and_short(exc: BaseException) -> bool:
        if not _is_transient(exc):
            return False
        if isinstance(exc, APIError):
            after = retry_after_seconds(_header(exc.response_headers, "Retry-After"))
            if after is not None and after > cap:
                return False  # Graph asks for longer than we may wait: give up now, pass it on
        return True

    return transient_and_short


async def call_graph(
    what: str,
    send: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    max_wait: float = 30.0,
    backoff_base: float = 0.5,
    on_unauthorized: Callable[[], Awaitable[None]] | None = None,
) -> T:
    """Run `send` under the retry policy; raise a classified `GraphError` when it gives up."""
    refreshed = False
    while True:
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_too_long_to_wait(max_wait)),
                wait=_Wait(backoff_base, max_wait),
                stop=stop_after_attempt(attempts),
                reraise=True,
                before_sleep=lambda s: log.info(
                    "graph %s: retry %d after %s", what, s.attempt_number, s.outcome and s.outcome.exception()
                ),
            ):
                with attempt:
                    return await send()
        except BaseException as exc:
            if _status(exc) == 401 and on_unauthorized is not None and not refreshed:
                refreshed = True
                await on_unauthorized()
                continue
            if isinstance(exc, APIError | httpx.TransportError):
                error = classify(exc, what)
                if isinstance(error, GraphUnavailable):
                    error.args = (f"{error.args[0]} (gave up after {attempts} attempts)",)
                raise error from exc
            raise
        raise AssertionError("unreachable")  # pragma: no cover
