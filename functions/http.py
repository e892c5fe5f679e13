"""What every HTTP function shares: JSON in, JSON out, and one mapping from errors to statuses."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions as func

from core.errors import Conflict, InputError, NotFound, PolicyViolation
from graph.errors import GraphAuthError, GraphError, GraphNotFound, GraphUnavailable

__all__ = ["MAX_BODY_BYTES", "error_body", "json_body", "json_response", "respond"]

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        mimetype="application/json",
        headers=headers,
    )


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def json_body(req: func.HttpRequest) -> dict[str, Any]:
    raw = req.get_body() or b""
    if len(raw) > MAX_BODY_BYTES:
        raise InputError("body", f"larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError("body", f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError("body", "expected a JSON object")
    return data


def _map_error(exc: Exception) -> func.HttpResponse:
    if isinstance(exc, InputError):
        return json_response(error_body("invalid_field", exc.message, exc.field), 400)
    if isinstance(exc, NotFound):
        return json_response(error_body("not_found", exc.message, exc.field), 404)
    if isinstance(exc, Conflict):
        body = error_body("conflict", exc.message, exc.field)
        alternatives = getattr(exc, "alternatives", None)
        if alternatives is not None:
            body["alternatives"] = alternatives
        return json_response(body, 409)
    if isinstance(exc, PolicyViolation):
        return json_response(error_body("policy_violation", exc.message, exc.rule), 422)
    if isinstance(exc, GraphNotFound):
        return json_response(error_body("not_found", str(exc)), 404)
    if isinstance(exc, GraphUnavailable):
        status = 429 if exc.status == 429 else 503
        after = str(math.ceil(exc.retry_after)) if exc.retry_after is not None else "30"
        return json_response(error_body("graph_unavailable", str(exc)), status, {"Retry-After": after})
    if isinstance(exc, GraphAuthError):
        return json_response(error_body("graph_auth", str(exc)), 502)
    if isinstance(exc, GraphError):
        return json_response(error_body("graph_error", str(exc)), 502)
    raise exc


async def respond(call: Callable[[], Awaitable[func.HttpResponse]]) -> func.HttpResponse:
    """Run a handler body and turn the errors we know into JSON answers; the rest is a 500."""
    try:
        return await call()
    except (InputError, NotFound, Conflict, PolicyViolation, GraphError) as exc:
        return _map_error(exc)
    except Exception:
        log.exception("unhandled error")
        return json_response(error_body("internal", "internal error; see the function logs"), 500)
