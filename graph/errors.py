"""Errors the Graph adapter raises, already classified for the services above it."""

from __future__ import annotations

from core.errors import MicromentorError

__all__ = [
    "GraphAuthError",
    "GraphError",
    "GraphNotFound",
    "GraphRequestError",
    "GraphThrottled",
    "GraphUnavailable",
]


class GraphError(MicromentorError):
    """Any failure talking to Microsoft Graph; `status` and `code` are Graph's answer, when there was one."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(None, message)
        self.status = status
        self.code = code


class GraphNotFound(GraphError):
    """404: an unknown user, event or meeting."""


class GraphAuthError(GraphError):
    """401/403, or a token that could not be acquired."""


class GraphRequestError(GraphError):
    """Another 4xx: Graph rejected what we sent."""


class GraphUnavailable(GraphError):
    """429/503/504 or a broken connection that outlasted the retry budget.

    `retry_after` carries Graph's last Retry-After (seconds) so HTTP callers can pass it on.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class GraphThrottled(GraphUnavailable):
    """429 that outlasted the retry budget: Graph throttles this app or mailbox (HTTP 429 to our callers)."""
