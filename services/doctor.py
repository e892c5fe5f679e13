"""Use case: is this tenant ready for micromentor? (`micromentor doctor`, GET /api/admin/doctor)

A list of small checks, each answering `Check`s that are ok, warn or fail, with the fix. Finding
misconfigurations is the point, so a check never raises for one: every failure becomes a line.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

import httpx

from graph.config import GraphSettings
from graph.errors import GraphAuthError, GraphError, GraphNotFound
from graph.gateway import GraphGateway
from services.health import attendance_denied
from services.requests import CatalogueError, load_catalogue
from store.base import Store

if TYPE_CHECKING:  # store.queues loads the Azure queue SDK (~150 ms): only when a queue is configured
    from store.queues import Queues

__all__ = [
    "DOCTOR_QUEUE",
    "PROBE_CHECKPOINT",
    "PROBE_JOIN_URL",
    "REQUIRED_ROLES",
    "Check",
    "DoctorInput",
    "check_local_defaults",
    "check_mail_sender",
    "check_notification_url",
    "check_queue",
    "check_roles",
    "check_store",
    "check_token",
    "checks_to_json",
    "explain_token_error",
    "failed",
    "format_text",
    "run_doctor",
    "token_roles",
]

Status = Literal["ok", "warn", "fail"]
PROBE_CHECKPOINT = "doctor:probe"
DOCTOR_QUEUE = "micromentor-doctor"  # its own queue: the probe never touches sync work
# Shaped like a real join URL, so that Graph answers "not found" (404 3004), not "malformed".
PROBE_JOIN_URL = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_micromentordoctorprobe%40thread.v2/0"
HANDSHAKE_SECONDS = 10.0  # Graph's limit for the validation answer
MENTORS_AT_ONCE = 4  # Outlook runs 4 requests of an app at once, whichever mailboxes (throttling-limits.md)
CONSENT = (
    "in the app registration (API permissions → Microsoft Graph → Application permissions), then Grant admin consent"
)

# (any of these roles, what breaks without them)
REQUIRED_ROLES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("Calendars.ReadWrite",), "free/busy, booking the Teams meetings and calendar sync"),
    (("MailboxSettings.Read", "MailboxSettings.ReadWrite"), "mailbox time zones and working hours (slots)"),
    (("User.Read.All", "User.ReadWrite.All", "Directory.Read.All"), "people, object ids and report segments"),
    (("OnlineMeetings.Read.All", "OnlineMeetings.ReadWrite.All"), "finding a session's Teams meeting (attendance)"),
    (("OnlineMeetingArtifact.Read.All",), "attendance reports: completion and no-shows"),
)
_DEV_LINK_SECRET = "change-me"  # micromentor.settings' local defaults; services do not import the app's settings
_DEV_CLIENT_STATE = "micromentor-local-state"
_MIN_SECRET_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


class DoctorSettings(Protocol):
    @property
    def public_url(self) -> str: ...

    @property
    def link_secret(self) -> str: ...

    @property
    def notification_state(self) -> str: ...


@dataclass(frozen=True, slots=True)
class DoctorInput:
    """What to check. `real_tenant` False = the emulator (local defaults and http URLs only warn)."""

    graph: GraphSettings | None
    settings: DoctorSettings
    open_store: Callable[[], Store]
    now: datetime
    real_tenant: bool
    mentors: Sequence[str] = ()
    mentors_file: str | None = None
    queues: Queues | None = None
    mail_sender: str | None = None  # MICROMENTOR_MAIL_SENDER: the outcome messages' sender mailbox
    handshake: Callable[[str], Awaitable[str | None]] = field(default=lambda url: validation_handshake(url))


def failed(checks: Iterable[Check]) -> bool:
    return any(c.status == "fail" for c in checks)


def checks_to_json(checks: Sequence[Check]) -> dict[str, Any]:
    return {"checks": [c.to_json() for c in checks]}


def format_text(checks: Sequence[Check]) -> str:
    width = max((len(c.name) for c in checks), default=0)
    lines = []
    for c in checks:
        fix = f" — fix: {c.fix}" if c.fix else ""
        lines.append(f"{c.status:<4}  {c.name:<{width}}  {c.detail}{fix}")
    return "\n".join(lines) + "\n"


def _error_text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _without_trace(message: str) -> str:
    """Entra ID's description without its Trace ID, Correlation ID and Timestamp (noise on one line)."""
    return message.split(" Trace ID:", 1)[0].strip()


