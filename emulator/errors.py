"""Graph's error shape: `{"error": {"code", "message", "innerError": {...}}}`, raised as `GraphError`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["GraphError", "bad_request", "directory_not_found", "error_body", "invalid_user", "item_not_found"]


class GraphError(Exception):
    """Stops a handler with a Graph error response."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_body(code: str, message: str, request_id: str, client_request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


def bad_request(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def item_not_found() -> GraphError:
    # Exchange's wording for a missing mailbox item, as Graph relays it.
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def invalid_user(who: str) -> GraphError:
    # Mailbox routes (calendar, events, mailboxSettings) for an address with no mailbox.
    return GraphError(404, "ErrorInvalidUser", f"The requested user '{who}' is invalid.")


def directory_not_found(who: str) -> GraphError:
    # Directory routes (/users/{id}) for an unknown object.
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{who}' does not exist or one of its queried reference-property objects are not present.",
    )
