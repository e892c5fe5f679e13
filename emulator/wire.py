"""Requests and responses as the emulator's handlers see them, independent of the HTTP server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import GraphError

__all__ = ["Request", "Response", "json_response", "parse_prefer"]


def parse_prefer(values: list[str]) -> dict[str, str]:
    """`Prefer: outlook.timezone="Pacific Standard Time", odata.maxpagesize=2` → {name: value} (names lowercased)."""
    prefs: dict[str, str] = {}
    for value in values:
        parts: list[str] = []
        current: list[str] = []
        quoted = False
        for ch in value:
            if ch == '"':
                quoted = not quoted
            if ch in ",;" and not quoted:
                parts.append("".join(current))
                current = []
            else:
                current.append(ch)
        parts.append("".join(current))
        for part in parts:
            name, _, raw = part.strip().partition("=")
            if name:
                prefs[name.strip().lower()] = raw.strip().strip('"')
    return prefs


@dataclass
class Request:
    method: str
    path: str  # percent-decoded segments joined, after /v1.0 (or the surface's prefix)
    raw_path: str  # as received, percent-encoded, including the prefix
    query: dict[str, str]  # keys lowercased, values decoded once
    raw_query: str
    headers: dict[str, list[str]]  # lowercased names
    body: bytes = b""
    claims: dict[str, Any] | None = None
    in_batch: bool = False
    _json: Any = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def prefer(self) -> dict[str, str]:
        return parse_prefer(self.headers.get("prefer", []))

    def json(self) -> Any:
        if self._json is None:
            if not self.body.strip():
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.body)
                except (ValueError, UnicodeDecodeError):
                    raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
        return self._json


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    drop: bool = False  # fault injection: change the state, then close the connection without answering

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, body, dict(headers or {}))
