"""What every HTTP function shares: JSON in, JSON out, and errors answered by the one table of `micromentor.answers`."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions as func

from core.errors import InputError, MicromentorError
from core.jsontext import loads_limited, nesting_depth
from core.text import check_text
from identity.errors import IdentityError
from micromentor.answers import answer_for

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "check_strings",
    "error_body",
    "error_response",
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


def error_response(exc: MicromentorError) -> func.HttpResponse:
    """The JSON answer for a raised error, by the one table (`micromentor.answers.ERROR_ANSWERS`)."""
    answer = answer_for(exc)
    if answer is None:  # a new error type nobody listed; tests/functions/test_error_table.py stops this
        log.error("unmapped error %s: %s", type(exc).__name__, exc)
        return json_response(error_body("internal", "internal error; see the function logs"), 500)
    if answer.public:
        body = {**error_body(answer.code, exc.message, exc.field), **exc.details()}
    else:
        log.error("%s: %s", answer.code, exc)
        body = error_body(answer.code, "the service is not configured correctly; its administrators are told")
    headers: dict[str, str] = {}
    after = exc.retry_after if exc.retry_after is not None else answer.retry_after
    if after is not None:
        headers["Retry-After"] = str(math.ceil(after))
    if isinstance(exc, IdentityError) and exc.www_authenticate:
        headers["WWW-Authenticate"] = exc.www_authenticate
    return json_response(body, answer.status, headers or None)


async def respond(call: Callable[[], Awaitable[func.HttpResponse]]) -> func.HttpResponse:
    """Run a handler body and answer its errors by the table; anything else is a 500."""
    try:
        return await call()
    except MicromentorError as exc:
        return error_response(exc)
    except Exception:
        log.exception("unhandled error")
        return json_response(error_body("internal", "internal error; see the function logs"), 500)
