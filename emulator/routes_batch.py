"""JSON batching (`POST /$batch`): up to 20 requests, unique ids, relative URLs, dependsOn (a failed
dependency gives 424), outer 200. Each item runs through the same pipeline, faults included."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulator.context import Context
from emulator.errors import GraphError, error_body
from emulator.graphapi import serve_graph
from emulator.router import Router
from emulator.wire import Request, Response, json_response

__all__ = ["MAX_BATCH", "register"]

MAX_BATCH = 20


def _invalid(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


def _item_request(outer: Request, item: dict[str, Any]) -> Request:
    url = str(item["url"])
    parts = urlsplit(url)
    path = parts.path if parts.scheme else url.split("?", 1)[0]
    path = "/" + path.lstrip("/")
    for prefix in ("/v1.0/", "/beta/"):
        if path.lower().startswith(prefix):
            path = path[len(prefix) - 1 :]
    query = parts.query if parts.scheme else (url.split("?", 1)[1] if "?" in url else "")
    headers: dict[str, list[str]] = {
        k: v for k, v in outer.headers.items() if k in ("authorization", "client-request-id")
    }
    for name, value in (item.get("headers") or {}).items():
        headers[str(name).lower()] = [str(value)]
    body = item.get("body")
    raw = b""
    if body is not None:
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return Request(
        method=str(item["method"]).upper(),
        path=path,
        raw_path="/v1.0" + path,
        query={k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)},
        raw_query=query,
        headers=headers,
        body=raw,
        claims=outer.claims,
        in_batch=True,
    )


def _order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {str(i["id"]).lower(): i for i in items}
    ordered: list[dict[str, Any]] = []
    state: dict[str, str] = {}

    def visit(item: dict[str, Any]) -> None:
        key = str(item["id"]).lower()
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            raise _invalid("The dependsOn property of the batch requests contains a cycle.")
        state[key] = "visiting"
        for dep in item.get("dependsOn") or []:
            visit(by_id[str(dep).lower()])
        state[key] = "done"
        ordered.append(item)

    for item in items:
        visit(item)
    return ordered


CONCURRENT_ITEMS = 4


def batch(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    body = request.json()
    items = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise _invalid("Invalid batch payload format.")
    if len(items) > MAX_BATCH:
        raise _invalid(f"The number of requests in the batch ({len(items)}) exceeds the limit of {MAX_BATCH}.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not all(item.get(k) for k in ("id", "method", "url")):
            raise _invalid("Each batch request needs an id, a method and a url.")
        key = str(item["id"]).lower()
        if key in seen:
            raise _invalid(f"Batch request ids must be unique: '{item['id']}' appears more than once.")
        seen.add(key)
    for item in items:
        deps = item.get("dependsOn") or []
        if not isinstance(deps, list) or any(str(d).lower() not in seen for d in deps):
            raise _invalid(f"Batch request '{item['id']}' depends on an id that is not in the batch.")
    roots = [item for item in items if not item.get("dependsOn")]
    if len(roots) > 1 and len(roots) < len(items):
        # concepts/json-batching.md (tip): "Batch should be either fully sequential or fully parallel."
        # (repeated by Microsoft in Q&A 1532547; a user reports Graph's 400 with these words,
        # volcengine.com/article/563906). Strict: with any dependsOn, every item but one waits for another.
        raise _invalid("Batch should be either fully sequential or fully parallel.")
    from emulator.graph_routes import GRAPH_ROUTER

    results: dict[str, Response] = {}
    drop = False
    if not any(item.get("dependsOn") for item in items):
        # Outlook runs up to 4 items of a batch at a time (concepts/json-batching.md), so a batch of
        # independent items costs about a quarter of their latencies, not the sum.
        with ThreadPoolExecutor(max_workers=CONCURRENT_ITEMS) as pool:
            answers = list(pool.map(lambda item: serve_graph(ctx, GRAPH_ROUTER, _item_request(request, item)), items))
        for item, response in zip(items, answers, strict=True):
            results[str(item["id"]).lower()] = response
            drop = drop or response.drop
    for item in _order(items) if not results else ():
        key = str(item["id"]).lower()
        failed = [d for d in item.get("dependsOn") or [] if results[str(d).lower()].status >= 400]
        if failed:
            request_id = request.header("client-request-id") or ""
            results[key] = Response(
                424,
                error_body(
                    "FailedDependency",
                    f"The request depends on request '{failed[0]}', which failed.",
                    request_id,
                    request_id,
                ),
            )
            continue
        response = serve_graph(ctx, GRAPH_ROUTER, _item_request(request, item))
        drop = drop or response.drop
        results[key] = response
    responses = []
    for item in items:
        response = results[str(item["id"]).lower()]
        headers = dict(response.headers)
        entry: dict[str, Any] = {"id": str(item["id"]), "status": response.status}
        if response.body is not None:
            headers.setdefault("Content-Type", response.content_type)
            entry["body"] = response.body
        entry["headers"] = headers
        responses.append(entry)
    outer = json_response({"responses": responses})
    outer.drop = drop
    return outer


def register(router: Router) -> None:
    router.add("POST", "/$batch", batch, locked=False)
