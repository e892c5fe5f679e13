"""Errors the core raises; adapters map them to HTTP status codes and CLI exit codes."""

from __future__ import annotations

__all__ = ["Conflict", "InputError", "NotFound", "PolicyViolation"]


class InputError(ValueError):
    """Malformed or invalid input; `field` names the offending field (HTTP 400, CLI exit 2)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    """An unknown mentor, mentee or session (HTTP 404, CLI exit 2)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(RuntimeError):
    """The slot was just taken or an idempotency key was reused with another body (HTTP 409)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PolicyViolation(RuntimeError):
    """A valid request that the focus-time policy forbids; `rule` names the policy field (HTTP 422)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message
