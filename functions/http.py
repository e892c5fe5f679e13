"""What every HTTP function shares: JSON in, JSON out, and one mapping from errors to statuses."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions as func

from core.errors import Conflict, InputError, Misconfigured, NotFound, PolicyViolation, Unprocessable
from core.jsontext import loads_limited, nesting_depth
from core.text import check_text
from graph.errors import GraphAuthError, GraphError, GraphNotFound, GraphUnavailable

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "check_strings",
    "error_body",
    "json_body",
    "json_response",
    "nesting_depth",
    "respond",
]

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # the deepest body any route takes is a policy: 3 levels


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    # backslashreplace: a lone surrogate that reaches an answer (an error message quoting the input)
    # is written as its JSON escape instead of failing to encode.
    return func.HttpResponse(
        json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace"),
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
    """The one JSON body parser of every route: size, nesting depth and text checked before any handler
    sees the body, so each of these is a 400 naming the field, never a 500 further in."""
    raw = req.get_body() or b""
    if len(raw) > MAX_BODY_BYTES:
        raise InputError("body", f"larger than {MAX_BODY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("body", f"not UTF-8: {exc}") from exc
    data = loads_limited(text, "body", MAX_JSON_DEPTH)
    if not isinstance(data, dict):
        raise InputError("body", "expected a JSON object")
    check_strings(data, "")
    return data


def check_strings(value: Any, path: str) -> None:
    """Every key and string in a parsed body: no lone surrogates (JSON's `\\ud800` escapes make them) and
    no control characters but line breaks and tabs; `InputError` names the path, e.g. `value[0].clientState`."""
    if isinstance(value, str):
        check_text(path or "body", value, allow_line_breaks=True)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            check_text(path or "body", key, allow_line_breaks=False)  # the key itself, named by its parent
            check_strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_strings(item, f"{path}[{index}]")


def _map_error(exc: Exception) -> func.HttpResponse:
    if isinstance(exc, Unprocessable):
        return json_response(error_body("unprocessable", exc.message, exc.field), 422)
    if isinstance(exc, InputError):
        return json_response(error_body("invalid_field", exc.message, exc.field), 400)
    if isinstance(exc, NotFound):
        return json_response(error_body("not_found", exc.message, exc.field), 404)
    if isinstance(exc, Conflict):
        body = error_body(exc.code, exc.message, exc.field)
        alternatives = getattr(exc, "alternatives", None)
        if alternatives is not None:
            body["alternatives"] = alternatives
        retry = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
        return json_response(body, 409, retry)
    if isinstance(exc, PolicyViolation):
        return json_response(error_body("policy_violation", exc.message, exc.rule), 422)
    if isinstance(exc, Misconfigured):
        log.error("the app is misconfigured: %s", exc)
        body = error_body("misconfigured", "the service is not configured correctly; its administrators are told")
        return json_response(body, 503, {"Retry-After": "300"})
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
    except (InputError, NotFound, Conflict, PolicyViolation, GraphError, Misconfigured) as exc:
        return _map_error(exc)
    except Exception:
        log.exception("unhandled error")
        return json_response(error_body("internal", "internal error; see the function logs"), 500)
