"""The one table from error types to what callers see: HTTP status and error code, and the CLI's exit code.

`answer_for` walks the error's MRO and takes the first type listed, as httpx's `HTTPCORE_EXC_MAP` does, so a
subclass raised deep in a service (say `store.base.SessionNotFound`) answers as its nearest listed
ancestor (`NotFound`: 404) unless it is listed itself. `tests/functions/test_error_table.py` imports every
package and holds each subclass of `MicromentorError` to a mapped status that is not 500.

It sits beside the composition root, below both entry points: `functions.http.respond` answers HTTP by
it and `micromentor.cli` takes its exit codes from it (free of `azure.functions`, so the CLI does not
load the Functions worker to read it).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import (
    Conflict,
    IdempotencyInProgress,
    InputError,
    MicromentorError,
    Misconfigured,
    NotFound,
    OutOfRange,
    PolicyViolation,
    Unprocessable,
)
from graph.errors import GraphAuthError, GraphError, GraphNotFound, GraphThrottled, GraphUnavailable
from identity.errors import Forbidden, IdentityError, IdentityUnavailable, Unauthorized

__all__ = ["ERROR_ANSWERS", "ErrorAnswer", "answer_for"]


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    status: int  # HTTP status
    code: str  # `error.code` of the body
    exit_code: int  # CLI: 2 = fix the input or the settings and run again; 1 = refused, or failed further on
    retry_after: int | None = None  # Retry-After (seconds) when the error carries none of its own
    public: bool = True  # False: the message and field go to the log only (they describe our settings)


ERROR_ANSWERS: dict[type[MicromentorError], ErrorAnswer] = {
    InputError: ErrorAnswer(400, "invalid_field", 2),
    OutOfRange: ErrorAnswer(422, "out_of_range", 2),  # readable, but not a value the operation can use
    Unprocessable: ErrorAnswer(422, "unprocessable", 2),  # e.g. overlapping office hours (issue 16)
    NotFound: ErrorAnswer(404, "not_found", 2),
    Conflict: ErrorAnswer(409, "conflict", 1),
    IdempotencyInProgress: ErrorAnswer(409, "idempotency_in_progress", 1),
    PolicyViolation: ErrorAnswer(422, "policy_violation", 1),
    Misconfigured: ErrorAnswer(503, "misconfigured", 2, retry_after=300, public=False),
    Unauthorized: ErrorAnswer(401, "unauthorized", 2),
    Forbidden: ErrorAnswer(403, "forbidden", 2),
    IdentityUnavailable: ErrorAnswer(503, "identity_unavailable", 1, retry_after=30),
    IdentityError: ErrorAnswer(502, "identity_error", 1),  # identity.obo.OnBehalfOfError: the IdP refused
    GraphNotFound: ErrorAnswer(404, "not_found", 2),
    GraphThrottled: ErrorAnswer(429, "graph_unavailable", 1, retry_after=30),
    GraphUnavailable: ErrorAnswer(503, "graph_unavailable", 1, retry_after=30),
    GraphAuthError: ErrorAnswer(502, "graph_auth", 1),
    GraphError: ErrorAnswer(502, "graph_error", 1),
}


def answer_for(error: MicromentorError) -> ErrorAnswer | None:
    """The answer for `error`: its own type's, else its nearest listed ancestor's (None: none listed)."""
    for kind in type(error).__mro__:
        answer = ERROR_ANSWERS.get(kind)
        if answer is not None:
            return answer
    return None
