"""Signed booking links: a compact, URL-safe token bound to a mentor, with an expiry, and the mentor's
free times that the link's page shows.

Token: `v1.<payload>.<mac>`, where `payload` is base64url (no padding) of a small JSON object
(`m` mentor, `x` expiry in Unix seconds, `e` mentee when the link names one) and `mac` is base64url of
HMAC-SHA256(secret, "v1." + payload). The MAC covers the exact text of the token, and the presented
MAC is compared, in constant time, as text with the canonical encoding of the expected one: any
changed character anywhere (version, payload, signature, even a base64 padding bit) is refused.

Why the standard library rather than a JWT: a link needs one algorithm, chosen by us, not a header
that names it (no `alg` to negotiate or confuse); the token stays shorter (no JOSE header); and JWT
libraries decode the signature segment leniently (base64 ignores the unused low bits of the last
character), so one changed character of a JWT can still verify. The signature is checked before
anything in the payload is believed, so a tampered link is "tampered" even if its expiry has passed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from core.errors import InputError, NotFound
from core.model import Slot
from core.office_hours import office_hours_note
from core.slots import find_slots
from graph.errors import GraphNotFound
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.slots import gather_attendees, session_minutes

__all__ = [
    "DEFAULT_TTL",
    "MAX_TTL",
    "FreeRange",
    "LinkClaims",
    "LinkError",
    "LinkExpired",
    "LinkInvalid",
    "MentorAvailability",
    "expiry_of",
    "free_ranges",
    "make_link",
    "mentor_availability",
    "read_link",
    "sign_claims",
    "verified_claims",
]

VERSION = "v1"
DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=90)
MAX_TOKEN_CHARS = 1024  # a link is ~110 characters; refuse anything far bigger before any work
MAX_RANGES = 8
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_MAC_CHARS = 43  # 32 bytes of HMAC-SHA256 in unpadded base64url
_UPN = re.compile(r"[^@\s]+@[^@\s]+")

Reason = Literal["malformed", "tampered", "expired"]


class LinkError(InputError):
    """A link that cannot be used; `reason` says why (the page tells the reader in plain words)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__("token", message)
        self.reason: Reason = reason


class LinkInvalid(LinkError):
    """Not a link we made: malformed, signed with another secret, or changed after signing."""


class LinkExpired(LinkError):
    """A genuine link whose expiry has passed."""

    def __init__(self, mentor: str, expires: datetime) -> None:
        super().__init__("expired", f"the link expired at {expires.isoformat()}")
        self.mentor = mentor
        self.expires = expires


@dataclass(frozen=True, slots=True)
class LinkClaims:
    mentor: str
    expires: datetime
    mentee: str | None = None
    group: str | None = None  # a group flash session the link invites to join (issue 16)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret:
        raise ValueError("a link secret is required")
    return secret.encode("utf-8")


def _mac(secret: str, signed: str) -> str:
    return _b64(hmac.new(_key(secret), signed.encode("ascii"), hashlib.sha256).digest())


def _require_aware(name: str, moment: datetime) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(name, "must be an aware datetime")
    return moment.astimezone(UTC)


def _person(field: str, value: str) -> str:
    cleaned = value.strip().lower() if isinstance(value, str) else ""
    if not _UPN.fullmatch(cleaned) or len(cleaned) > 256:
        raise InputError(field, "expected a user principal name such as maya@contoso.example")
    return cleaned


def make_link(
    mentor_upn: str,
    *,
    secret: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    mentee: str | None = None,
    group: str | None = None,
) -> str:
    """A token for `mentor_upn`'s booking page, valid from `now` for `ttl` (whole seconds, at most 90 days)."""
    mentor = _person("mentor", mentor_upn)
    claims: dict[str, Any] = {"m": mentor}
    if mentee is not None:
        named = _person("mentee", mentee)
        if named == mentor:
            raise InputError("mentee", f"{mentor} is the mentor and cannot also be the mentee")
        claims["e"] = named
    if group is not None:
        if not isinstance(group, str) or not _SEGMENT.fullmatch(group) or len(group) > 64:
            raise InputError("group", "expected a group session id")
        claims["g"] = group
    if not isinstance(ttl, timedelta) or not timedelta(seconds=1) <= ttl <= MAX_TTL:
        raise InputError("ttl", f"must be between 1 second and {MAX_TTL.days} days")
    expires = _require_aware("now", now) + ttl
    claims["x"] = int(expires.timestamp())
    return sign_claims(claims, secret=secret)


def sign_claims(claims: dict[str, Any], *, secret: str, version: str = VERSION) -> str:
    """`<version>.<payload>.<mac>` for a JSON object of claims: the one signing code of every link kind.
    A link kind with its own `version` tag (answer links: "a1") never passes as another: the tag is signed."""
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signed = f"{version}.{payload}"
    return f"{signed}.{_mac(secret, signed)}"