# --- 1. the token ----------------------------------------------------------------------------------


def explain_token_error(settings: GraphSettings, code: str | None, message: str) -> tuple[str, str]:
    """(what is wrong, the fix) for a token the authority refused, by its AADSTS code or OAuth error."""
    text = f"{code or ''} {message}"
    if settings.certificate_path:
        credential = f"the certificate {settings.certificate_path} (MICROMENTOR_CERTIFICATE_PATH)"
        renew = "upload the certificate's public key to the app registration (Certificates & secrets) or point "
        renew += "MICROMENTOR_CERTIFICATE_PATH at the PEM whose certificate is registered"
    else:
        credential = "the client secret (MICROMENTOR_CLIENT_SECRET)"
        renew = "create a new client secret in the app registration (Certificates & secrets) and set "
        renew += "MICROMENTOR_CLIENT_SECRET to its value (not its id)"
    if "AADSTS700016" in text or code == "unauthorized_client":
        return (
            f"the client id {settings.client_id} is unknown in tenant {settings.tenant_id}",
            "set MICROMENTOR_CLIENT_ID to the app registration's Application (client) ID, in this tenant",
        )
    if any(c in text for c in ("AADSTS90002", "AADSTS900023", "AADSTS90072")) or "authority configuration" in text:
        return (
            f"the tenant {settings.tenant_id} is unknown at {settings.authority_url}",
            "set MICROMENTOR_TENANT_ID to the Directory (tenant) ID of the app registration",
        )
    if any(c in text for c in ("AADSTS7000215", "AADSTS7000222", "AADSTS700027", "AADSTS700024")) or (
        code == "invalid_client"
    ):
        return f"{credential} was refused", renew
    if "no client secret or certificate" in text:
        return "no credential is configured", "set MICROMENTOR_CLIENT_SECRET or MICROMENTOR_CERTIFICATE_PATH"
    return (
        f"the authority {settings.authority_url} refused a token",
        "check MICROMENTOR_TENANT_ID, MICROMENTOR_CLIENT_ID and the credential against the app registration",
    )


async def check_token(graph: GraphGateway | None, settings: GraphSettings | None) -> tuple[Check, str | None]:
    if graph is None or settings is None:
        return Check(
            "token",
            "fail",
            "no Graph configured",
            "set MICROMENTOR_TENANT_ID, MICROMENTOR_CLIENT_ID and MICROMENTOR_CLIENT_SECRET (or a certificate), "
            "or pass --tenant SEED.json for the emulator",
        ), None
    who = f"client {settings.client_id} in tenant {settings.tenant_id}"
    try:
        token = await graph.token()
    except GraphAuthError as exc:
        what, fix = explain_token_error(settings, exc.code, str(exc))
        return Check("token", "fail", f"{who}: {what} ({_without_trace(str(exc))})", fix), None
    except OSError as exc:  # an unreadable certificate file, or the authority unreachable
        what, fix = explain_token_error(settings, None, _error_text(exc))
        if settings.certificate_path and getattr(exc, "filename", None):
            what, fix = f"cannot read {exc.filename}", "point MICROMENTOR_CERTIFICATE_PATH at a readable PEM"
        return Check("token", "fail", f"{who}: {what} ({_error_text(exc)})", fix), None
    except Exception as exc:  # msal raises ValueError for an authority it cannot discover
        what, fix = explain_token_error(settings, None, _error_text(exc))
        return Check("token", "fail", f"{who}: {what} ({type(exc).__name__}: {exc})", fix), None
    return Check("token", "ok", f"{who}: token from {settings.authority_url}"), token


