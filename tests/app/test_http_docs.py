"""docs/http-api.md lists every HTTP route function_app.py registers, each method on its own (a route added
without its row fails here), and the routes that need no token."""

from __future__ import annotations

import re
from pathlib import Path

import function_app
from micromentor.localhost import http_routes

DOC = Path(__file__).resolve().parents[2] / "docs" / "http-api.md"
MENTION = re.compile(r"\b(GET|POST|PUT|DELETE|PATCH) /api/([A-Za-z0-9_\-/{}.]+)")
_PARAM = re.compile(r"\{[^}]*\}")


def _shape(path: str) -> str:
    """`sessions/{id}/checklist` and `sessions/{session}/checklist` are one route."""
    return _PARAM.sub("{}", path.strip("/"))


def _registered() -> set[tuple[str, str]]:
    # Through the host's own index: `FunctionApp.get_functions()` may run once per process.
    return {(method, _shape(path)) for path, methods in http_routes(function_app.app) for method in methods}


def _documented(text: str) -> set[tuple[str, str]]:
    return {(method, _shape(path)) for method, path in MENTION.findall(text)}


def test_every_registered_route_and_method_is_in_the_http_docs() -> None:
    registered = _registered()
    assert ("GET", "mentors") in registered and ("GET", "session-page/{}") in registered
    missing = sorted(registered - _documented(DOC.read_text(encoding="utf-8")))
    assert missing == []


def test_the_no_token_list_names_the_signed_link_pages() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("- No token:")
    line = " ".join(re.split(r"\n(?:- |\n)", text[start:], maxsplit=1)[0].split())
    for route in ("/api/session-page/{token}", "/api/answers/{token}", "/api/group-links/{token}"):
        assert route in line, route


def test_a_missing_row_would_be_found() -> None:
    assert ("GET", "mentors") not in _documented("| `GET /api/mentors/{upn}/office-hours` | … |")
