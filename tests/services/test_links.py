"""Signed booking links (services/links.py): round trip, tampering anywhere, expiry, wrong secret, bad
input; and the mentor-only free times a link's page shows, against the Graph emulator.

Maya (mentor, Europe/London = UTC in winter) works Mon-Thu 07:30-15:30 and has no events; the policy's
day window starts at 08:00, notice is 2 h and the horizon 14 days from Monday 30 Nov 00:00Z. So her own
free times are 08:00-15:30Z on Mon-Thu of two weeks: 30 Nov - 3 Dec and 7 - 10 Dec, eight ranges."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import string
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from core.errors import InputError, NotFound
from core.model import Slot
from graph.config import GraphSettings
from policies import TenantPolicy
from services.links import (
    FreeRange,
    LinkClaims,
    LinkExpired,
    LinkInvalid,
    MentorAvailability,
    free_ranges,
    make_link,
    mentor_availability,
    read_link,
)
from tests.conftest import with_graph

SECRET = "s3cret-for-tests"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
MAYA = "maya@contoso.example"
B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def token(**changes: Any) -> str:
    values: dict[str, Any] = {"secret": SECRET, "now": NOW, "ttl": WEEK}
    values.update(changes)
    mentor = values.pop("mentor", MAYA)
    return make_link(mentor, **values)


def other_char(char: str) -> str:
    return "B" if char == "A" else "A"


# --- round trip ---------------------------------------------------------------------------------------


def test_round_trip_gives_the_mentor_and_the_expiry() -> None:
    link = token(mentor="  Maya@Contoso.Example ")
    claims = read_link(link, secret=SECRET, now=NOW + timedelta(hours=1))
    assert claims == LinkClaims(mentor=MAYA, expires=datetime(2026, 12, 7, 0, 0, tzinfo=UTC), mentee=None)


def test_round_trip_with_a_mentee() -> None:
    link = token(mentee="Ravi@contoso.example", ttl=timedelta(hours=2))
    claims = read_link(link, secret=SECRET, now=NOW)
    assert claims == LinkClaims(MAYA, datetime(2026, 11, 30, 2, 0, tzinfo=UTC), "ravi@contoso.example")


def test_token_is_compact_and_url_safe() -> None:
    link = token()
    assert quote(link, safe="") == link  # nothing to escape in a URL path or query
    assert len(link) < 140
    version, payload, mac = link.split(".")
    assert version == "v1" and len(mac) == 43  # 32 bytes of HMAC-SHA256, unpadded base64url
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == {
        "m": MAYA,
        "x": 1796601600,  # 2026-12-07T00:00:00Z
    }


def test_signature_is_hmac_sha256_of_version_and_payload() -> None:
    version, payload, mac = token().split(".")
    expected = hmac.new(SECRET.encode(), f"{version}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(mac + "=") == expected


# --- tampering ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("part", [0, 1, 2])
def test_one_changed_character_in_any_part_is_tampered(part: int) -> None:
    link = token()
    start = sum(len(p) + 1 for p in link.split(".")[:part])
    length = len(link.split(".")[part])
    for index in range(start, start + length):
        changed = link[:index] + other_char(link[index]) + link[index + 1 :]
        with pytest.raises(LinkInvalid) as refused:
            read_link(changed, secret=SECRET, now=NOW)
        assert refused.value.reason == "tampered", (index, changed)


def test_every_single_character_change_is_refused_including_the_dots() -> None:
    link = token()
    for index, char in enumerate(link):
        for replacement in ("A", "_", ".", "%"):
            if replacement == char:
                continue
            with pytest.raises(LinkInvalid):
                read_link(link[:index] + replacement + link[index + 1 :], secret=SECRET, now=NOW)


def test_unused_low_bits_of_the_last_signature_character_are_checked_too() -> None:
    # The last of 43 base64 characters carries 4 bits of the MAC and 2 unused bits: a lenient decoder
    # reads the same bytes for both spellings (which is how a JWT library can accept a changed token).
    link = token()
    last = link[-1]
    twin = B64URL[B64URL.index(last) ^ 1]
    changed = link[:-1] + twin
    assert base64.urlsafe_b64decode(changed.split(".")[2] + "=") == base64.urlsafe_b64decode(link.split(".")[2] + "=")
    with pytest.raises(LinkInvalid) as refused:
        read_link(changed, secret=SECRET, now=NOW)
    assert refused.value.reason == "tampered"


def test_a_longer_expiry_written_into_the_payload_is_tampered() -> None:
    version, _, mac = token().split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"m": MAYA, "x": 1900000000}).encode()).rstrip(b"=").decode()
    with pytest.raises(LinkInvalid) as refused:
        read_link(f"{version}.{forged}.{mac}", secret=SECRET, now=NOW)
    assert refused.value.reason == "tampered"


def test_a_tampered_expired_link_says_tampered_not_expired() -> None:
    link = token(ttl=timedelta(hours=1))
    changed = link[:5] + other_char(link[5]) + link[6:]
    with pytest.raises(LinkInvalid) as refused:
        read_link(changed, secret=SECRET, now=NOW + timedelta(days=30))
    assert refused.value.reason == "tampered"


def test_wrong_secret_is_tampered() -> None:
    with pytest.raises(LinkInvalid) as refused:
        read_link(token(), secret="another-secret", now=NOW)
    assert refused.value.reason == "tampered"
    with pytest.raises(LinkInvalid):
        read_link(token(secret="another-secret"), secret=SECRET, now=NOW)


# --- expiry -------------------------------------------------------------------------------------------


def test_expired_at_the_expiry_and_valid_one_second_before() -> None:
    link = token(ttl=timedelta(hours=3))
    expires = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    assert read_link(link, secret=SECRET, now=expires - timedelta(seconds=1)).expires == expires
    with pytest.raises(LinkExpired) as refused:
        read_link(link, secret=SECRET, now=expires)
    assert refused.value.reason == "expired"
    assert refused.value.expires == expires and refused.value.mentor == MAYA
    assert not isinstance(refused.value, LinkInvalid)


def test_expiry_is_compared_in_utc_whatever_the_offset_of_now() -> None:
    link = token(ttl=timedelta(hours=3))
    kolkata_just_before = datetime.fromisoformat("2026-11-30T08:29:59+05:30")  # 02:59:59Z
    assert read_link(link, secret=SECRET, now=kolkata_just_before).mentor == MAYA
    with pytest.raises(LinkExpired):
        read_link(link, secret=SECRET, now=datetime.fromisoformat("2026-11-30T08:30:00+05:30"))


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "abc", "v1.abc", "v1.a.b.c", "v1..", "v1.é.x", "v1 .abc.def", "x" * 5000],
)
def test_garbage_is_refused_as_invalid(text: str) -> None:
    with pytest.raises(LinkInvalid):
        read_link(text, secret=SECRET, now=NOW)


def test_a_trailing_newline_or_space_is_refused() -> None:
    link = token()
    for changed in (link + "\n", link + " ", " " + link, link + "="):
        with pytest.raises(LinkInvalid):
            read_link(changed, secret=SECRET, now=NOW)


def test_signed_but_unreadable_content_is_malformed() -> None:
    # Our own signature over content we never write (e.g. a future format): refused, not trusted.
    def signed(claims: Any) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        mac = hmac.new(SECRET.encode(), f"v1.{payload}".encode(), hashlib.sha256).digest()
        return f"v1.{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    for claims in ({"m": 5, "x": 1796601600}, {"m": MAYA}, {"m": MAYA, "x": True}, [MAYA], {"m": MAYA, "x": 10**20}):
        with pytest.raises(LinkInvalid) as refused:
            read_link(signed(claims), secret=SECRET, now=NOW)
        assert refused.value.reason == "malformed", claims


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mentor": ""}, "mentor"),
        ({"mentor": "maya"}, "mentor"),
        ({"mentor": "maya @contoso.example"}, "mentor"),
        ({"mentee": "ravi"}, "mentee"),
        ({"mentee": MAYA}, "mentee"),
        ({"ttl": timedelta(0)}, "ttl"),
        ({"ttl": timedelta(hours=-1)}, "ttl"),
        ({"ttl": timedelta(days=91)}, "ttl"),
        ({"now": datetime(2026, 11, 30)}, "now"),  # noqa: DTZ001 - a naive time is the point
    ],
)
def test_make_link_refuses_bad_input_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as refused:
        token(**changes)
    assert refused.value.field == field


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        token(secret="")
    with pytest.raises(ValueError):
        read_link(token(), secret="", now=NOW)


def test_read_link_needs_an_aware_now() -> None:
    with pytest.raises(InputError) as refused:
        read_link(token(), secret=SECRET, now=datetime(2026, 11, 30))  # noqa: DTZ001
    assert refused.value.field == "now"


# --- free ranges --------------------------------------------------------------------------------------


def test_free_ranges_merge_touching_and_overlapping_slots() -> None:
    slots = [
        Slot(utc(30, 9, 15), utc(30, 9, 45)),  # out of order on purpose
        Slot(utc(30, 9, 0), utc(30, 9, 30)),  # overlaps the one above
        Slot(utc(30, 9, 45), utc(30, 10, 15)),  # touches it
        Slot(utc(30, 11, 0), utc(30, 11, 30)),
        Slot(utc(1, 8, 0, month=12), utc(1, 8, 30, month=12)),
    ]
    assert free_ranges(slots) == (
        FreeRange(utc(30, 9, 0), utc(30, 10, 15)),
        FreeRange(utc(30, 11, 0), utc(30, 11, 30)),
        FreeRange(utc(1, 8, 0, month=12), utc(1, 8, 30, month=12)),
    )
    assert free_ranges(slots, limit=1) == (FreeRange(utc(30, 9, 0), utc(30, 10, 15)),)
    assert free_ranges([]) == ()


# --- the mentor's own free times, from the emulator ---------------------------------------------------


def availability(settings: GraphSettings, mentor: str) -> MentorAvailability:
    return with_graph(settings, lambda graph: mentor_availability(graph, TenantPolicy(), mentor, now=NOW))


def test_mentor_availability_is_the_mentors_own_free_time(graph_settings: GraphSettings) -> None:
    found = availability(graph_settings, "Maya@contoso.example")
    days = [(11, 30), (12, 1), (12, 2), (12, 3), (12, 7), (12, 8), (12, 9), (12, 10)]
    assert found.mentor == MAYA and found.display_name == "Maya Lind" and found.minutes == 15
    assert found.ranges == tuple(FreeRange(utc(d, 8, 0, month=m), utc(d, 15, 30, month=m)) for m, d in days)
    assert found.searched_to == utc(14, 0, month=12)


def test_mentor_availability_of_an_unknown_mentor_is_not_found(graph_settings: GraphSettings) -> None:
    with pytest.raises(NotFound) as refused:
        availability(graph_settings, "ghost@contoso.example")
    assert refused.value.field == "mentor"
