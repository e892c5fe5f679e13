"""Query parameters that take one value: given twice (`?quarter=2026Q4&quarter=2026Q3`) is a 400 naming the
parameter, never a silent pick of the first or the last (which one a host keeps differs)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import azure.functions as func

from core.errors import InputError

__all__ = ["single_params"]


def single_params(req: func.HttpRequest, *names: str) -> dict[str, str | None]:
    """The value of each of `names` (None when absent); InputError on a name given more than once."""
    given = parse_qs(urlsplit(req.url).query, keep_blank_values=True)
    values: dict[str, str | None] = {}
    for name in names:
        found = given.get(name)
        if found is not None and len(found) > 1:
            raise InputError(name, f"given {len(found)} times; give it once")
        values[name] = req.params.get(name) if found is None else found[0]
    return values
