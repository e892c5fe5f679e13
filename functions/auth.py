"""Azure Functions glue: authenticate an `HttpRequest` with the process's `TokenValidator`; identity errors
are answered by `functions.http.respond` (401 / 403 / 502 / 503 with their `WWW-Authenticate` challenge).

A handler that needs a signed-in caller:

    @bp.route(route="things", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
    async def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        async def handle(caller: Caller) -> func.HttpResponse:
            ...
        return await respond_as_caller(req, handle)               # any signed-in user
        # or: await respond_as_caller(req, handle, role=ADMIN_ROLE)  # admins only
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Awaitable, Callable

import azure.functions as func

from functions.http import respond
from identity.caller import Caller, require_role
from identity.errors import IdentityUnavailable
from identity.validator import TokenValidator
from micromentor.bootstrap import Runtime, runtime
from micromentor.settings import Settings

__all__ = [
    "authenticate",
    "respond_as_caller",
    "validator_for",
    "validator_from_settings",
]

_validators: weakref.WeakKeyDictionary[Runtime, TokenValidator] = weakref.WeakKeyDictionary()
_validators_lock = threading.Lock()


def validator_from_settings(settings: Settings) -> TokenValidator:
    """The validator for this app: the tenant and authority of the app registration (the emulator's
    under `--tenant`), audience `MICROMENTOR_API_AUDIENCE` (v1 tokens) or the client id (v2 tokens)."""
    graph = settings.graph
    if graph is None:
        raise IdentityUnavailable(
            "bearer-token validation is not configured: set MICROMENTOR_TENANT_ID and MICROMENTOR_CLIENT_ID"
        )
    return TokenValidator(
        authority=graph.authority_url,
        audience=tuple(dict.fromkeys((settings.api_audience, graph.client_id))),
        tenant_id=graph.tenant_id,
        ca_bundle=graph.ca_bundle,
    )


def validator_for(rt: Runtime) -> TokenValidator:
    """One validator (and so one JWKS cache) per `Runtime`, built on first use."""
    with _validators_lock:
        validator = _validators.get(rt)
        if validator is None:
            validator = _validators[rt] = validator_from_settings(rt.settings)
        return validator


async def authenticate(req: func.HttpRequest, *, role: str | None = None, rt: Runtime | None = None) -> Caller:
    """The caller of `req` (its bearer token validated), holding `role` when one is asked for."""
    validator = validator_for(rt or runtime())
    caller = await validator.validate(req.headers.get("Authorization"))
    return require_role(caller, role) if role else caller


async def respond_as_caller(
    req: func.HttpRequest,
    handle: Callable[[Caller], Awaitable[func.HttpResponse]],
    *,
    role: str | None = None,
) -> func.HttpResponse:
    """`functions.http.respond` for a route that needs a signed-in caller: authenticates first (nothing
    of the request is read before that), then runs `handle(caller)`. Identity errors raised by the
    handler itself (say `Forbidden` for acting as someone else) are answered the same way."""

    async def call() -> func.HttpResponse:
        return await handle(await authenticate(req, role=role))

    return await respond(call)
