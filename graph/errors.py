"""Errors the Graph adapter raises, already classified for the services above it."""

from __future__ import annotations

__all__ = [
    "GraphAuthError",
    "GraphError",
    "GraphNotFound",
    "GraphRequestError",
    "GraphUnavailable",
]


class GraphError(RuntimeError):
    """Any failure talking to Microsoft Graph."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
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
