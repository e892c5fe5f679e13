"""What text may hold at the edges: no lone surrogates (they cannot be encoded as UTF-8, so they fail
later, when a session is stored or an answer written), and no control characters.

Shared by the HTTP parser, the services and the CLI (whose argv may carry `\\udcXX` from bytes that
were not UTF-8), so every surface refuses the same characters with an error naming the field.
"""

from __future__ import annotations

import unicodedata

from core.errors import InputError

__all__ = ["bad_character", "check_text"]

_LINE_BREAKS = frozenset("\t\n\r")


def bad_character(text: str, *, allow_line_breaks: bool = False) -> str | None:
    """Why `text` is refused (a phrase), or None when it is fine."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":
            return f"must not contain a lone surrogate (U+{ord(ch):04X})"
        if category == "Cc" and not (allow_line_breaks and ch in _LINE_BREAKS):
            return f"must not contain control characters (U+{ord(ch):04X})"
    return None


def check_text(field: str, text: str, *, allow_line_breaks: bool = False) -> str:
    """`text` unchanged, or `InputError(field, …)` when it holds a lone surrogate or a control character."""
    problem = bad_character(text, allow_line_breaks=allow_line_breaks)
    if problem is not None:
        raise InputError(field, problem)
    return text
