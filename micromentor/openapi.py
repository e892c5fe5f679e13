"""`docs/openapi.json`, generated: `python -m micromentor.openapi > docs/openapi.json`.

Two sources, nothing typed twice: the routes come from what `function_app.py` registers (the same list
`micromentor serve` serves), and every body, query parameter and answer is the pydantic model of
`functions.schemas` that the handler parses with. `OPERATIONS` below says, per route and method, which
models, which answers and who may call; a route without an entry (or an entry without a route) stops
the generator, and tests/app/test_openapi_document.py fails when the committed document is stale.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from functions import schemas as s
from functions.addin import CONTENT_TYPES
from services.booking import MAX_KEY_LENGTH

__all__ = ["OPERATIONS", "Answer", "Operation", "document", "main"]

JSON = "application/json"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Answer:
    description: str
    model: type[BaseModel] | None = None  # a JSON answer
    media: dict[str, dict[str, Any]] | None = None  # anything else: {media type: schema}
    links: dict[str, dict[str, Any]] | None = None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    answers: dict[int, Answer]
    body: type[BaseModel] | None = None
    body_media: str = JSON
    body_required: bool = True
    query: type[BaseModel] | None = None
    headers: tuple[dict[str, Any], ...] = ()
    refusals: tuple[int, ...] = (400, 401, 403, 404, 429, 502, 503)  # JSON errors, components/responses
    anonymous: bool = False
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "description": "the same key and body again answers the first result; another body with it is 409",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "description": "the version read (its ETag); an out-of-date one is 409",
    "schema": {"type": "string"},
}
_PAGE = {HTML: {"schema": {"type": "string"}}}
_ANONYMOUS_JSON = (400, 404, 429, 502, 503)


def _page(description: str) -> Answer:
    return Answer(description, media=_PAGE)


def _addin(operation_id: str, summary: str) -> Operation:
    """A file of the add-in (addin/README.md), by its type."""
    files = {kind: {"schema": {"type": "string"}} for kind in sorted(set(CONTENT_TYPES.values()))}
    answers = {200: Answer("the file", media=files), 304: Answer("not modified (If-None-Match)")}
    return Operation(operation_id, summary, answers, refusals=(404,), anonymous=True)


def _seat(operation_id: str, summary: str, done: str, refusals: tuple[int, ...]) -> Operation:
    """Taking or giving back a seat of a group session: `mentee` left out is the caller."""
    return Operation(
        operation_id,
        summary,
        {200: Answer(done, s.GroupAnswer)},
        body=s.SeatRequest,
        body_required=False,
        refusals=refusals,
    )


def _page_refusals(not_found: str) -> dict[int, Answer]:
    """What a page behind a signed link answers when it cannot show itself: pages too, never JSON."""
    return {
        400: _page("the link was changed"),
        404: _page(not_found),
        410: _page("the link expired"),
        502: _page("Graph refused"),
        503: Answer("Graph busy", media=_PAGE, headers=("Retry-After",)),
    }


def _signed_page(operation_id: str, summary: str, shown: str, not_found: str) -> Operation:
    """An HTML page behind a signed link: no bearer token, refusals as pages."""
    answers = {200: _page(shown), **_page_refusals(not_found)}
    return Operation(operation_id, summary, answers, refusals=(), anonymous=True)


def _session_links(key: str) -> dict[str, dict[str, Any]]:
    return {
        "ReadSession": {"operationId": "readSession", "parameters": {"id": f"$response.body#/{key}"}},
        "CancelSession": {"operationId": "cancelSession", "parameters": {"id": f"$response.body#/{key}"}},
    }


# (path under /api, method) -> what it takes and answers. Paths as `micromentor serve` serves them.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("health", "GET"): Operation(
        "health",
        "liveness, with Graph and storage reachability",
        {200: Answer("healthy", s.HealthAnswer), 503: Answer("a dependency is down", s.HealthAnswer)},
        refusals=(),
        anonymous=True,
    ),
    ("slots", "GET"): Operation(
        "searchSlots",
        "ranked shared free slots of a mentor and mentees (the mentor, a listed mentee or an admin)",
        {200: Answer("slots", s.SlotsAnswer)},
        query=s.SlotsParams,
    ),
    ("sessions", "POST"): Operation(
        "bookSession",
        "book one session",
        {
            201: Answer("booked", s.SessionAnswer, links=_session_links("id")),
            200: Answer("the same key and body again", s.SessionAnswer, links=_session_links("id")),
        },
        body=s.SessionRequest,
        headers=(_IDEMPOTENCY_KEY,),
        refusals=(400, 401, 403, 404, 409, 422, 429, 502, 503),
    ),
    ("sessions/{id}", "GET"): Operation(
        "readSession", "one session with its state", {200: Answer("the session", s.SessionAnswer)}
    ),
    ("sessions/{id}/cancel", "POST"): Operation(
        "cancelSession",
        "cancel the Teams meeting and mark the session cancelled",
        {200: Answer("cancelled (or already so)", s.SessionAnswer)},
        body=s.CancelRequest,
        body_required=False,
        refusals=(400, 401, 403, 404, 409, 429, 502, 503),
    ),
    ("sessions/{id}/checklist", "GET"): Operation(
        "readChecklist", "the session's 2-10-3 checklist", {200: Answer("the checklist", s.ChecklistAnswer)}
    ),
    ("sessions/{id}/checklist", "PUT"): Operation(
        "saveChecklist",
        "save the checklist; `version` is the one read (409 when someone saved since)",
        {200: Answer("saved", s.ChecklistAnswer)},
        body=s.ChecklistRequest,
        refusals=(400, 401, 403, 404, 409, 429, 502, 503),
    ),
    ("requests", "POST"): Operation(
        "requestMentoring",
        "a mentee asks for help on a skill; mentors are picked and the earliest valid slots booked",
        {
            201: Answer("request recorded, sessions booked", s.RequestAnswer),
            200: Answer("the same Idempotency-Key again: nothing new booked", s.RequestAnswer),
        },
        body=s.MentoringRequest,
        headers=(_IDEMPOTENCY_KEY,),
        refusals=(400, 401, 403, 404, 409, 422, 429, 502, 503),
    ),
    ("mentors", "GET"): Operation(
        "findMentors",
        "mentors of the catalogue by skill",
        {200: Answer("matches", s.MentorsAnswer)},
        query=s.MentorsParams,
    ),
    ("mentors/{mentor}/office-hours", "GET"): Operation(
        "readOfficeHours", "the mentor's effective office hours", {200: Answer("office hours", s.OfficeHoursAnswer)}
    ),
    ("mentors/{mentor}/office-hours", "PUT"): Operation(
        "setOfficeHours",
        "replace the mentor's office hours (the mentor or an admin); `[]` removes them",
        {200: Answer("saved", s.OfficeHoursAnswer)},
        body=s.OfficeHoursRequest,
        refusals=(400, 401, 403, 404, 409, 422, 429, 502, 503),
    ),
    ("links", "POST"): Operation(
        "makeLink",
        "a signed, expiring booking link (the mentor or an admin)",
        {
            201: Answer(
                "the link",
                s.LinkAnswer,
                links={"OpenLink": {"operationId": "openLink", "parameters": {"token": "$response.body#/token"}}},
            )
        },
        body=s.LinkRequest,
    ),
    ("links/{token}", "GET"): _signed_page(
        "openLink",
        "the link's page: the mentor's next free times (HTML)",
        "the mentor's next free times",
        "the mentor is no longer in the directory",
    ),
    ("groups", "POST"): Operation(
        "publishGroup",
        "publish a group session (the mentor or an admin)",
        {
            201: Answer(
                "published, with the link to share",
                s.GroupAnswer,
                links={"ReadGroup": {"operationId": "readGroup", "parameters": {"id": "$response.body#/id"}}},
            )
        },
        body=s.GroupRequest,
        refusals=(400, 401, 403, 404, 409, 422, 429, 502, 503),
    ),
    ("series", "POST"): Operation(
        "startSeries",
        "start a series: its first session is booked at once (the mentor, the mentee or an admin)",
        {
            201: Answer(
                "started, with its first session",
                s.SeriesAnswer,
                links={"ReadSeries": {"operationId": "readSeries", "parameters": {"id": "$response.body#/id"}}},
            ),
            200: Answer("the same Idempotency-Key again: the series it started", s.SeriesAnswer),
        },
        body=s.SeriesRequest,
        headers=(_IDEMPOTENCY_KEY,),
        refusals=(400, 401, 403, 404, 409, 422, 429, 502, 503),
    ),
    ("series/{id}", "GET"): Operation(
        "readSeries",
        "one series and its sessions (its people or an admin; anyone else gets the 404 of an unknown id)",
        {200: Answer("the series", s.SeriesAnswer)},
    ),
    ("series/{id}/stop", "POST"): Operation(
        "stopSeries",
        "stop a series (the mentor or the mentee; an admin names whom in `by`; anyone else gets the 404 of an "
        "unknown id); 409 when already ended",
        {200: Answer("stopped", s.SeriesAnswer)},
        body=s.StopSeriesRequest,
        body_required=False,
        refusals=(400, 401, 403, 404, 409, 429, 502, 503),
    ),
    ("groups/{id}", "GET"): Operation(
        "readGroup", "one group session", {200: Answer("the group session", s.GroupAnswer)}
    ),
    ("groups/{id}/join", "POST"): _seat(
        "joinGroup",
        "take a seat (`mentee` left out: the caller); a full session is 409 `group_full` with alternatives",
        "joined",
        (400, 401, 403, 404, 409, 422, 429, 502, 503),
    ),
    ("groups/{id}/join", "DELETE"): _seat(
        "leaveGroupByDelete", "give the seat back", "left", (400, 401, 403, 404, 409, 429, 502, 503)
    ),
    ("groups/{id}/leave", "POST"): _seat(
        "leaveGroup", "give the seat back", "left", (400, 401, 403, 404, 409, 429, 502, 503)
    ),
    ("group-links/{token}", "GET"): Operation(
        "groupLink",
        "what a group link's session is (no sign-in: the signature is the authority)",
        {200: Answer("the session, without its mentees", s.GroupSummary)},
        refusals=(400, 404, 410, 429, 502, 503),
        anonymous=True,
    ),
    ("group-links/{token}/join", "POST"): _seat(
        "joinGroupByLink",
        "take a seat through the link (signed in)",
        "joined",
        (400, 401, 403, 404, 409, 410, 422, 429, 502, 503),
    ),
    ("admin/policy", "GET"): Operation(
        "readPolicy",
        "the tenant policy (docs/policy.md), its version as ETag",
        {200: Answer("the policy", s.PolicyStateAnswer, headers=("ETag",))},
    ),
    ("admin/policy", "PUT"): Operation(
        "replacePolicy",
        "replace the tenant policy (validated, versioned); with If-Match an out-of-date version is 409",
        {200: Answer("saved", s.PolicyStateAnswer, headers=("ETag",))},
        headers=(_IF_MATCH,),
        refusals=(400, 401, 403, 404, 409, 422, 429, 502, 503),
        extra={
            "requestBody": {
                "required": True,
                "description": "the policy JSON of docs/policy.md, read by the policy codec (policies/codec.py)",
                "content": {JSON: {"schema": {"type": "object"}}},
            }
        },
    ),
    ("admin/policy/history", "GET"): Operation(
        "policyHistory", "every version of the tenant policy", {200: Answer("versions", s.PolicyHistoryAnswer)}
    ),
    ("admin/report", "GET"): Operation(
        "report",
        "the report of docs/metrics.md",
        {
            200: Answer(
                "the report",
                media={
                    JSON: {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                    HTML: {"schema": {"type": "string"}},
                },
            )
        },
        query=s.ReportParams,
        refusals=(400, 401, 403, 404, 422, 429, 502, 503),
    ),
    ("admin/doctor", "GET"): Operation(
        "doctor",
        "the doctor's checks; always 200, failed checks included",
        {200: Answer("the checks", s.DoctorAnswer)},
        query=s.DoctorParams,
        refusals=(400, 401, 403),
    ),
    ("admin/onboarding", "POST"): Operation(
        "onboardCohort",
        "book each joiner 2-3 flash sessions with different mentors in their first two weeks (docs/onboarding.md)",
        {200: Answer("every joiner: their sessions, or why they could not be placed", s.OnboardingAnswer)},
        body=s.OnboardingRequest,
        refusals=(400, 401, 403, 409, 429, 502, 503),
    ),
    ("notifications", "POST"): Operation(
        "notifications",
        "Graph change notifications, and Graph's validation handshake",
        {
            200: Answer("the validation token echoed", media={"text/plain": {"schema": {"type": "string"}}}),
            202: Answer("accepted and queued", s.QueuedAnswer),
        },
        query=s.NotificationsParams,
        refusals=(400,),
        anonymous=True,
        extra={
            "requestBody": {
                "required": False,
                "description": "Graph's change-notification collection `{value: [...]}`, an object (400 otherwise); "
                "ignored, whatever it is, on the handshake (with `validationToken`)",
                "content": {JSON: {"schema": {}}},
            }
        },
    ),
    ("addin/{file}", "GET"): _addin("addinFile", "the Outlook add-in's files; `config.json` is made from the settings"),
    ("addin/{folder}/{file}", "GET"): _addin("addinFolderFile", "the Outlook add-in's files in a folder"),
    ("answers/{token}", "GET"): Operation(
        "answer",
        "an outcome message's one-click answer: recorded, with a small page (no sign-in)",
        {200: _page("recorded"), 400: _page("the link was changed"), 410: _page("the link expired")},
        refusals=(),
        anonymous=True,
    ),
    ("answers/{token}", "POST"): Operation(
        "answerDetails",
        "the optional line of a check-in, or the mentor's next step and success indicator",
        {
            200: _page("saved"),
            400: _page("the link was changed, or a field is wrong (named on the page)"),
            410: _page("the link expired"),
        },
        body=s.AnswerForm,
        body_media=FORM,
        body_required=False,
        refusals=(),
        anonymous=True,
    ),
    ("session-page/{token}", "GET"): _signed_page(
        "sessionPage",
        "the page an attendee's invitation link opens (no sign-in: the signed link is the authority)",
        "the session page",
        "the session is not available",
    ),
    ("session-page/{token}", "POST"): Operation(
        "sessionPageChange",
        "the page's forms: save the checklist, cancel, or move the session",
        {
            200: _page("the page again, changed"),
            303: Answer("moved: the new session's page", headers=("Location",)),
            **_page_refusals("the session is not available"),
            400: _page("the link was changed, or a field is wrong (named on the page)"),
            409: _page("the checklist was saved meanwhile by someone else: both texts"),
            422: _page("the policy forbids the move"),
        },
        body=s.SessionPageForm,
        body_media=FORM,
        refusals=(),
        anonymous=True,
    ),
}

_REFUSALS: dict[int, tuple[str, str, tuple[str, ...]]] = {
    400: ("BadRequest", "malformed or invalid input; `field` names it (a dotted path into the body)", ()),
    401: ("Unauthorized", "no valid bearer token", ("WWW-Authenticate",)),
    403: ("Forbidden", "signed in, but not allowed (a missing app role, or other people's data)",
          ("WWW-Authenticate",)),
    404: ("NotFound", "unknown mentor, mentee, session or file", ()),
    409: ("Conflict", "slot just taken (with `alternatives`), a key reused with another body, a full group, "
          "a stale version, or `idempotency_in_progress` (with Retry-After)", ("Retry-After",)),
    410: ("Gone", "an expired link", ()),
    422: ("PolicyViolation", "valid, but the focus-time policy forbids it; `field` names the policy field", ()),
    429: ("Throttled", "Graph throttled the app after retries", ("Retry-After",)),
    502: ("BadGateway", "Graph refused the app's credentials or answered an error", ()),
    503: ("Unavailable", "Graph, storage or the token signing keys unreachable after retries", ("Retry-After",)),
}  # fmt: skip
_HEADERS = {
    "WWW-Authenticate": "the Bearer challenge (RFC 6750)",
    "Retry-After": "seconds to wait before trying again",
    "ETag": "the policy's version",
    "Location": "where to go next",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _headers(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: {"description": _HEADERS[name], "schema": {"type": "string"}} for name in names}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter or form field is there or not: `anyOf [X, null]` becomes X (outer keys kept)."""
    options = schema.get("anyOf")
    if not options:
        return schema
    kept = [o for o in options if o.get("type") != "null"]
    if len(kept) != 1:
        return schema
    merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    return {**kept[0], **merged}


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "title"}


