"""Viva Learning (Graph v1.0 employee-experience learning APIs), the part a learning provider uses to record
that a learner completed something: learning content upserted by external id, and self-initiated course
activities created and looked up by the provider's external id.

Sources (microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0/):
- api/learningcontent-update.md: `PATCH …/learningProviders/{id}/learningContents(externalId='{externalId}')`
  creates or replaces the content; `LearningContent.ReadWrite.All` (application only); required: title,
  externalId, contentWebUrl, languageTag; answers 202 Accepted with the content.
- api/employeeexperienceuser-post-learningcourseactivities.md: `POST …/learningProviders/{registrationId}/
  learningCourseActivities`, application permission `LearningAssignedCourse.ReadWrite.All` or
  `LearningSelfInitiatedCourse.ReadWrite.All`; `@odata.type` says which kind; required: learningContentId,
  learnerUserId, status (notStarted, inProgress, completed); completionPercentage 0 to 100; 201 Created; a
  provider manages activities only when `isCourseActivitySyncEnabled` is true.
- api/learningcourseactivity-get.md: `GET …/learningProviders/{registrationId}/learningCourseActivities(
  externalCourseActivityId='{externalCourseActivityId}')`, that key name and a quoted value only (docs-contrib
  PR #9411 added the quotes the page's example lacked); another spelling or a bare value is 400; errors:
  400 "This provider isn't enabled for the given tenant.", 400
  "…Make sure the registrationId you entered is valid or registered for your tenant", 404 "The requested
  assignment {id} doesn't exist.", 403 without the permission. Read permission: beta page of the same API
  (LearningAssignedCourse.Read.All, LearningSelfInitiatedCourse.Read.All); the ReadWrite roles also read.
Where the docs are silent the emulator is strict (see emulator/README.md): each kind of activity needs its
own role (a self-initiated course: LearningSelfInitiatedCourse.ReadWrite.All), an unknown learningContentId
is 404, an unknown learner 400, and a second activity with a used externalCourseActivityId is 409.

Learning providers are registered by an admin in Viva Learning; here through the admin surface
(`POST /admin/learningProviders`), with `isCourseActivitySyncEnabled`.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from emulator.access import LEARNING_DENIED
from emulator.context import Context
from emulator.errors import GraphError
from emulator.routes_common import context_url
from emulator.wire import Request, Response, json_response

__all__ = ["LearningState", "add_provider", "register"]

_WRITE_ASSIGNED, _WRITE_SELF = "LearningAssignedCourse.ReadWrite.All", "LearningSelfInitiatedCourse.ReadWrite.All"
# The route-level roles (any of the two write roles, …) are in emulator.access.ROUTE_ROLES; a kind of activity
# further needs its own role here.
_KINDS = {
    "#microsoft.graph.learningSelfInitiatedCourse": _WRITE_SELF,
    "#microsoft.graph.learningAssignment": _WRITE_ASSIGNED,
}
_STATUSES = ("notStarted", "inProgress", "completed")
_CONTENT_KEY = re.compile(r"^learningContents\(externalId='(?P<id>(?:[^']|'')*)'\)$", re.IGNORECASE)
# The documented form only (api/learningcourseactivity-get.md, "HTTP request"):
# learningCourseActivities(externalCourseActivityId='{externalCourseActivityId}'): that spelling of the key and
# a quoted value (the page's bare key was a docs bug, fixed by docs-contrib PR #9411 "Fix missing single quotes
# for external ID lookup"). msgraph-sdk's builder spells the key externalcourseActivityId (from the metadata);
# graph/learning.py sends the documented spelling instead.
_ACTIVITY_KEY = re.compile(r"^(?i:learningCourseActivities)\((?P<name>[^=()]*)=(?P<value>[^()]*)\)$")
_ACTIVITY_KEY_NAME = "externalCourseActivityId"
_QUOTED = re.compile(r"^'(?P<text>(?:[^']|'')*)'$")
_CONTENT_FIELDS = ("additionalTags", "contentWebUrl", "contributors", "createdDateTime", "description", "duration",
                   "format", "isActive", "isPremium", "isSearchable", "languageTag", "lastModifiedDateTime",
                   "numberOfPages", "skillTags", "sourceName", "thumbnailWebUrl", "title")


@dataclass
class LearningState:
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)  # registration id → provider
    contents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # provider → externalId → content
    activities: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # provider → external id → act.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _learning(ctx: Context) -> LearningState:
    # Kept on the tenant state (one per emulator), made on first use: tenants without Viva Learning pay nothing.
    state = ctx.state
    with state.lock:
        found = getattr(state, "learning", None)
        if not isinstance(found, LearningState):
            found = LearningState()
            setattr(state, "learning", found)  # noqa: B010  (not a TenantState field)
        return found


def add_provider(ctx: Context, display_name: str, sync_enabled: bool) -> dict[str, Any]:
    registration_id = str(uuid.uuid4())
    provider = {"id": registration_id, "displayName": display_name, "isCourseActivitySyncEnabled": sync_enabled}
    learning = _learning(ctx)
    with learning.lock:
        learning.providers[registration_id] = provider
        learning.contents[registration_id] = {}
        learning.activities[registration_id] = {}
    return provider


def _provider(learning: LearningState, registration_id: str) -> dict[str, Any]:
    provider = learning.providers.get(registration_id)
    if provider is None:
        raise GraphError(400, "BadRequest", "There was an issue with your request. Make sure the registrationId "
                         "you entered is valid or registered for your tenant")
    return provider


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
    return body


def _required(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise GraphError(400, "BadRequest", f"The property '{name}' is required and must be a non-empty string.")
    return value


def upsert_content(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    match = _CONTENT_KEY.match(params["content"])
    if match is None:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{params['content']}'.")
    external_id = match.group("id").replace("''", "'")
    body = _body(request)
    unknown = sorted(set(body) - set(_CONTENT_FIELDS) - {"externalId", "@odata.type"})
    if unknown:
        raise GraphError(400, "BadRequest", f"The property '{unknown[0]}' does not exist on type "
                         "'microsoft.graph.learningContent'.")
    for name in ("title", "contentWebUrl", "languageTag"):
        _required(body, name)
    if "externalId" in body and body["externalId"] != external_id:
        raise GraphError(400, "BadRequest", "The property 'externalId' does not match the key of the request.")
    learning = _learning(ctx)
    with learning.lock:
        _provider(learning, params["provider"])
        contents = learning.contents[params["provider"]]
        existing = contents.get(external_id)
        content_id = existing["id"] if existing else str(uuid.uuid4())
        # Replaces the metadata of existing content (learningcontent-update.md).
        content = {"id": content_id, "externalId": external_id, **{k: body[k] for k in _CONTENT_FIELDS if k in body}}
        contents[external_id] = content
    answer = {"@odata.context": context_url(ctx, f"learningProviders('{params['provider']}')/learningContents/$entity"),
              **content}
    return json_response(answer, status=202)


def create_activity(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    body = _body(request)
    kind = body.get("@odata.type")
    if kind not in _KINDS:
        raise GraphError(400, "BadRequest", "The property '@odata.type' is required: "
                         "#microsoft.graph.learningAssignment or #microsoft.graph.learningSelfInitiatedCourse.")
    held = set((request.claims or {}).get("roles") or ())
    if _KINDS[kind] not in held:
        raise GraphError(403, *LEARNING_DENIED)
    content_id = _required(body, "learningContentId")
    learner = _required(body, "learnerUserId")
    status = body.get("status")
    if status not in _STATUSES:
        raise GraphError(400, "BadRequest", "The property 'status' is required: notStarted, inProgress or completed.")
    percentage = body.get("completionPercentage")
    if percentage is not None and (not isinstance(percentage, int) or isinstance(percentage, bool)
                                   or not 0 <= percentage <= 100):
        raise GraphError(400, "BadRequest", "The property 'completionPercentage' must be between 0 and 100.")
    if kind == "#microsoft.graph.learningAssignment" and body.get("assignmentType") not in (
            "required", "recommended", "peerRecommended"):
        raise GraphError(400, "BadRequest", "The property 'assignmentType' is required.")
    if ctx.state.find_directory_user(learner) is None:
        raise GraphError(400, "BadRequest", f"The learner '{learner}' is not a user of this tenant.")
    learning = _learning(ctx)
    with learning.lock:
        provider = _provider(learning, params["provider"])
        if not provider["isCourseActivitySyncEnabled"]:
            raise GraphError(400, "BadRequest", "This provider isn't enabled for the given tenant.")
        if not any(c["id"] == content_id for c in learning.contents[provider["id"]].values()):
            raise GraphError(404, "NotFound", f"The learning content '{content_id}' doesn't exist.")
        # The pages spell it externalCourseActivityId; Graph's metadata, and so msgraph-sdk, externalcourseActivityId.
        external = body.get("externalCourseActivityId") or body.get("externalcourseActivityId")
        activities = learning.activities[provider["id"]]
        key = str(external) if external else f"\0{uuid.uuid4()}"  # activities without one are not looked up
        if key in activities:
            raise GraphError(409, "Conflict", f"A course activity with externalCourseActivityId '{external}' "
                             "already exists for this provider.")
        activity = {k: v for k, v in body.items() if k != "registrationId"}
        activity.update({"id": f"{learner}:{uuid.uuid4()}", "learningProviderId": provider["id"]})
        activity.setdefault("completedDateTime", None)
        activity.setdefault("completionPercentage", None)
        if "externalcourseActivityId" not in activity:
            activity.setdefault("externalCourseActivityId", None)
        activities[key] = activity
    context = context_url(ctx, f"learningProviders('{provider['id']}')/learningCourseActivities"
                               f"('{activity['id']}')$entity")
    return json_response({"@odata.context": context, **activity}, status=201)


def get_activity(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    segment = params["activity"]
    match = _ACTIVITY_KEY.match(segment)
    if match is None or match.group("name") != _ACTIVITY_KEY_NAME:
        # Another key name (msgraph-sdk's externalcourseActivityId too) is not the documented secondary key.
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    quoted = _QUOTED.match(match.group("value"))
    if quoted is None:
        # OData string keys are quoted; the page's request is externalCourseActivityId='{externalCourseActivityId}'.
        raise GraphError(400, "BadRequest", f"The key value {match.group('value')!r} of the segment '{segment}' "
                         "must be a quoted string: externalCourseActivityId='{id}'.")
    external = quoted.group("text").replace("''", "'")
    learning = _learning(ctx)
    with learning.lock:
        provider = _provider(learning, params["provider"])
        if not provider["isCourseActivitySyncEnabled"]:
            raise GraphError(400, "BadRequest", "This provider isn't enabled for the given tenant.")
        activity = learning.activities[provider["id"]].get(external)
    if activity is None:
        # The page's wording, with its typographic apostrophe.
        raise GraphError(404, "NotFound", f"The requested assignment {external} doesn\u2019t exist.")
    context = context_url(ctx, f"learningProviders('{provider['id']}')/learningCourseActivities"
                               f"('{activity['id']}')$entity")
    return json_response({"@odata.context": context, **activity})


def register(router: Any) -> None:
    router.add("PATCH", "/employeeExperience/learningProviders/{provider}/{content}", upsert_content)
    router.add("POST", "/employeeExperience/learningProviders/{provider}/learningCourseActivities", create_activity)
    router.add("GET", "/employeeExperience/learningProviders/{provider}/{activity}", get_activity)


# ---- admin surface: what a Viva Learning admin sets up, and what tests read back -----------------------


def admin_add_provider(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """POST `{"displayName", "isCourseActivitySyncEnabled"}`: a provider registered in Viva Learning."""
    body = _body(request)
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise GraphError(400, "BadRequest", "displayName: expected a non-empty string")
    enabled = body.get("isCourseActivitySyncEnabled", True)
    if not isinstance(enabled, bool):
        raise GraphError(400, "BadRequest", "isCourseActivitySyncEnabled: expected true or false")
    return json_response(add_provider(ctx, name.strip(), enabled), status=201)


def admin_list_learning(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    """GET: every provider with its contents and course activities."""
    learning = _learning(ctx)
    with learning.lock:
        body = [
            {
                **provider,
                "learningContents": list(learning.contents[pid].values()),
                "learningCourseActivities": list(learning.activities[pid].values()),
            }
            for pid, provider in learning.providers.items()
        ]
    return json_response({"value": body})


def register_admin(router: Any) -> None:
    router.add("POST", "/learningProviders", admin_add_provider)
    router.add("GET", "/learningProviders", admin_list_learning)