# --- 2. app roles ----------------------------------------------------------------------------------


def token_roles(token: str) -> frozenset[str] | None:
    """The `roles` claim of a JWT we just got from the authority (no signature check: it came from there)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    roles = claims.get("roles") if isinstance(claims, dict) else None
    return frozenset(str(r) for r in roles) if isinstance(roles, list) else frozenset()


def check_roles(token: str) -> list[Check]:
    held = token_roles(token)
    if held is None:
        return [Check("app-roles", "warn", "the token is not a JWT: cannot read its roles", None)]
    missing = [(roles, breaks) for roles, breaks in REQUIRED_ROLES if not held.intersection(roles)]
    if not missing:
        return [Check("app-roles", "ok", "all needed: " + ", ".join(sorted(held.intersection(_all_roles()))))]
    return [
        Check(
            "app-roles",
            "fail",
            f"{' or '.join(roles)} missing: {breaks} will fail",
            f"grant {roles[0]} {CONSENT}",
        )
        for roles, breaks in missing
    ]


def _all_roles() -> set[str]:
    return {r for roles, _ in REQUIRED_ROLES for r in roles}


# --- 3 and 4. each mentor's mailbox and Teams access policy ------------------------------------------


def gather_mentors(
    explicit: Sequence[str], mentors_file: str | None, store: Store | None
) -> tuple[list[str], list[Check]]:
    """--mentor, then the mentors file, then mentors of stored sessions; each once."""
    found: list[str] = [m.strip().lower() for m in explicit if m.strip()]
    checks: list[Check] = []
    if mentors_file:
        try:
            found.extend(m.upn for m in load_catalogue(mentors_file).mentors)
        except CatalogueError as exc:
            fix = 'make MICROMENTOR_MENTORS_FILE a JSON list of {"upn", "skills": [...]}'
            checks.append(Check("mentors-file", "fail", exc.message, fix))
    if store is not None:
        try:
            found.extend(s.mentor.lower() for s in store.list_sessions())
        except Exception as exc:  # the store check reports the store itself
            checks.append(Check("mentors", "warn", f"mentors of stored sessions not read: {_error_text(exc)}"))
    return list(dict.fromkeys(found)), checks


def _denied_role(exc: GraphAuthError, role: str) -> str:
    return f"{exc} (the app role {role} is missing or not consented)"


async def check_mailbox(graph: GraphGateway, upn: str, now: datetime) -> Check:
    try:
        mailboxes = await graph.get_mailboxes([upn])
    except GraphAuthError as exc:
        return Check(
            "mailbox",
            "fail",
            f"{upn}: mailboxSettings refused: {_denied_role(exc, 'MailboxSettings.Read')}",
            f"grant MailboxSettings.Read {CONSENT}; if an Exchange application access policy limits the "
            f"app's mailboxes, add {upn} to its group",
        )
    except GraphError as exc:
        return Check("mailbox", "fail", f"{upn}: mailboxSettings: {exc}", "check the mailbox exists and retry")
    if upn.lower() not in {u.lower() for u in mailboxes}:
        return Check(
            "mailbox",
            "fail",
            f"{upn}: no such user or no mailbox",
            "correct the UPN (--mentor, MICROMENTOR_MENTORS_FILE or the stored session) or license a mailbox",
        )
    try:
        schedules = await graph.get_schedules(upn, [upn], now, now + timedelta(days=1), 30)
    except GraphAuthError as exc:
        return Check(
            "mailbox",
            "fail",
            f"{upn}: getSchedule refused: {_denied_role(exc, 'Calendars.ReadWrite')}",
            f"grant Calendars.ReadWrite {CONSENT}",
        )
    except GraphError as exc:
        return Check("mailbox", "fail", f"{upn}: getSchedule: {exc}", "check the mailbox exists and retry")
    schedule = schedules.get(upn) or next(iter(schedules.values()), None)
    if schedule is None or schedule.error:
        why = schedule.error if schedule is not None else "no answer for this mailbox"
        return Check(
            "mailbox",
            "fail",
            f"{upn}: free/busy not readable: {why}",
            "check the mailbox is an Exchange Online mailbox in this tenant",
        )
    return Check("mailbox", "ok", f"{upn}: mailbox settings ({mailboxes[upn].tz}) and free/busy readable")


def _grant(upn: str, client_id: str) -> str:
    return (
        f"Grant-CsApplicationAccessPolicy -PolicyName micromentor -Identity {upn} (or -Global), after "
        f"New-CsApplicationAccessPolicy -Identity micromentor -AppIds {client_id}; allow up to 30 minutes"
    )


async def check_teams_policy(graph: GraphGateway, upn: str, object_id: str) -> Check:
    """Any answer to a join-URL lookup, even an empty one, means app-only calls to this mentor's meetings
    (and so their attendance reports) are allowed."""
    try:
        found = await graph.find_meetings(object_id, [PROBE_JOIN_URL])
    except GraphAuthError as exc:
        if "application access policy" in str(exc).lower():
            return Check(
                "teams-access-policy", "fail", f"{upn}: {_graph_words(str(exc))}", _grant(upn, graph.settings.client_id)
            )
        return Check(
            "teams-access-policy",
            "fail",
            f"{upn}: onlineMeetings refused: {_denied_role(exc, 'OnlineMeetings.Read.All')}",
            f"grant OnlineMeetings.Read.All {CONSENT}",
        )
    except GraphError as exc:
        return Check(
            "teams-access-policy",
            "fail",
            f"{upn}: onlineMeetings: {exc}",
            "retry; if it persists, check the mentor has a Teams licence",
        )
    if PROBE_JOIN_URL not in found:  # the lookup answered neither a collection nor a refusal
        return Check(
            "teams-access-policy",
            "fail",
            f"{upn}: the online meeting lookup could not be read",
            "check the mentor is a user with a Teams licence in this tenant",
        )
    return Check("teams-access-policy", "ok", f"{upn}: online meetings readable (attendance reports will be)")


def _graph_words(message: str) -> str:
    """Graph's own words, without our 'GET …: Graph answered 403 Forbidden:' prefix."""
    said = re.search(r"Graph answered \d{3}(?: [^:\s]+)?: (.+)$", message, re.DOTALL)
    return said.group(1).strip() if said else message


