"""Who may act is decided by the token's object id (`oid`) in our tenant (`tid`), never by a name claim:
the "nOAuth" case (a signed token carrying only someone else's e-mail) is refused, a token without `oid`
or from another tenant is a 401 naming the token."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import LiveApi
from tests.functions.test_http_routes import MAYA, RAVI, session_body

SITA_ID = "8b7a2c2e-0004-4b0e-9e8e-000000000004"  # a user of the tenant who is in none of these sessions


def _token(live_api: LiveApi, who: str, **claims: Any) -> dict[str, str]:
    """A token the emulator signs for the directory user `who` (their oid), with `claims` changed."""
    token = live_api.admin.post("/token", {"upn": who, "claims": claims})["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _book(live_api: LiveApi, start: str = "2026-11-30T09:00:00Z") -> dict[str, Any]:
    created = live_api.client.post("/sessions", json=session_body(start=start), timeout=30)
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_another_oid_with_the_mentors_email_is_forbidden(live_api: LiveApi) -> None:
    session = _book(live_api)
    # Sita's object id, with every name claim saying Maya (the mentor): the name claims must not count.
    forged = _token(live_api, "sita@contoso.example", email=MAYA, upn=MAYA, preferred_username=MAYA, name="Maya")
    read = httpx.get(f"{live_api.url}/sessions/{session['id']}", headers=forged, timeout=30)
    assert read.status_code == 403, read.text
    cancel = httpx.post(f"{live_api.url}/sessions/{session['id']}/cancel", json={}, headers=forged, timeout=30)
    assert cancel.status_code == 403
    book = httpx.post(
        f"{live_api.url}/sessions", json=session_body(start="2026-11-30T10:00:00Z"), headers=forged, timeout=30
    )
    assert book.status_code == 403
    slots = httpx.get(f"{live_api.url}/slots", params={"mentor": MAYA, "mentee": RAVI}, headers=forged, timeout=30)
    assert slots.status_code == 403
    # The real mentee, whatever name claims their token shows, is let in by object id.
    renamed = _token(live_api, RAVI, upn="someone@else.example", preferred_username=None, email=None)
    assert httpx.get(f"{live_api.url}/sessions/{session['id']}", headers=renamed, timeout=30).status_code == 200


def test_an_email_only_token_of_an_outsider_books_nothing(live_api: LiveApi) -> None:
    forged = _token(live_api, "sita@contoso.example", upn=None, preferred_username=None, email=RAVI)
    answer = httpx.post(f"{live_api.url}/sessions", json=session_body(), headers=forged, timeout=30)
    assert answer.status_code == 403, answer.text
    request = httpx.post(
        f"{live_api.url}/requests", json={"mentee": RAVI, "skill": "python", "question": "?"}, headers=forged
    )
    assert request.status_code == 403


def test_a_token_without_oid_is_a_401_naming_the_token(live_api: LiveApi) -> None:
    headers = _token(live_api, MAYA, oid=None)
    answer = httpx.get(f"{live_api.url}/slots", params={"mentor": MAYA, "mentee": RAVI}, headers=headers, timeout=30)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["field"] == "Authorization" and "oid" in error["message"]
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_a_token_of_another_tenant_is_a_401(live_api: LiveApi) -> None:
    headers = _token(live_api, MAYA, tid="99999999-8888-4777-8666-555555555555")
    answer = httpx.get(f"{live_api.url}/slots", params={"mentor": MAYA, "mentee": RAVI}, headers=headers, timeout=30)
    assert answer.status_code == 401 and "tenant" in answer.json()["error"]["message"]


def test_sessions_store_the_participants_object_ids(live_api: LiveApi) -> None:
    session = _book(live_api, "2026-11-30T11:00:00Z")
    stored = live_api.runtime.store.get_session(session["id"])
    assert stored is not None
    assert {p.object_id for p in stored.people} >= {"8b7a2c2e-0003-4b0e-9e8e-000000000003"}
    assert SITA_ID not in {p.object_id for p in stored.people}
