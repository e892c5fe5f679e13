"""The admin surface: seeding more users and events, inspecting state, bad input named by its path."""

from __future__ import annotations

import httpx
import jwt

from emulator import RunningEmulator

from .conftest import DANA


def test_add_a_user_and_an_event_then_see_them_through_graph(admin: httpx.Client, graph: httpx.Client) -> None:
    created = admin.post(
        "/users",
        json={
            "userPrincipalName": "nina@contoso.example",
            "displayName": "Nina Patel",
            "mailboxSettings": {"timeZone": "Nepal Standard Time"},
            "events": [
                {
                    "subject": "Seeded",
                    "start": {"dateTime": "2036-05-01T09:00:00", "timeZone": "Asia/Kathmandu"},
                    "end": {"dateTime": "2036-05-01T10:00:00", "timeZone": "Asia/Kathmandu"},
                }
            ],
        },
    )
    assert created.status_code == 201
    assert graph.get("/users/nina@contoso.example").json()["id"] == created.json()["id"]
    added = admin.post(
        "/users/nina@contoso.example/events",
        json={
            "subject": "Added",
            "showAs": "oof",
            "start": {"dateTime": "2036-05-01T11:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2036-05-01T12:00:00", "timeZone": "UTC"},
        },
    )
    assert added.status_code == 201 and added.json()["showAs"] == "oof"
    view = graph.get(
        "/users/nina@contoso.example/calendarView",
        params={"startDateTime": "2036-05-01T00:00:00Z", "endDateTime": "2036-05-02T00:00:00Z"},
    ).json()["value"]
    # 09:00 in Kathmandu (UTC+5:45) is 03:15Z.
    assert [(e["subject"], e["start"]["dateTime"]) for e in view] == [
        ("Seeded", "2036-05-01T03:15:00.0000000"),
        ("Added", "2036-05-01T11:00:00.0000000"),
    ]


def test_bad_admin_seed_input_names_the_field(admin: httpx.Client) -> None:
    response = admin.post("/users", json={"displayName": "no upn"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("user.userPrincipalName: ")
    response = admin.post(f"/users/{DANA}/events", json={"subject": "x", "start": {"dateTime": "2036-01-01T00:00:00"}})
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("event.end: ")
    assert admin.post("/users", json={"userPrincipalName": DANA}).status_code == 409


def test_state_lists_users_events_and_meetings(admin: httpx.Client, emu: RunningEmulator) -> None:
    state = admin.get("/state").json()
    assert state["tenantId"] == emu.tenant_id
    dana = next(u for u in state["users"] if u["userPrincipalName"] == DANA)
    assert {e["subject"] for e in dana["events"]} >= {"Team stand-up", "Focus time"}
    assert state["config"] == {"tokenLifetimeSeconds": 3600, "latencyMs": 0}


def test_minted_token_for_a_stranger_and_with_scopes(admin: httpx.Client) -> None:
    token = admin.post(
        "/token",
        json={
            "upn": "guest@fabrikam.example",
            "scopes": ["Sessions.Read"],
            "expiresInSeconds": 120,
            "tenantId": "other-tenant",
        },
    ).json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["upn"] == "guest@fabrikam.example" and claims["scp"] == "Sessions.Read"
    assert claims["tid"] == "other-tenant" and claims["exp"] - claims["iat"] == 120
    assert admin.post("/token", json={}).status_code == 400


def test_config_rejects_bad_values(admin: httpx.Client) -> None:
    assert admin.post("/config", json={"tokenLifetimeSeconds": 0}).status_code == 400
    assert admin.post("/config", json={"latencyMs": "fast"}).status_code == 400