async def check_mentor(graph: GraphGateway, upn: str, now: datetime) -> list[Check]:
    object_id = upn
    try:
        object_id = (await graph.get_user(upn)).id
    except GraphNotFound:
        return [
            Check(
                "mailbox",
                "fail",
                f"{upn}: no such user in the directory",
                "correct the UPN (--mentor, MICROMENTOR_MENTORS_FILE or the stored session)",
            )
        ]
    except GraphError as exc:
        # onlineMeetings take the object id only (a UPN there is an empty 403, Microsoft Q&A 2169311), so
        # without it the policy cannot be probed: say what is missing instead of blaming the policy.
        return [
            await check_mailbox(graph, upn, now),
            Check(
                "teams-access-policy",
                "fail",
                f"{upn}: not checked: the mentor's object id could not be read ({_graph_words(str(exc))})",
                f"grant User.Read.All {CONSENT}",
            ),
        ]
    return [await check_mailbox(graph, upn, now), await check_teams_policy(graph, upn, object_id)]


# --- the outcome messages' sender mailbox -----------------------------------------------------------

_SENDER_PROBE_KEY = "micromentor-doctor-probe"  # a message key no outcome message carries
_POLICY_DENIAL = "Access to OData is disabled."  # auth-limit-mailbox-access.md: an application access policy


