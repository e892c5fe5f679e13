"""Session links: bound to one session and one attendee, expiring 30 days after the session ends, signed
with the booking links' code, and never interchangeable with a booking link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.model import Session
from services.links import LinkExpired, LinkInvalid, make_link, read_link
from services.session_links import make_session_link, read_session_link, session_link_expiry

SECRET = "a-test-secret-that-is-long-enough"
NOW = datetime(2026, 11, 30, tzinfo=UTC)
END = datetime(2026, 12, 1, 9, 15, tzinfo=UTC)


def test_expiry_is_thirty_days_after_the_end() -> None:
    session = Session("s1", "maya@x.example", ("ravi@x.example",), END - timedelta(minutes=15), END, "Q?", NOW)
    assert session_link_expiry(session) == datetime(2026, 12, 31, 9, 15, tzinfo=UTC)


def test_a_link_reads_back_its_session_and_person() -> None:
    token = make_session_link("s1", "Ravi@X.example", secret=SECRET, expires=END + timedelta(days=30))
    claims = read_session_link(token, secret=SECRET, now=NOW)
    assert (claims.session_id, claims.person, claims.expires) == ("s1", "ravi@x.example", END + timedelta(days=30))


def test_expired_tampered_and_foreign_links_are_refused() -> None:
    token = make_session_link("s1", "ravi@x.example", secret=SECRET, expires=NOW + timedelta(seconds=1))
    with pytest.raises(LinkExpired):
        read_session_link(token, secret=SECRET, now=NOW + timedelta(seconds=1))
    with pytest.raises(LinkInvalid) as tampered:
        read_session_link(token[:-1] + ("A" if token[-1] != "A" else "B"), secret=SECRET, now=NOW)
    assert tampered.value.reason == "tampered"
    with pytest.raises(LinkInvalid):
        read_session_link(token, secret="another-secret-entirely", now=NOW)
    # A booking link is not a session link, and a session link is not a booking link.
    booking = make_link("maya@x.example", secret=SECRET, now=NOW)
    with pytest.raises(LinkInvalid):
        read_session_link(booking, secret=SECRET, now=NOW)
    with pytest.raises(LinkInvalid):
        read_link(token, secret=SECRET, now=NOW)


def test_a_changed_person_breaks_the_signature() -> None:
    ravi = make_session_link("s1", "ravi@x.example", secret=SECRET, expires=END)
    ana = make_session_link("s1", "ana@x.example", secret=SECRET, expires=END)
    version, _, mac = ravi.split(".")
    forged = ".".join((version, ana.split(".")[1], mac))
    with pytest.raises(LinkInvalid):
        read_session_link(forged, secret=SECRET, now=NOW)
