"""Who is calling: the claims of a validated Entra ID access token, as plain values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from identity.errors import Forbidden, Unauthorized

__all__ = ["ADMIN_ROLE", "Caller", "caller_from_claims", "require_participant", "require_role"]

ADMIN_ROLE = "Mentoring.Admin"
# For display, defaults and audit lines only: who the caller *is* is (`tid`, `oid`). A name claim is never
# identity: `email` in particular is not verified for every account ("nOAuth": a token carrying someone
# else's e-mail). v2 user tokens carry `preferred_username`; v1 `upn`/`unique_name`; guests maybe `email`.
_NAME_CLAIMS = ("upn", "preferred_username", "unique_name", "email")


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in user (or app, for an app-only token) behind one request.

    Identity is the pair (`tenant_id`, `oid`): decisions compare `oid` with directory object ids.
    `upn` is lower-cased, empty for an app-only token, and for display only (defaults, audit lines).
    `token` is the raw bearer token, kept for on-behalf-of calls; it never appears in `repr`."""

    oid: str
    upn: str
    name: str
    tenant_id: str
    roles: frozenset[str]
    scopes: frozenset[str]
    token: str = field(repr=False)

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    @property
    def is_app(self) -> bool:
        return not self.upn

    @property
    def principal(self) -> str:
        """A name for audit trails: the UPN as the token shows it, with the object id that proves who it
        was (name claims alone could be anyone's); `app:<object id>` for an app."""
        return f"{self.upn} (oid {self.oid})" if self.upn else f"app:{self.oid}"


def _strings(value: Any) -> frozenset[str]:
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str) and v)
    return frozenset()


def caller_from_claims(claims: Mapping[str, Any], token: str) -> Caller:
    # No fallback to `sub`: it is pairwise per app, not the directory object id the sessions store.
    oid = claims.get("oid")
    if not isinstance(oid, str) or not oid.strip():
        raise Unauthorized("the bearer token names no object id (oid): it identifies nobody in the directory")
    tid = claims.get("tid")
    if not isinstance(tid, str) or not tid.strip():
        raise Unauthorized("the bearer token names no tenant (tid)")
    upn = next((v for k in _NAME_CLAIMS if isinstance(v := claims.get(k), str) and v.strip()), "")
    name = claims.get("name")
    scp = claims.get("scp")
    return Caller(
        oid=oid,
        upn=upn.strip().lower(),
        name=name if isinstance(name, str) and name else upn or oid,
        tenant_id=tid,
        roles=_strings(claims.get("roles")),
        scopes=frozenset(scp.split()) if isinstance(scp, str) else frozenset(),
        token=token,
    )


def require_role(caller: Caller, role: str) -> Caller:
    """The caller, if their token carries the app role `role`; else `Forbidden`."""
    if role not in caller.roles:
        raise Forbidden(f"this needs the app role {role}")
    return caller


def require_participant(caller: Caller, object_ids: Iterable[str | None]) -> Caller:
    """The caller, if their `oid` is one of `object_ids` (the mentor's and mentees' directory object ids)
    or they are an admin; else `Forbidden`. Names are never compared: a token may carry anyone's e-mail."""
    if caller.is_admin or caller.oid.lower() in {i.lower() for i in object_ids if i}:
        return caller
    raise Forbidden("only the mentor, a mentee or an admin may do this")