def _mail_fix(role: str, sender: str, client_id: str, denied: GraphAuthError) -> str:
    """The fix for a refused mail call: the application access policy when Graph says so (its documented
    message), else the permission and its RBAC for Applications scope (whose denial says no more than a
    missing permission does)."""
    if _POLICY_DENIAL in str(denied):
        return (f"an Exchange application access policy leaves {sender} out: add {sender} to the policy's "
                f"group, or move the app to RBAC for Applications (New-ManagementRoleAssignment -App {client_id} "
                f"-Role \"Application {role}\" -CustomResourceScope <scope covering {sender}>)")
    return (f"give the app {role} on {sender} with RBAC for Applications, in Exchange Online PowerShell: "
            f"New-ManagementRoleAssignment -App {client_id} -Role \"Application {role}\" -CustomResourceScope "
            f"<a management scope whose filter matches {sender}>; if the role is assigned, the scope does not "
            f"cover {sender}: Test-ServicePrincipalAuthorization -Identity {client_id} -Resource {sender} must "
            f"show InScope True for \"Application {role}\"")


def _mail_denied(role: str, sender: str, roles: frozenset[str] | None, denied: GraphAuthError) -> str:
    if _POLICY_DENIAL in str(denied):
        why = "outside the app's Exchange application access policy"
    elif roles is not None and role in roles:
        why = f"the token carries {role}, so {sender} is outside the scope of the app's mail roles"
    else:
        why = f"{role} is neither in the token nor assigned to the app for {sender} through RBAC for Applications"
    return f"{sender}: refused ({why}): {_without_trace(str(denied))}"


async def check_mail_sender(
    graph: GraphGateway, sender: str, client_id: str, roles: frozenset[str] | None
) -> list[Check]:
    """The outcome messages' sender mailbox (MICROMENTOR_MAIL_SENDER): it exists, the app may send as it
    (Mail.Send) and read its Sent Items (Mail.Read, the lookup that keeps a message from going twice).
    Nothing is sent: the send probe has no recipients (graph/mail.py `probe_send`)."""
    name = "mail-sender"
    try:
        await graph.get_user(sender)
    except GraphNotFound:
        return [Check(name, "fail", f"{sender}: no such user in the tenant (MICROMENTOR_MAIL_SENDER)",
                      "set MICROMENTOR_MAIL_SENDER to a licensed mailbox of the tenant, e.g. mentoring@contoso.com")]
    except GraphError as exc:
        return [Check(name, "fail", f"{sender}: directory lookup failed: {_without_trace(str(exc))}",
                      f"grant User.Read.All {CONSENT}")]
    problems: list[Check] = []
    try:
        await graph.was_sent(sender, _SENDER_PROBE_KEY)
    except GraphAuthError as exc:
        problems.append(Check(name, "fail", "Sent Items: " + _mail_denied("Mail.Read", sender, roles, exc),
                              _mail_fix("Mail.Read", sender, client_id, exc)))
    except GraphNotFound as exc:
        return [Check(name, "fail", f"{sender}: no mailbox ({_without_trace(str(exc))})",
                      f"license an Exchange Online mailbox for {sender} or choose another MICROMENTOR_MAIL_SENDER")]
    except GraphError as exc:
        problems.append(Check(name, "fail", f"{sender}: Sent Items: {_without_trace(str(exc))}", "retry"))
    try:
        accepted = await graph.probe_send(sender)
    except GraphAuthError as exc:
        problems.append(Check(name, "fail", "sendMail: " + _mail_denied("Mail.Send", sender, roles, exc),
                              _mail_fix("Mail.Send", sender, client_id, exc)))
    except GraphError as exc:
        problems.append(Check(name, "fail", f"{sender}: sendMail probe: {_without_trace(str(exc))}", "retry"))
    else:
        if accepted is None:
            problems.append(Check(name, "warn", f"{sender}: Graph accepted a message without recipients",
                                  "nothing was addressed; report this answer"))
    return problems or [Check(name, "ok", f"{sender}: the app may send as it and read its Sent Items (probed; "
                                          "nothing sent)")]


