"""Identity: Entra ID bearer tokens in (validated against the tenant's keys), a `Caller` out; app roles;
on-behalf-of tokens for calls made as the signed-in user. The Azure Functions glue is `functions.auth`."""

from identity.caller import ADMIN_ROLE, Caller, caller_from_claims, require_participant, require_role
from identity.errors import Forbidden, IdentityError, IdentityUnavailable, Unauthorized
from identity.obo import OnBehalfOf, OnBehalfOfError
from identity.validator import TokenValidator, bearer_token

__all__ = [
    "ADMIN_ROLE",
    "Caller",
    "Forbidden",
    "IdentityError",
    "IdentityUnavailable",
    "OnBehalfOf",
    "OnBehalfOfError",
    "TokenValidator",
    "Unauthorized",
    "bearer_token",
    "caller_from_claims",
    "require_participant",
    "require_role",
]
