"""Change-notification subscriptions on a user's events: create (with the validation handshake and
the documented maximum lifetime), read, renew (PATCH) and delete."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.context import Context
from emulator.errors import GraphError
from emulator.model import Subscription
from emulator.notifications import validate_endpoint
from emulator.router import Router
from emulator.routes_common import context_url
from emulator.timeutil import parse_iso, utc_stamp
from emulator.wire import Request, Response, json_response

__all__ = ["MAX_MINUTES", "MAX_MINUTES_WITH_DATA", "register"]

# Outlook event subscriptions: 10,080 minutes (1,440 with resource data) in the current
# subscription.md; older versions said 4,230. The newer limit is enforced.
MAX_MINUTES = 10_080
MAX_MINUTES_WITH_DATA = 1_440
_RESOURCE = re.compile(r"^/?(?:users/([^/]+)|users\('([^']+)'\)|me)/(?:calendar/)?events$", re.IGNORECASE)
_CHANGES = ("created", "updated", "deleted")


def _json(sub: Subscription) -> dict[str, Any]:
    raw = sub.raw
    return {
        "id": sub.id,
        "resource": sub.resource,
        "applicationId": sub.application_id,
        "changeType": ",".join(c for c in _CHANGES if c in sub.change_types),
        "clientState": sub.client_state,
        "notificationUrl": sub.notification_url,
        "notificationQueryOptions": None,
        "lifecycleNotificationUrl": raw.get("lifecycleNotificationUrl"),
        "expirationDateTime": utc_stamp(sub.expiration),
        "creatorId": sub.creator_id,
        "includeResourceData": bool(raw.get("includeResourceData", False)),
        "latestSupportedTlsVersion": raw.get("latestSupportedTlsVersion", "v1_2"),
        "encryptionCertificate": raw.get("encryptionCertificate"),
        "encryptionCertificateId": raw.get("encryptionCertificateId"),
        "notificationUrlAppId": None,
        "notificationContentType": "application/json",
    }


def _expiration(raw: Any, with_data: bool) -> datetime:
    if not isinstance(raw, str):
        raise GraphError(400, "InvalidRequest", "expirationDateTime is required.")
    try:
        when = parse_iso(raw)
    except ValueError:
        raise GraphError(400, "InvalidRequest", f"expirationDateTime '{raw}' is not a date-time.") from None
    now = datetime.now(UTC)
    limit = MAX_MINUTES_WITH_DATA if with_data else MAX_MINUTES
    if when <= now:
        raise GraphError(400, "InvalidRequest", "Subscription expiration must be in the future.")
    if when > now + timedelta(minutes=limit):
        raise GraphError(400, "ExtensionError", f"Subscription expiration can only be {limit} minutes in the future.")
    return when


def create(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    body = request.json()
    if not isinstance(body, dict):
        raise GraphError(400, "InvalidRequest", "Expected a subscription object.")
    resource = str(body.get("resource", ""))
    match = _RESOURCE.match(resource)
    if not match:
        raise GraphError(400, "InvalidRequest", f"The emulator supports subscriptions to users/{{id}}/events only, "
                         f"not '{resource}'.")
    claims = request.claims or {}
    key = match.group(1) or match.group(2) or str(claims.get("oid", ""))
    user = ctx.state.find_user(key)
    if user is None:
        raise GraphError(404, "ResourceNotFound", f"The user '{key}' was not found.")
    changes = {c.strip() for c in str(body.get("changeType", "")).split(",") if c.strip()}
    if not changes or not changes <= set(_CHANGES):
        raise GraphError(400, "InvalidRequest", "changeType must be a comma-separated list of created, updated, "
                         "deleted.")
    client_state = body.get("clientState")
    if client_state is not None and (not isinstance(client_state, str) or len(client_state) > 128):
        raise GraphError(400, "InvalidRequest", "clientState must be a string of at most 128 characters.")
    # concepts/change-notifications-delivery-webhooks.md: both URLs must be https, and both are validated.
    url = body.get("notificationUrl")
    if not isinstance(url, str) or not url.lower().startswith("https://"):
        raise GraphError(400, "InvalidRequest", "Invalid notification url. NotificationUrl must be an https URL.")
    lifecycle_url = body.get("lifecycleNotificationUrl")
    if lifecycle_url is not None and (not isinstance(lifecycle_url, str) or not lifecycle_url.lower().startswith("https://")):
        raise GraphError(400, "InvalidRequest",
                         "Invalid lifecycle notification url. LifecycleNotificationUrl must be an https URL.")
    with_data = bool(body.get("includeResourceData"))
    if with_data and not body.get("encryptionCertificate"):
        raise GraphError(400, "InvalidRequest", "encryptionCertificate is required when includeResourceData is true.")
    expiration = _expiration(body.get("expirationDateTime"), with_data)
    # Outside the state lock: the endpoint may call the emulator back.
    problem = validate_endpoint(url)
    if problem is None and lifecycle_url is not None and lifecycle_url != url:
        problem = validate_endpoint(lifecycle_url)
    if problem is not None:
        raise GraphError(400, "InvalidRequest", "Subscription validation request failed. Notification endpoint "
                         f"must respond with 200 OK to validation request. ({problem})")
    subscription = Subscription(
        id=str(uuid.uuid4()),
        user_id=user.id,
        resource=resource,
        change_types=changes,
        notification_url=url,
        expiration=expiration,
        client_state=client_state,
        application_id=str(claims.get("appid", "")),
        creator_id=str(claims.get("oid", "")),
        raw=dict(body),
    )
    ctx.state.add_subscription(subscription)
    return json_response({"@odata.context": context_url(ctx, "subscriptions/$entity"), **_json(subscription)},
                         status=201)


def _find(ctx: Context, subscription_id: str) -> Subscription:
    subscription = ctx.state.subscriptions.get(subscription_id)
    if subscription is None:
        raise GraphError(404, "ResourceNotFound", f"The object was not found: subscription {subscription_id}.")
    return subscription


def get(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    subscription = _find(ctx, params["id"])
    return json_response({"@odata.context": context_url(ctx, "subscriptions/$entity"), **_json(subscription)})


def list_all(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    value = [_json(s) for s in ctx.state.subscriptions.values()]
    return json_response({"@odata.context": context_url(ctx, "subscriptions"), "value": value})


def renew(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    subscription = _find(ctx, params["id"])
    body = request.json()
    if not isinstance(body, dict):
        raise GraphError(400, "InvalidRequest", "Expected a subscription object.")
    with_data = bool(subscription.raw.get("includeResourceData"))
    subscription.expiration = _expiration(body.get("expirationDateTime"), with_data)
    return json_response({"@odata.context": context_url(ctx, "subscriptions/$entity"), **_json(subscription)})


def delete(ctx: Context, request: Request, params: dict[str, str]) -> Response:
    _find(ctx, params["id"])
    ctx.state.subscriptions.pop(params["id"], None)
    return Response(204)


def register(router: Router) -> None:
    router.add("POST", "/subscriptions", create, locked=False)
    router.add("GET", "/subscriptions", list_all)
    router.add("GET", "/subscriptions/{id}", get)
    router.add("PATCH", "/subscriptions/{id}", renew)
    router.add("DELETE", "/subscriptions/{id}", delete)