async def check_mentors(graph: GraphGateway | None, mentors: Sequence[str], now: datetime) -> list[Check]:
    if not mentors:
        return [
            Check(
                "mentors",
                "warn",
                "no mentor was checked (none given, none in the mentors file or the store)",
                "pass --mentor UPN (repeatable) or set MICROMENTOR_MENTORS_FILE",
            )
        ]
    if graph is None:
        return [Check("mentors", "warn", f"{len(mentors)} mentor(s) not checked: no Graph token", None)]
    gate = asyncio.Semaphore(MENTORS_AT_ONCE)

    async def one(upn: str) -> list[Check]:
        async with gate:
            try:
                return await check_mentor(graph, upn, now)
            except Exception as exc:  # one mentor's surprise must not hide the other checks
                return [
                    Check("mailbox", "fail", f"{upn}: {type(exc).__name__}: {exc}", "retry; if it persists, report it")
                ]

    answers = await asyncio.gather(*(one(m) for m in mentors))
    return [c for answer in answers for c in answer]


# --- 5. the notification URL -----------------------------------------------------------------------


async def validation_handshake(url: str) -> str | None:
    """POST `url?validationToken=…` as Graph does; None when it answers 200 text/plain with the token."""
    token = f"doctor-{secrets.token_urlsafe(12)}"
    try:
        async with asyncio.timeout(HANDSHAKE_SECONDS), httpx.AsyncClient(trust_env=False, timeout=None) as client:
            answer = await client.post(url, params={"validationToken": token})
    except TimeoutError:
        return f"no answer within {HANDSHAKE_SECONDS:g} s"
    except Exception as exc:  # refused, reset, bad certificate, or not a URL at all: all mean no answer
        return f"no answer ({type(exc).__name__}: {exc})".replace(": )", ")")
    kind = answer.headers.get("content-type", "")
    if answer.status_code != 200:
        return f"answered {answer.status_code}, not 200"
    if not kind.startswith("text/plain"):
        return f"answered {kind or 'no content type'}, not text/plain"
    if answer.text != token:
        return "did not echo the validation token"
    return None


async def check_notification_url(
    public_url: str,
    real_tenant: bool,
    handshake: Callable[[str], Awaitable[str | None]] = validation_handshake,
) -> Check:
    url = f"{public_url.rstrip('/')}/api/notifications"
    problem = await handshake(url)
    answered = "answers the validation handshake" if problem is None else f"validation handshake: {problem}"
    fix = "set MICROMENTOR_PUBLIC_URL to the function app's https URL (https://<app>.azurewebsites.net)"
    if not url.startswith("https://"):
        detail = f"{url} is not https: Graph refuses to subscribe, so change notifications are off"
        if real_tenant:
            return Check("notification-url", "fail", f"{detail} ({answered})", fix)
        return Check("notification-url", "warn", f"{detail}; sync still polls every 5 minutes ({answered})", fix)
    if problem is not None:
        return Check(
            "notification-url",
            "fail",
            f"{url}: {answered}",
            "deploy the function app there and check POST /api/notifications is reachable from the internet",
        )
    return Check("notification-url", "ok", f"{url} {answered}")


# --- 6. store and queue ------------------------------------------------------------------------------


def check_store(open_store: Callable[[], Store], now: datetime) -> tuple[Check, Store | None]:
    fix = "check MICROMENTOR_STORE (--store): a writable SQLite path, or a valid Table Storage connection string"
    try:
        store = open_store()
    except Exception as exc:  # a store that cannot even open is the finding
        return Check("store", "fail", f"cannot open: {_error_text(exc)}", fix), None
    value = f"{now.isoformat()} {secrets.token_hex(4)}"
    try:
        store.set_checkpoint(PROBE_CHECKPOINT, value)
        back = store.get_checkpoint(PROBE_CHECKPOINT)
    except Exception as exc:
        return Check("store", "fail", f"cannot write checkpoint {PROBE_CHECKPOINT}: {_error_text(exc)}", fix), store
    if back != value:
        detail = f"checkpoint {PROBE_CHECKPOINT} read back {back!r}, not what was written"
        return Check("store", "fail", detail, fix), store
    return Check("store", "ok", f"wrote and read back checkpoint {PROBE_CHECKPOINT}"), store