def _query(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _clean(_without_null(prop))
        description = prop.pop("description", None)
        examples = prop.pop("examples", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        if examples:
            parameter["example"] = examples[0]
        parameters.append(parameter)
    return parameters


def _form(model: type[BaseModel]) -> dict[str, Any]:
    schema = _clean(model.model_json_schema(by_alias=True))
    schema["properties"] = {k: _clean(_without_null(v)) for k, v in schema["properties"].items()}
    return schema


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}} for n in names]


def _answer(answer: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    if answer.headers:
        out["headers"] = _headers(answer.headers)
    if answer.model is not None:
        out["content"] = {JSON: {"schema": _ref(answer.model)}}
    elif answer.media is not None:
        out["content"] = answer.media
    if answer.links:
        out["links"] = answer.links
    return out


def _operation(path: str, op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    if op.anonymous:
        out["security"] = []
    parameters = _path_parameters(path) + (_query(op.query) if op.query else []) + list(op.headers)
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        schema = _form(op.body) if op.body_media == FORM else _ref(op.body)
        out["requestBody"] = {"required": op.body_required, "content": {op.body_media: {"schema": schema}}}
    out.update(op.extra)
    responses = {str(status): _answer(answer) for status, answer in sorted(op.answers.items())}
    for status in op.refusals:
        responses.setdefault(str(status), {"$ref": f"#/components/responses/{_REFUSALS[status][0]}"})
    out["responses"] = dict(sorted(responses.items()))
    return out


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"Error": s.Error}
    for op in OPERATIONS.values():
        if op.body is not None and op.body_media == JSON:
            found[op.body.__name__] = op.body
        for answer in op.answers.values():
            if answer.model is not None:
                found[answer.model.__name__] = answer.model
    return [found[name] for name in sorted(found)]


def _component_schemas() -> dict[str, Any]:
    models = _models()
    answers = {m for m in models if not issubclass(m, s._Strict)}
    _, top = models_json_schema(
        [(m, "serialization" if m in answers else "validation") for m in models],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = top.get("$defs", {})
    return {name: _strip_titles(schemas[name]) for name in sorted(schemas)}


def _strip_titles(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_titles(v) for k, v in value.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(value, list):
        return [_strip_titles(v) for v in value]
    return value


def registered_routes() -> set[tuple[str, str]]:
    """(path, method) of every HTTP function `function_app.py` registers."""
    import function_app
    from micromentor.localhost import http_routes

    return {(path, method) for path, methods in http_routes(function_app.app) for method in methods}


def document() -> dict[str, Any]:
    routes = registered_routes()
    missing, extra = sorted(routes - set(OPERATIONS)), sorted(set(OPERATIONS) - routes)
    if missing or extra:
        raise SystemExit(
            f"micromentor.openapi: routes without an operation {missing}, operations without a route {extra}"
        )
    paths: dict[str, dict[str, Any]] = {}
    for path, method in sorted(OPERATIONS, key=lambda key: key[0]):
        paths.setdefault(f"/{path}", {})[method.lower()] = _operation(path, OPERATIONS[(path, method)])
    responses = {
        name: {
            "description": description,
            **({"headers": _headers(headers)} if headers else {}),
            "content": {JSON: {"schema": _ref(s.Error)}},
        }
        for name, description, headers in sorted(_REFUSALS.values())
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "micromentor",
            "version": version("micromentor"),
            "description": "HTTP API of the micromentor function app (docs/http-api.md). Generated by "
            "`python -m micromentor.openapi` from the route table and the models of functions/schemas.py: "
            "do not edit by hand. Routes marked `security: []` need no token; the rest need an Entra ID "
            "bearer token, and /admin routes the app role Mentoring.Admin.",
        },
        "servers": [{"url": "/api"}],
        "security": [{"entra": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"entra": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": _component_schemas(),
            "responses": responses,
        },
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
