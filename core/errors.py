"""Every error micromentor raises on purpose, under one root.

    MicromentorError                    field, message; retry_after; details()
    ├── InputError(field, message)      malformed or invalid input                        400  exit 2
    │   ├── Unprocessable               well-formed values that cannot work together      422  exit 2
    │   └── services.links.LinkError    a booking link that cannot be used
    │       ├── LinkInvalid             malformed, signed with another secret, or changed
    │       └── LinkExpired             genuine, but past its expiry
    ├── NotFound(field, message)        an unknown mentor, mentee or session              404  exit 2
    │   └── store.base.SessionNotFound  no stored session with that id
    ├── Conflict(field, message)        the slot was just taken; a key reused             409  exit 1
    │   ├── IdempotencyInProgress       the same key and body are still being booked      409 + Retry-After
    │   └── services.booking.SlotTaken  the slot is taken (`alternatives` in the body)
    ├── PolicyViolation(rule, message)  a well-formed request the policy forbids          422  exit 1
    │   └── services.requests.NoSessionBooked   no mentor of a request could be booked
    ├── Misconfigured(setting, message) the app's own settings are wrong                  503  exit 2
    │   └── services.requests.CatalogueError    the mentor catalogue file is unusable
    ├── identity.errors.IdentityError   a caller's identity (401 / 403 / 502 / 503)
    │   ├── Unauthorized  ├── Forbidden  ├── IdentityUnavailable  └── identity.obo.OnBehalfOfError
    └── graph.errors.GraphError         Microsoft Graph refused or failed                 502  exit 1
        ├── GraphNotFound (404)  ├── GraphAuthError  ├── GraphRequestError
        └── GraphUnavailable (503 + Retry-After)  └── GraphThrottled (429 + Retry-After)

The statuses, error codes and CLI exit codes are not written on the classes: one table at the boundary,
`micromentor.answers.ERROR_ANSWERS`, maps each type (walked along the MRO, like httpx's `HTTPCORE_EXC_MAP`),
and a test holds every subclass of `MicromentorError` to a mapped status that is not 500. The core
raises only the five generic kinds; the subclasses live with the layer that raises them. This module
imports nothing of the project: it is the one module of `core` that `policies` may import (the import
contracts in pyproject.toml hold both).

Every error has `field` (the request field, policy field or setting at fault, or None) and `message`
(what is wrong, in words a caller can act on); `str(error)` is `"field: message"`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "IdempotencyInProgress",
    "InputError",
    "MicromentorError",
    "Misconfigured",
    "NotFound",
    "OutOfRange",
    "PolicyViolation",
    "Unprocessable",
]


class MicromentorError(Exception):
    """The root: `field` names what is at fault (None: nothing in particular), `message` says what.

    `retry_after` (seconds), when set, tells callers when to come back; `details()` adds JSON-ready
    keys to an HTTP error body beside `error`."""

    retry_after: float | None = None

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message

    def details(self) -> dict[str, Any]:
        return {}


class InputError(MicromentorError, ValueError):
    """Malformed or invalid input; `field` names the offending field."""

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)


class OutOfRange(InputError):
    """A readable value the operation cannot use (a report period longer than allowed, an unknown zone or
    quarter): HTTP 422 `out_of_range` naming the field, CLI exit 2."""


class Unprocessable(InputError):
    """Well-formed input whose values cannot work together, e.g. overlapping office hours."""


class NotFound(MicromentorError, LookupError):
    """An unknown mentor, mentee or session."""

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)


class Conflict(MicromentorError):
    """The slot was just taken, or an idempotency key was reused with another body."""

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)


class IdempotencyInProgress(Conflict):
    """Another request with the same Idempotency-Key and body is still being booked: retry, it is not
    a taken slot."""

    def __init__(self, message: str, retry_after: int = 2) -> None:
        super().__init__("Idempotency-Key", message)
        self.retry_after = retry_after


class PolicyViolation(MicromentorError):
    """A well-formed request that the focus-time policy forbids; `rule` (= `field`) names the policy field."""

    field: str

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)

    @property
    def rule(self) -> str:
        return self.field


class Misconfigured(MicromentorError):
    """The app's own settings are wrong (`setting` = `field` names it): nothing a caller can fix, so HTTP
    answers without the details, which go to the log; the CLI says which setting."""

    field: str

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(setting, message)

    @property
    def setting(self) -> str:
        return self.field
