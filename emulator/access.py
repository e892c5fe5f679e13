"""What a real tenant allows an app, and the ways real tenants differ from a tidy seed.

- App roles per route (`concepts/permissions-reference.md` and each API page's "Permissions" table): an
  app-only token without one of the route's roles gets 403, with the code the service answers with.
- The Teams application access policy (`concepts/cloud-communication-online-meeting-application-access-policy.md`):
  app-only calls to a user's onlineMeetings and their attendance are refused until a policy covers that
  user, 403 `Forbidden` "No application access policy found for this app." (docs-contrib issue #470).
- Exchange RBAC for Applications (`mailScope`): app-only mail calls (sendMail, Sent Items) for a mailbox
  outside the management scope of the app's "Application Mail.Send" / "Application Mail.Read" role
  assignments get 403 `ErrorAccessDenied` "Access is denied. Check credentials and try again." No page
  documents an answer for RBAC for Applications (Exchange's `permissions-exo/application-rbac.md` gives none);
  this is Exchange's generic denial, the same as without the permission, so a client cannot tell a missing
  scope from a missing permission by the message (strict: nothing to rely on).
- A legacy Exchange application access policy (`mailAccessPolicy`, New-ApplicationAccessPolicy
  -AccessRight RestrictAccess): app-only calls to any mailbox data it restricts (mail, calendars, mailbox
  settings: the page's "Supported permissions") for a mailbox outside the policy's group get 403
  `ErrorAccessDenied` "Access to OData is disabled.", the answer documented only for application access
  policies (`concepts/auth-limit-mailbox-access.md`, "Handling API errors"; docs-contrib issue #8731).
- Users without a Teams licence (events created with `isOnlineMeeting: true` come back without a Teams
  meeting, docs-contrib #4625 / #4627), and attendance records with an empty `emailAddress` (#3198).

Delegated tokens are checked by the routes themselves (organizer only, and so on), not here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import GraphError

__all__ = ["LEARNING_DENIED", "ROUTE_ROLES", "AccessRules", "parse_access_rules"]

_MAILBOX_DENIED = ("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
_DIRECTORY_DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
_CALENDAR_READ = ("Calendars.Read", "Calendars.ReadWrite")
_CALENDAR_WRITE = ("Calendars.ReadWrite",)

# learningcourseactivity-get.md, "Error Conditions": the Viva Learning APIs' 403.
LEARNING_DENIED = ("Forbidden", "Your account doesn't have access to this report or data. Contact your global "
                   "administrator to request access.")

# route name → (any of these app roles, error code, message)
ROUTE_ROLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "GET /users": (("User.Read.All", "User.ReadWrite.All", "Directory.Read.All"), *_DIRECTORY_DENIED),
    "GET /users/{user}": (("User.Read.All", "User.ReadWrite.All", "Directory.Read.All"), *_DIRECTORY_DENIED),
    "GET /users/{user}/mailboxSettings": (("MailboxSettings.Read", "MailboxSettings.ReadWrite"), *_MAILBOX_DENIED),
    "GET /users/{user}/mailboxSettings/{property}": (
        ("MailboxSettings.Read", "MailboxSettings.ReadWrite"), *_MAILBOX_DENIED),
    "POST /users/{user}/calendar/getSchedule": (_CALENDAR_READ, *_MAILBOX_DENIED),
    "GET /users/{user}/calendarView": (_CALENDAR_READ, *_MAILBOX_DENIED),
    "GET /users/{user}/calendarView/delta": (_CALENDAR_READ, *_MAILBOX_DENIED),
    "GET /users/{user}/events": (_CALENDAR_READ, *_MAILBOX_DENIED),
    "GET /users/{user}/events/{event}": (_CALENDAR_READ, *_MAILBOX_DENIED),
    "POST /users/{user}/events": (_CALENDAR_WRITE, *_MAILBOX_DENIED),
    "PATCH /users/{user}/events/{event}": (_CALENDAR_WRITE, *_MAILBOX_DENIED),
    "DELETE /users/{user}/events/{event}": (_CALENDAR_WRITE, *_MAILBOX_DENIED),
    "POST /users/{user}/events/{event}/cancel": (_CALENDAR_WRITE, *_MAILBOX_DENIED),
    "POST /users/{user}/events/{event}/accept": (_CALENDAR_WRITE, *_MAILBOX_DENIED),
    "POST /users/{user}/events/{event}/tentativelyAccept": (_CALENDAR_WRITE, *_MAILBOX_DENIED),
    "POST /users/{user}/events/{event}/decline": (_CALENDAR_WRITE, *_MAILBOX_DENIED),
    # api/onlinemeeting-get.md: OnlineMeetings.Read.All or OnlineMeetings.ReadWrite.All (application).
    "GET /users/{user}/onlineMeetings": (
        ("OnlineMeetings.Read.All", "OnlineMeetings.ReadWrite.All"), *_DIRECTORY_DENIED),
    "GET /users/{user}/onlineMeetings/{meeting}": (
        ("OnlineMeetings.Read.All", "OnlineMeetings.ReadWrite.All"), *_DIRECTORY_DENIED),
    # api/meetingattendancereport-list.md, -get.md, attendancerecord-list.md: OnlineMeetingArtifact.Read.All.
    "GET /users/{user}/onlineMeetings/{meeting}/attendanceReports": (
        ("OnlineMeetingArtifact.Read.All",), *_DIRECTORY_DENIED),
    "GET /users/{user}/onlineMeetings/{meeting}/attendanceReports/{report}": (
        ("OnlineMeetingArtifact.Read.All",), *_DIRECTORY_DENIED),
    "GET /users/{user}/onlineMeetings/{meeting}/attendanceReports/{report}/attendanceRecords": (
        ("OnlineMeetingArtifact.Read.All",), *_DIRECTORY_DENIED),
    # api/subscription-post-subscriptions.md: the resource's own read permission (events: Calendars.Read).
    # api/user-sendmail.md: Mail.Send is the only application permission.
    "POST /users/{user}/sendMail": (("Mail.Send",), *_MAILBOX_DENIED),
    # api/singlevaluelegacyextendedproperty-get.md: messages by extended property need Mail.Read.
    "GET /users/{user}/mailFolders/{folder}/messages": (("Mail.Read", "Mail.ReadWrite"), *_MAILBOX_DENIED),
    "POST /subscriptions": (_CALENDAR_READ, "ExtensionError",
                            "Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied.]"),
    # Viva Learning (emulator/routes_learning.py cites the pages): content upsert, course activities.
    "PATCH /employeeExperience/learningProviders/{provider}/{content}": (
        ("LearningContent.ReadWrite.All",), *LEARNING_DENIED),
    "POST /employeeExperience/learningProviders/{provider}/learningCourseActivities": (
        ("LearningAssignedCourse.ReadWrite.All", "LearningSelfInitiatedCourse.ReadWrite.All"), *LEARNING_DENIED),
    "GET /employeeExperience/learningProviders/{provider}/{activity}": (
        ("LearningAssignedCourse.Read.All", "LearningSelfInitiatedCourse.Read.All",
         "LearningAssignedCourse.ReadWrite.All", "LearningSelfInitiatedCourse.ReadWrite.All"), *LEARNING_DENIED),
}

_POLICY_DENIED = GraphError(403, "Forbidden", "No application access policy found for this app.")
# RBAC for Applications: no documented answer for a mailbox outside the role assignment's scope; Exchange's
# generic denial (the one without the permission at all), see the module docstring.
_MAIL_SCOPE_DENIED = GraphError(403, *_MAILBOX_DENIED)
# concepts/auth-limit-mailbox-access.md, "Handling API errors": documented for application access policies only.
_MAIL_POLICY_DENIED = GraphError(403, "ErrorAccessDenied", "Access to OData is disabled.")
_MAIL_ROUTES = ("POST /users/{user}/sendMail", "GET /users/{user}/mailFolders/{folder}/messages")
# A user without an Exchange Online mailbox (no licence, or a mailbox on premises): every mailbox route
# (mailbox settings, calendar, events, mail) answers 404 MailboxNotEnabledForRESTAPI; the directory entry
# is still there. Source: docs-contrib issue #6519 (and docs issue #10745: an EXO licence is needed).
_NO_MAILBOX = GraphError(404, "MailboxNotEnabledForRESTAPI", "REST API is not yet supported for this mailbox.")


def _is_mailbox_route(route: str) -> bool:
    _, _, path = route.partition(" ")
    return path.startswith("/users/{user}/") and "/onlineMeetings" not in path
# The Exchange mailbox routes an application access policy restricts (mail, calendars, mailbox settings).
_EXCHANGE_ROUTES = frozenset(r for r, (_, code, _m) in ROUTE_ROLES.items() if code == _MAILBOX_DENIED[0])


@dataclass
class AccessRules:
    """The tenant's Teams application access policy and its people's quirks; thread-safe."""

    policy_global: bool = False
    policy_users: set[str] = field(default_factory=set)  # user ids the policy is granted to
    without_teams: set[str] = field(default_factory=set)  # user ids
    attendance_without_email: set[str] = field(default_factory=set)  # user ids
    without_mailbox: set[str] = field(default_factory=set)  # user ids with no Exchange Online mailbox
    mail_scope: set[str] | None = None  # user ids the app's RBAC for Applications mail scope covers; None = unscoped
    mail_policy: set[str] | None = None  # user ids a legacy application access policy allows; None = no policy
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, route: str, params: Mapping[str, str], claims: Mapping[str, Any] | None,
              user_id: str | None) -> None:
        """Raise the 403 Graph answers an app-only call the tenant does not allow."""
        if user_id is not None and _is_mailbox_route(route) and self.lacks_mailbox(user_id):
            raise _NO_MAILBOX
        if (claims or {}).get("idtyp") != "app":
            return
        needed = ROUTE_ROLES.get(route)
        if needed is not None:
            held = set((claims or {}).get("roles") or ())
            roles, code, message = needed
            if not held.intersection(roles):
                raise GraphError(403, code, message)
        if "/onlineMeetings" in route and "{user}" in route and not self.covers(user_id):
            raise _POLICY_DENIED
        if route in _EXCHANGE_ROUTES and not self.policy_allows(user_id):
            raise _MAIL_POLICY_DENIED
        if route in _MAIL_ROUTES and not self.mail_allowed(user_id):
            raise _MAIL_SCOPE_DENIED

    def policy_allows(self, user_id: str | None) -> bool:
        with self._lock:
            return self.mail_policy is None or (user_id is not None and user_id in self.mail_policy)

    def mail_allowed(self, user_id: str | None) -> bool:
        with self._lock:
            return self.mail_scope is None or (user_id is not None and user_id in self.mail_scope)

    def covers(self, user_id: str | None) -> bool:
        with self._lock:
            return self.policy_global or (user_id is not None and user_id in self.policy_users)

    def lacks_mailbox(self, user_id: str) -> bool:
        with self._lock:
            return user_id in self.without_mailbox

    def has_teams(self, user_id: str) -> bool:
        with self._lock:
            return user_id not in self.without_teams

    def hides_email(self, user_id: str) -> bool:
        with self._lock:
            return user_id in self.attendance_without_email

    def update(self, changes: Mapping[str, Any]) -> None:
        with self._lock:
            if "policy_global" in changes:
                self.policy_global = bool(changes["policy_global"])
            for name in ("policy_users", "without_teams", "attendance_without_email", "without_mailbox"):
                if name in changes:
                    setattr(self, name, set(changes[name]))
            for name in ("mail_scope", "mail_policy"):
                if name in changes:
                    scope = changes[name]
                    setattr(self, name, None if scope is None else set(scope))

    def describe(self, name_of: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            def names(ids: Iterable[str]) -> list[str]:
                return sorted(name_of.get(i, i) for i in ids)

            return {
                "teamsAccessPolicy": {"global": self.policy_global, "users": names(self.policy_users)},
                "withoutTeams": names(self.without_teams),
                "attendanceWithoutEmail": names(self.attendance_without_email),
                "withoutMailbox": names(self.without_mailbox),
                "mailScope": None if self.mail_scope is None else names(self.mail_scope),
                "mailAccessPolicy": None if self.mail_policy is None else names(self.mail_policy),
            }


def parse_access_rules(value: Any, path: str, resolve: Any) -> dict[str, Any]:
    """`{"teamsAccessPolicy": {"global", "users"}, "withoutTeams": [upn], "attendanceWithoutEmail": [upn],
    "withoutMailbox": [upn], "mailScope": [upn] | null}`
    (the seed's `emulator` section, or an admin PATCH) → changes for `AccessRules.update`; `resolve`
    maps a UPN, mail or id to a user id or None. Raises ValueError("path: message")."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{path}: expected an object")
    known = {"teamsAccessPolicy", "withoutTeams", "attendanceWithoutEmail", "withoutMailbox", "mailScope",
             "mailAccessPolicy"}
    unknown = set(value) - known
    if unknown:
        raise ValueError(f"{path}.{sorted(unknown)[0]}: unknown field")

    def users(raw: Any, here: str) -> set[str]:
        if not isinstance(raw, list) or not all(isinstance(u, str) for u in raw):
            raise ValueError(f"{here}: expected a list of user principal names")
        ids = set()
        for i, key in enumerate(raw):
            user_id = resolve(key)
            if user_id is None:
                raise ValueError(f"{here}[{i}]: no user {key!r} in the tenant")
            ids.add(user_id)
        return ids

    changes: dict[str, Any] = {}
    if "teamsAccessPolicy" in value:
        policy = value["teamsAccessPolicy"]
        here = f"{path}.teamsAccessPolicy"
        if not isinstance(policy, Mapping) or set(policy) - {"global", "users"}:
            raise ValueError(f"{here}: expected {{\"global\": bool, \"users\": [upn]}}")
        if not isinstance(policy.get("global", False), bool):
            raise ValueError(f"{here}.global: expected true or false")
        changes["policy_global"] = policy.get("global", False)
        changes["policy_users"] = users(policy.get("users", []), f"{here}.users")
    for key, name in (
        ("withoutTeams", "without_teams"),
        ("attendanceWithoutEmail", "attendance_without_email"),
        ("withoutMailbox", "without_mailbox"),
    ):
        if key in value:
            changes[name] = users(value[key], f"{path}.{key}")
    if "mailScope" in value:  # the mailboxes Exchange RBAC for Applications lets the app reach; null = all
        raw = value["mailScope"]
        changes["mail_scope"] = None if raw is None else users(raw, f"{path}.mailScope")
    if "mailAccessPolicy" in value:  # a legacy application access policy's group members; null = no policy
        raw = value["mailAccessPolicy"]
        changes["mail_policy"] = None if raw is None else users(raw, f"{path}.mailAccessPolicy")
    return changes
