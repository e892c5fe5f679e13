"""Identity errors: each one knows the `WWW-Authenticate` challenge to send (RFC 6750); their HTTP statuses
are in `micromentor.answers.ERROR_ANSWERS` with every other error's."""

from __future__ import annotations

from core.errors import MicromentorError

__all__ = ["Forbidden", "IdentityError", "IdentityUnavailable", "Unauthorized"]


def _quoted(text: str) -> str:
    # RFC 6750 attribute values are quoted-strings restricted to printable ASCII without `"` and `\`.
    clean = "".join(ch for ch in text if 0x20 <= ord(ch) < 0x7F and ch not in '"\\')
    return f'"{clean}"'


class IdentityError(MicromentorError):
    """Base of the errors that `identity` raises. `field` is the bearer token's header unless a subclass
    names a field of the request."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(field or "Authorization", message)

    @property
    def www_authenticate(self) -> str | None:
        return None


class Unauthorized(IdentityError):
    """No usable bearer token (HTTP 401).

    `error` is RFC 6750's code: None when the request carried no bearer token at all (the challenge then
    names no error, as the RFC asks), `invalid_token` for a bad token, `invalid_request` for a malformed
    Authorization header."""

    def __init__(self, message: str, *, error: str | None = "invalid_token") -> None:
        super().__init__(message)
        self.error = error

    @property
    def www_authenticate(self) -> str:
        if self.error is None:
            return "Bearer"
        return f"Bearer error={_quoted(self.error)}, error_description={_quoted(self.message)}"


class Forbidden(IdentityError):
    """A valid token without the right (HTTP 403): a missing app role, or acting for someone else.

    `field` names the request field the caller has no right to (None: the token itself)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)

    @property
    def www_authenticate(self) -> str:
        return f"Bearer error={_quoted('insufficient_scope')}, error_description={_quoted(self.message)}"


class IdentityUnavailable(IdentityError):
    """The signing keys cannot be fetched and none are cached, or validation is not configured (HTTP 503).

    Not a 401: the caller's token may be fine, and a 401 would send clients into a sign-in loop."""
