"""Route table for Graph paths: literal segments match case-insensitively, `{name}` captures one segment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emulator.context import Context
from emulator.errors import GraphError
from emulator.wire import Request, Response

__all__ = ["Handler", "Route", "Router"]

Handler = Callable[[Context, Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    segments: tuple[str, ...]
    handler: Handler
    locked: bool

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


class Router:
    def __init__(self) -> None:
        self._routes: dict[int, list[Route]] = {}

    def add(self, method: str, template: str, handler: Handler, locked: bool = True) -> None:
        segments = tuple(s for s in template.strip("/").split("/") if s)
        route = Route(method.upper(), template, segments, handler, locked)
        self._routes.setdefault(len(segments), []).append(route)

    def resolve(self, method: str, segments: list[str]) -> tuple[Route, dict[str, str]]:
        allowed = False
        for route in self._routes.get(len(segments), []):
            params: dict[str, str] = {}
            for pattern, actual in zip(route.segments, segments, strict=True):
                if pattern.startswith("{"):
                    params[pattern[1:-1]] = actual
                elif pattern.lower() != actual.lower():
                    break
            else:
                if route.method == method.upper():
                    return route, params
                allowed = True
        if allowed:
            raise GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
        last = segments[-1] if segments else ""
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{last}'.")