async def check_queue(queues: Queues) -> Check:
    body = f"doctor-{secrets.token_hex(6)}".encode()
    fix = "check MICROMENTOR_QUEUE_CONNECTION: the storage account's connection string, reachable from here"
    try:
        await queues.put(DOCTOR_QUEUE, body)
        for _ in range(10):  # leftovers of an interrupted run come first: take them away
            message = await queues.receive(DOCTOR_QUEUE, 0.2)
            if message is None:
                continue
            await queues.complete(DOCTOR_QUEUE, message)
            if message.body == body:
                return Check("queue", "ok", f"put and received a message on queue {DOCTOR_QUEUE}")
    except Exception as exc:  # an unreachable or refused queue is the finding
        return Check("queue", "fail", f"queue {DOCTOR_QUEUE}: {_error_text(exc)}", fix)
    return Check("queue", "fail", f"queue {DOCTOR_QUEUE}: the message put was not received back", fix)


# --- 7. local defaults -------------------------------------------------------------------------------


def check_local_defaults(settings: DoctorSettings, real_tenant: bool) -> Check:
    local = []
    if settings.link_secret == _DEV_LINK_SECRET or len(settings.link_secret) < _MIN_SECRET_LENGTH:
        local.append(f"MICROMENTOR_LINK_SECRET (a random secret of {_MIN_SECRET_LENGTH}+ characters)")
    if settings.notification_state == _DEV_CLIENT_STATE:
        local.append("MICROMENTOR_NOTIFICATION_STATE (a random value of up to 128 characters)")
    if not local:
        return Check("local-defaults", "ok", "link secret and notification clientState are set")
    names = " and ".join(s.split(" (")[0] for s in local)
    fix = "set " + "; ".join(local)
    if real_tenant:
        detail = f"{names} still on the local default: anyone could sign booking links or forge notifications"
        return Check("local-defaults", "fail", detail, fix)
    return Check("local-defaults", "warn", f"{names} on the local default (fine against the emulator only)", fix)


# --- all of it ---------------------------------------------------------------------------------------


def check_attendance_access(store: Store) -> list[Check]:
    """What sync met last time: organizers whose Teams attendance Graph refused (their ended sessions wait
    in pending_attendance, reason attendance_unavailable, and are counted apart from no-shows)."""
    return [
        Check(
            "attendance-access",
            "fail",
            f"{d['organizer']}: attendance unreadable since {d['since']}: {_graph_words(d['problem'])}",
            "grant what the message names (the Teams application access policy or an app role); the next "
            "sync reads the waiting sessions",
        )
        for d in attendance_denied(store)
    ]


async def run_doctor(given: DoctorInput) -> list[Check]:
    """Every check, in the order of the list in the README. A fresh Graph client: a token cached by a
    long-lived one would show the roles from before the last admin consent."""
    store_check, store = await asyncio.to_thread(check_store, given.open_store, given.now)
    graph = GraphGateway(given.graph) if given.graph is not None else None
    try:
        token_check, token = await check_token(graph, given.graph)
        checks = [token_check]
        if token is not None:
            checks.extend(check_roles(token))
        mentors, mentor_problems = await asyncio.to_thread(gather_mentors, given.mentors, given.mentors_file, store)
        checks.extend(mentor_problems)
        checks.extend(await check_mentors(graph if token is not None else None, mentors, given.now))
        if given.mail_sender and graph is not None and token is not None and given.graph is not None:
            checks.extend(await check_mail_sender(graph, given.mail_sender, given.graph.client_id,
                                                  token_roles(token)))
    finally:
        if graph is not None:
            await graph.aclose()
    checks.append(await check_notification_url(given.settings.public_url, given.real_tenant, given.handshake))
    checks.append(store_check)
    if store is not None:
        checks.extend(await asyncio.to_thread(check_attendance_access, store))
    if given.queues is not None:
        checks.append(await check_queue(given.queues))
    checks.append(check_local_defaults(given.settings, given.real_tenant))
    return checks