def verified_claims(token: str, *, secret: str, what: str = "booking link", version: str = VERSION) -> dict[str, Any]:
    """The claims object of a token we signed; `LinkInvalid` (malformed or tampered) otherwise. The
    signature is checked before anything in the payload is read; expiry is the caller's to check."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise LinkInvalid("malformed", f"this is not a {what}")
    parts = token.split(".")
    if len(parts) != 3:
        raise LinkInvalid("malformed", f"this is not a complete {what}")
    if not all(_SEGMENT.fullmatch(p) for p in parts) or len(parts[2]) != _MAC_CHARS:
        raise LinkInvalid("tampered", "the link was changed after it was made")
    presented_version, payload, presented = parts
    expected = _mac(secret, f"{presented_version}.{payload}")
    # compare_digest on the ASCII text: constant time, and exact (no lenient base64 decoding of the MAC).
    if not hmac.compare_digest(expected.encode("ascii"), presented.encode("ascii")) or presented_version != version:
        raise LinkInvalid("tampered", "the link was changed after it was made")
    # Only reached for a token we signed: an odd payload here means a bug or an old format, not an attack.
    try:
        data = json.loads(_unb64(payload).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise LinkInvalid("malformed", "the link's content cannot be read") from None
    if not isinstance(data, dict):
        raise LinkInvalid("malformed", "the link's content is not an object")
    return data


def expiry_of(data: dict[str, Any]) -> datetime:
    """The `x` claim (Unix seconds) as an aware UTC datetime; `LinkInvalid` when missing or absurd."""
    expiry = data.get("x")
    if isinstance(expiry, bool) or not isinstance(expiry, int):
        raise LinkInvalid("malformed", "the link's content is incomplete")
    try:
        return datetime.fromtimestamp(expiry, UTC)
    except (OverflowError, OSError, ValueError):
        raise LinkInvalid("malformed", "the link's expiry is out of range") from None


def _claims(data: dict[str, Any]) -> LinkClaims:
    mentor, mentee, group = data.get("m"), data.get("e"), data.get("g")
    if (
        not isinstance(mentor, str)
        or not mentor
        or not (mentee is None or (isinstance(mentee, str) and mentee))
        or not (group is None or (isinstance(group, str) and group))
    ):
        raise LinkInvalid("malformed", "the link's content is incomplete")
    return LinkClaims(mentor=mentor, expires=expiry_of(data), mentee=mentee, group=group)


def read_link(token: str, *, secret: str, now: datetime) -> LinkClaims:
    """The claims of a genuine, unexpired token; `LinkInvalid` (malformed or tampered) or `LinkExpired`."""
    now = _require_aware("now", now)
    claims = _claims(verified_claims(token, secret=secret))
    if now >= claims.expires:
        raise LinkExpired(claims.mentor, claims.expires)
    return claims


# --- what the link's page shows ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FreeRange:
    """A stretch of time in which a session of `minutes` can start anywhere on the slot grid."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class MentorAvailability:
    mentor: str
    display_name: str
    minutes: int
    step_minutes: int
    ranges: tuple[FreeRange, ...]
    searched_to: datetime
    reasons: tuple[str, ...]
    office_hours: str | None = None  # "offers office hours only: …", when the mentor set office hours


def free_ranges(slots: Sequence[Slot], limit: int = MAX_RANGES) -> tuple[FreeRange, ...]:
    """Ascending slots merged where they touch or overlap (slots on a 15-minute grid overlap), first `limit`."""
    ranges: list[FreeRange] = []
    for slot in sorted(slots, key=lambda s: s.start):
        if ranges and slot.start <= ranges[-1].end:
            last = ranges[-1]
            ranges[-1] = FreeRange(last.start, max(last.end, slot.end))
            continue
        if len(ranges) == limit:
            break
        ranges.append(FreeRange(slot.start, slot.end))
    return tuple(ranges)


async def mentor_availability(
    graph: GraphGateway, tenant_policy: TenantPolicy, mentor: str, *, now: datetime, limit: int = MAX_RANGES
) -> MentorAvailability:
    """The mentor's own next free times under the policy, for a reader who has not signed in.

    Without sign-in the mentee is unknown, so this is `find_slots` with the mentor alone (it takes an
    empty mentee list: every mentor rule applies: working hours, notice, horizon, buffers, caps, days
    without meetings). The mentee's calendar is never read here: a link must not disclose anyone but
    the mentor who shared it. After sign-in, the task pane asks `GET /api/slots` for the shared times."""
    mentor = _person("mentor", mentor)
    now = _require_aware("now", now)
    policy = tenant_policy.effective(mentor)
    minutes = session_minutes(policy, None)
    try:
        user = await graph.get_user(mentor)
    except GraphNotFound:
        raise NotFound("mentor", f"unknown user {mentor}") from None
    mentor_attendee, _ = await gather_attendees(graph, policy, mentor, (), now)
    search = find_slots(mentor=mentor_attendee, mentees=(), policy=policy, now=now, minutes=minutes)
    return MentorAvailability(
        mentor=mentor,
        display_name=user.display_name,
        minutes=minutes,
        step_minutes=policy.slot_step_minutes,
        ranges=free_ranges(search.slots, limit),
        searched_to=search.searched_to,
        reasons=search.reasons,
        office_hours=office_hours_note(policy.office_hours, mentor_attendee.tz),
    )
