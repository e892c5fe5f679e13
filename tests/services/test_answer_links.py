"""Answer tokens (services/answer_links.py) are made and checked by the booking links' signing code
(services/links.py `sign_claims` / `verified_claims`) under their own version tag "a1"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.answer_links import AnswerLinkExpired, make_answer_token, read_answer_token
from services.links import LinkInvalid, make_link, read_link, verified_claims
from store.outbox import MessageKind

SECRET = "s" * 32
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_an_answer_token_is_a1_signed_by_the_booking_links_code() -> None:
    token = make_answer_token("s1", "Ana@contoso.example", MessageKind.MENTEE_CHECKIN, "partly", secret=SECRET, now=NOW)
    version, payload, mac = token.split(".")
    assert version == "a1"
    # Worked out by hand: HMAC-SHA256 over "a1.<payload>", the payload the claims' compact JSON.
    expires = int((NOW + timedelta(days=14)).timestamp())
    claims = {"s": "s1", "p": "ana@contoso.example", "q": "mentee_checkin", "c": "partly", "x": expires}
    assert payload == _b64(json.dumps(claims, separators=(",", ":")).encode())
    assert mac == _b64(hmac.new(SECRET.encode(), f"a1.{payload}".encode(), hashlib.sha256).digest())
    assert verified_claims(token, secret=SECRET, version="a1") == claims
    with pytest.raises(LinkInvalid):  # not a booking link
        verified_claims(token, secret=SECRET)
    with pytest.raises(LinkInvalid):
        read_link(token, secret=SECRET, now=NOW)


def test_a_booking_link_is_no_answer_and_expiry_is_checked() -> None:
    booking = make_link("maya@contoso.example", secret=SECRET, now=NOW)
    with pytest.raises(LinkInvalid) as refused:
        read_answer_token(booking, secret=SECRET, now=NOW)
    assert refused.value.reason == "tampered"
    token = make_answer_token("s1", "ana@contoso.example", MessageKind.MENTEE_USEFULNESS, "4", secret=SECRET, now=NOW)
    assert read_answer_token(token, secret=SECRET, now=NOW + timedelta(days=13)).choice == "4"
    with pytest.raises(AnswerLinkExpired):
        read_answer_token(token, secret=SECRET, now=NOW + timedelta(days=14))
    with pytest.raises(LinkInvalid):
        read_answer_token(token, secret="t" * 32, now=NOW)
