"""JSON text with a nesting limit: `json.loads` recurses once per level and, thousands of levels deep,
dies with RecursionError, which would surface as a 500 or a traceback instead of an answer naming the
input. Every reader of JSON from outside (request bodies, policy files, tenant seeds) goes through here."""

from __future__ import annotations

import json
from typing import Any

from core.errors import InputError

__all__ = ["MAX_JSON_DEPTH", "loads_limited", "nesting_depth"]

MAX_JSON_DEPTH = 64  # far deeper than any document micromentor reads (a tenant seed nests about 6 levels)


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_limited(text: str, field: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads(text)`, or `InputError(field, …)` when it is malformed or nested deeper than `max_depth`."""
    if nesting_depth(text) > max_depth:
        raise InputError(field, f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except _Refused as exc:
        raise InputError(field, str(exc)) from exc
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        # ValueError: also Python's limit on integer digits (4,300), which json.loads does not wrap.
        raise InputError(field, f"malformed JSON: {exc}") from exc


class _Refused(ValueError):
    pass


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); Python accepts them by default.
    raise _Refused(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated key would silently keep the last value ({"mentor": a, "mentor": b} books for b).
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Refused(f"the key {key!r} appears twice")
        seen[key] = value
    return seen
