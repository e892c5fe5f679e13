"""Azure Functions glue: authenticate an `HttpRequest` with the runtime's `TokenValidator`
(micromentor.bootstrap owns it); identity errors are answered by `functions.http.respond` (401 / 403 /
502 / 503 with their `WWW-Authenticate` challenge).

A handler that needs a signed-in caller:

    @bp.route(route="things", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
    async def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        async def handle(caller: Caller) -> func.HttpResponse:
            ...
        return await respond_as_caller(req, handle)               # any signed-in user
        # or: await respond_as_caller(req, handle, role=ADMIN_ROLE)  # admins only
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import azure.functions as func

from functions.http import respond
from identity.caller import Caller, require_role
from micromentor.bootstrap import Runtime, runtime

__all__ = ["authenticate", "respond_as_caller"]


async def authenticate(req: func.HttpRequest, *, role: str | None = None, rt: Runtime | None = None) -> Caller:
    """The caller of `req` (its bearer token validated by the runtime's validator), holding `role` when
    one is asked for."""
    validator = (rt or runtime()).validator
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
