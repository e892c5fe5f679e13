"""Errors the core raises; adapters map them to HTTP status codes and CLI exit codes."""

from __future__ import annotations

__all__ = [
    "Conflict",
    "IdempotencyInProgress",
    "InputError",
    "Misconfigured",
    "NotFound",
    "PolicyViolation",
    "Unprocessable",
]


class InputError(ValueError):
    """Malformed or invalid input; `field` names the offending field (HTTP 400, CLI exit 2)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Unprocessable(InputError):
    """Well-formed input whose values cannot work together, e.g. overlapping office hours (HTTP 422,
    CLI exit 2); `field` names the offending field."""


class NotFound(LookupError):
    """An unknown mentor, mentee or session (HTTP 404, CLI exit 2)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(RuntimeError):
    """The slot was just taken or an idempotency key was reused with another body (HTTP 409).

    `code` is the error code clients see; `retry_after` (seconds), when set, tells them to come back."""

    code = "conflict"
    retry_after: int | None = None

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class IdempotencyInProgress(Conflict):
    """Another request with the same Idempotency-Key and body is still being booked: retry, it is not
    a taken slot (HTTP 409 with Retry-After)."""

    code = "idempotency_in_progress"

    def __init__(self, message: str, retry_after: int = 2) -> None:
        super().__init__("Idempotency-Key", message)
        self.retry_after = retry_after


class PolicyViolation(RuntimeError):
    """A valid request that the focus-time policy forbids; `rule` names the policy field (HTTP 422)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message


class Misconfigured(RuntimeError):
    """The app's own settings are wrong (`setting` names it): nothing a caller can fix, so HTTP answers
    503 without the details, which go to the log; the CLI says which setting (exit 2)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.message = message
