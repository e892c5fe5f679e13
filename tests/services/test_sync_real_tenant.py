"""Sync against a tenant shaped like real ones: mail differs from the user principal name, attendance
records with an empty e-mail, the Teams access policy missing for an organizer, an app role withheld."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from core.attendance import ATTENDANCE_UNAVAILABLE
from core.model import Session, SessionState
from emulator import start_emulator
from emulator.identity import DEFAULT_APP_ROLES
from graph.config import GraphSettings
from graph.errors import GraphRequestError
from micromentor.tenant import emulator_settings
from services.sync import access_checkpoint
from store import open_store
from store.base import Store
from tests.conftest import TENANT_SEED, Admin
from tests.services.test_sync import MAYA, NINE, POLICY, RAVI, book_at, graph_call, play, state_of, sync

MAYA_MAIL, RAVI_MAIL = "Maya.Lind@contoso.com", "ravi.kumar@contoso.com"
ALL_ROLES = DEFAULT_APP_ROLES  # what the default app holds


def booked_played_and_withheld(admin: Admin, settings: GraphSettings, store: Store, role: str) -> Session:
    """A session both attended, then `role` withdrawn from the app (admin consent taken back)."""
    [session] = book_at(settings, store, NINE)
    play(admin, session, {MAYA: 15, RAVI: 15})
    roles = [r for r in ALL_ROLES if r != role]
    admin.client.put(f"{admin.url}/apps/micromentor-local/roles", json={"roles": roles}).raise_for_status()
    return session


def real_seed() -> dict[str, Any]:
    seed: dict[str, Any] = json.loads(TENANT_SEED.read_text(encoding="utf-8"))
    for user in seed["users"]:
        if user["userPrincipalName"] == MAYA:
            user["mail"] = MAYA_MAIL
        if user["userPrincipalName"] == RAVI:
            user["mail"] = RAVI_MAIL
    # Declared apps: nothing is granted that the seed does not say. The Teams policy covers Maya.
    seed["apps"] = [{"clientId": "micromentor-local", "clientSecret": "local-secret"}]
    seed["emulator"] = {"teamsAccessPolicy": {"users": [MAYA]}}
    return seed


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'mm.db'}")


@pytest.fixture
def tenant() -> Iterator[tuple[GraphSettings, Admin]]:
    running = start_emulator(real_seed())
    admin = Admin(running)
    try:
        yield emulator_settings(running), admin
    finally:
        admin.client.close()
        running.stop()


def test_mail_unlike_the_upn_still_completes_and_the_join_url_is_encoded_once(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    settings, admin = tenant
    [session] = book_at(settings, store, NINE)
    play(admin, session, {MAYA: 15, RAVI: 15})
    admin.post("/requests/reset", {})
    sync(settings, store, NINE + timedelta(minutes=30))
    assert state_of(store, session).state == SessionState.COMPLETED

    (lookup,) = [r for r in admin.requests()["requests"] if r["route"] == "GET /users/{user}/onlineMeetings"]
    assert session.join_url is not None and "%3a" in session.join_url
    assert f"JoinWebUrl eq '{session.join_url}'" in unquote(lookup["query"])  # one decoding gives the URL
    assert "%253a" in lookup["query"] and "%25253a" not in lookup["query"]


def test_people_are_stored_with_their_object_ids_at_booking(tenant: tuple[GraphSettings, Admin], store: Store) -> None:
    settings, _ = tenant
    [session] = book_at(settings, store, NINE)
    people = {p.address: p for p in state_of(store, session).people}
    assert people[RAVI].object_id == "8b7a2c2e-0002-4b0e-9e8e-000000000002"
    assert RAVI_MAIL in people[RAVI].aliases and RAVI in people[RAVI].aliases


def test_records_without_an_email_are_matched_by_object_id(tenant: tuple[GraphSettings, Admin], store: Store) -> None:
    settings, admin = tenant
    admin.client.patch(f"{admin.url}/access", json={"attendanceWithoutEmail": [MAYA, RAVI]}).raise_for_status()
    [session] = book_at(settings, store, NINE)
    play(admin, session, {MAYA: 15, RAVI: 3})
    sync(settings, store, NINE + timedelta(minutes=30))
    decided = state_of(store, session)
    assert (decided.state, decided.missing) == (SessionState.NO_SHOW, (RAVI,))


def test_a_missing_access_policy_is_named_and_never_makes_a_no_show(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    settings, admin = tenant
    [session] = book_at(settings, store, NINE)
    play(admin, session, {MAYA: 15, RAVI: 15})
    admin.client.patch(f"{admin.url}/access", json={"teamsAccessPolicy": {"users": []}}).raise_for_status()
    result = sync(settings, store, NINE + timedelta(days=3))  # past the 48 h a missing report may wait
    waiting = state_of(store, session)
    assert (waiting.state, waiting.state_reason) == (SessionState.PENDING_ATTENDANCE, ATTENDANCE_UNAVAILABLE)
    assert result.unavailable == 1 and "No application access policy" in (result.attendance_denied or "")
    problem = json.loads(store.get_checkpoint(access_checkpoint(MAYA)) or "{}")
    assert problem["organizer"] == MAYA and "application access policy" in problem["problem"]

    admin.client.patch(f"{admin.url}/access", json={"teamsAccessPolicy": {"users": [MAYA]}}).raise_for_status()
    sync(settings, store, NINE + timedelta(days=3, minutes=5))
    assert state_of(store, session).state == SessionState.COMPLETED
    assert store.get_checkpoint(access_checkpoint(MAYA)) == ""


def test_a_withheld_app_role_is_named(tenant: tuple[GraphSettings, Admin], store: Store) -> None:
    settings, admin = tenant
    session = booked_played_and_withheld(admin, settings, store, "OnlineMeetingArtifact.Read.All")
    result = sync(settings, store, NINE + timedelta(minutes=30))
    assert state_of(store, session).state_reason == ATTENDANCE_UNAVAILABLE
    assert "Authorization_RequestDenied" in (result.attendance_denied or "")


def test_an_ended_session_whose_meeting_was_found_before_costs_two_requests(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    settings, admin = tenant
    [session] = book_at(settings, store, NINE)
    sync(settings, store, NINE - timedelta(hours=1))  # an earlier run finds the meeting ahead of time
    assert state_of(store, session).online_meeting_id
    play(admin, session, {MAYA: 15, RAVI: 15})
    admin.post("/requests/reset", {})
    sync(settings, store, NINE + timedelta(minutes=30))
    assert state_of(store, session).state == SessionState.COMPLETED
    meeting_calls = [r for r in admin.requests()["requests"] if "/onlineMeetings" in r["route"]]
    assert len(meeting_calls) == 2  # the reports listed, the one report read with its records


def test_a_mentor_without_teams_gets_no_meeting_and_the_slot_is_freed(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    settings, admin = tenant
    admin.client.patch(f"{admin.url}/access", json={"withoutTeams": [MAYA]}).raise_for_status()
    with pytest.raises(GraphRequestError, match="without a Teams meeting"):
        book_at(settings, store, NINE)
    (refused,) = store.list_sessions(mentor=MAYA)
    assert (refused.state, refused.state_reason) == (SessionState.CANCELLED, "no_teams_meeting")
    assert admin.get("/state")["cancelComments"]  # the invitation was withdrawn, with a word to Ravi

    admin.client.patch(f"{admin.url}/access", json={"withoutTeams": []}).raise_for_status()
    [booked] = book_at(settings, store, NINE)  # the slot was freed
    assert booked.join_url


def test_a_resent_create_that_graph_refuses_finds_the_first_event(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    settings, admin = tenant
    admin.fault(method="POST", path="/events$", dropAfterWrite=True, times=1)
    [session] = book_at(settings, store, NINE)
    assert session.event_id and session.join_url
    statuses = [r["status"] for r in admin.requests()["requests"] if r["route"] == "POST /users/{user}/events"]
    assert statuses[-1] == 409  # the resend was refused (ErrorDuplicateTransactionId), the event found instead
    maya_events = [e for u in admin.get("/state")["users"] if u["userPrincipalName"] == MAYA for e in u["events"]]
    assert len([e for e in maya_events if e.get("transactionId") == session.transaction_id]) == 1


@pytest.mark.parametrize("zone", [{"name": "tzone://Microsoft/Custom"}, {"name": "Customized Time Zone"}])
def test_working_hours_in_a_zone_nobody_can_map_are_read_in_the_mailbox_zone(zone: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    from services.slots import SlotQuery, search_slots
    from tests.conftest import with_graph

    seed = real_seed()
    for user in seed["users"]:
        if user["userPrincipalName"] == RAVI:
            user["mailboxSettings"]["workingHours"]["timeZone"] = zone
    with start_emulator(seed) as running:
        query = SlotQuery(mentor=MAYA, mentees=(RAVI,), now=datetime(2026, 11, 30, 0, 0, tzinfo=UTC))
        answer = with_graph(emulator_settings(running), lambda g: search_slots(g, POLICY, query))
    # Ravi's 10:00-19:00 read in India time (04:30-13:30 UTC), not UTC: slots open at 08:00 UTC, when Maya
    # starts her London day; read as UTC they would open at 10:00.
    assert min(slot.start.astimezone(UTC).time() for slot in answer.slots).hour == 8


def test_a_delta_round_broken_in_its_middle_by_an_expired_token_starts_over(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    settings, admin = tenant
    [session] = book_at(settings, store, NINE)
    for n in range(110):  # more than one page of 100
        day = NINE + timedelta(days=2 + n // 8, hours=n % 8)
        admin.post(
            f"/users/{MAYA}/events",
            {
                "subject": f"Busy {n}",
                "start": {"dateTime": day.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "end": {"dateTime": (day + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            },
        )
    cancelled = graph_call(settings, "POST", f"/users/{MAYA}/events/{session.event_id}/cancel", {"comment": "sorry"})
    assert cancelled.status_code == 202
    admin.client.post(f"{admin.url}/delta/expire", json={"afterPages": 1}).raise_for_status()
    admin.post("/requests/reset", {})
    sync(settings, store, NINE - timedelta(hours=3))
    assert state_of(store, session).state == SessionState.CANCELLED
    deltas = [r["status"] for r in admin.requests()["requests"] if r["route"].endswith("calendarView/delta")]
    assert deltas[:2] == [200, 410] and deltas[2:] == [200, 200]  # broken mid-round, then a whole new round


def test_invitations_go_to_the_mail_address_and_a_decline_there_cancels(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    settings, _ = tenant
    [session] = book_at(settings, store, NINE)
    window = "startDateTime=2026-11-30T00:00:00Z&endDateTime=2026-12-01T00:00:00Z"
    (invitation,) = graph_call(settings, "GET", f"/users/{RAVI}/calendarView?{window}").json()["value"]
    (organizer_view,) = [
        e
        for e in graph_call(settings, "GET", f"/users/{MAYA}/calendarView?{window}").json()["value"]
        if e["id"] == session.event_id
    ]
    assert [a["emailAddress"]["address"] for a in organizer_view["attendees"]] == [RAVI_MAIL]
    declined = graph_call(settings, "POST", f"/users/{RAVI}/events/{invitation['id']}/decline", {"sendResponse": True})
    assert declined.status_code == 202
    sync(settings, store, NINE - timedelta(hours=1))
    assert (state_of(store, session).state, state_of(store, session).state_reason) == (
        SessionState.CANCELLED,
        "all_mentees_declined",
    )


def test_getschedule_knows_people_by_smtp_address_only(tenant: tuple[GraphSettings, Admin]) -> None:
    settings, _ = tenant
    body = {
        "schedules": [RAVI, RAVI_MAIL],
        "startTime": {"dateTime": "2026-11-30T00:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": "2026-11-30T12:00:00", "timeZone": "UTC"},
    }
    by_upn, by_mail = graph_call(settings, "POST", f"/users/{MAYA}/calendar/getSchedule", body).json()["value"]
    assert by_upn["error"]["responseCode"] == "5009" and "error" not in by_mail


def test_health_counts_and_the_doctor_names_the_organizer_whose_attendance_is_refused(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    from types import SimpleNamespace

    from services.health import check_health
    from tests.conftest import with_graph

    settings, admin = tenant
    book_at(settings, store, NINE)
    admin.client.patch(f"{admin.url}/access", json={"teamsAccessPolicy": {"users": []}}).raise_for_status()
    sync(settings, store, NINE + timedelta(minutes=30))

    def runtime(g: Any) -> Any:
        return SimpleNamespace(settings=SimpleNamespace(queue_connection=None), graph=g, store=store, queues=None)

    health = with_graph(settings, lambda g: check_health(runtime(g)))
    assert health["status"] == "degraded"
    # Health answers anyone: a count and where to look. The admins' doctor names who and why.
    assert health["checks"]["attendance"] == {"ok": False, "organizers": 1, "details": "/api/admin/doctor"}
    from services.doctor import check_attendance_access

    (named,) = check_attendance_access(store)
    assert named.status == "fail" and named.detail.startswith(f"{MAYA}: attendance unreadable since")
    assert "No application access policy found for this app." in named.detail


def test_a_session_booked_before_people_were_stored_is_matched_and_gets_them(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    from dataclasses import replace

    settings, admin = tenant
    [session] = book_at(settings, store, NINE)
    store.update_session(session.id, lambda s: replace(s, people=()))  # as sessions from before this release
    play(admin, session, {MAYA: 15, RAVI: 15})
    sync(settings, store, NINE + timedelta(minutes=30))
    decided = state_of(store, session)
    assert decided.state == SessionState.COMPLETED
    assert {p.address: p.object_id for p in decided.people}[RAVI] == "8b7a2c2e-0002-4b0e-9e8e-000000000002"


def test_a_meeting_lookup_that_keeps_failing_never_leaves_the_session_scheduled(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    settings, admin = tenant
    [session] = book_at(settings, store, NINE)
    play(admin, session, {MAYA: 15, RAVI: 15})
    admin.fault(method="GET", path="/onlineMeetings$", status=500)
    sync(settings, store, NINE + timedelta(hours=1))
    soon = state_of(store, session)
    assert (soon.state, soon.state_reason) == (SessionState.PENDING_ATTENDANCE, "awaiting_report")
    sync(settings, store, NINE + timedelta(days=3))
    late = state_of(store, session)  # never a no-show for what could not be read
    assert (late.state, late.state_reason) == (SessionState.PENDING_ATTENDANCE, ATTENDANCE_UNAVAILABLE)


def test_a_meeting_graph_cannot_find_is_left_out_like_an_unreadable_one(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    # Graph has answered 404 3004 for meetings that were held: "not found" is no evidence of a no-show,
    # so the gateway leaves such a meeting out, and sync treats it as unread (see the test above).
    from graph.meetings import MeetingRef
    from tests.conftest import with_graph

    settings, _ = tenant
    [session] = book_at(settings, store, NINE)
    gone = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_gone%40thread.v2/0"
    maya_id = "8b7a2c2e-0003-4b0e-9e8e-000000000003"
    found = with_graph(
        settings, lambda g: g.attendance(maya_id, [MeetingRef(gone), MeetingRef(session.join_url or "")])
    )
    assert gone not in found and found[session.join_url or ""].reports == ()
    looked_up = with_graph(settings, lambda g: g.find_meetings(maya_id, [gone]))
    assert looked_up == {gone: None}


def test_user_read_all_withheld_is_named_and_never_a_no_show(tenant: tuple[GraphSettings, Admin], store: Store) -> None:
    settings, admin = tenant
    session = booked_played_and_withheld(admin, settings, store, "User.Read.All")
    result = sync(settings, store, NINE + timedelta(days=3))
    waiting = state_of(store, session)
    assert (waiting.state, waiting.state_reason) == (SessionState.PENDING_ATTENDANCE, ATTENDANCE_UNAVAILABLE)
    assert "Authorization_RequestDenied" in (result.attendance_denied or "")
    assert store.get_checkpoint(access_checkpoint(MAYA))


def test_an_abandoned_booking_whose_event_has_no_teams_meeting_is_withdrawn(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    from graph.errors import GraphUnavailable

    settings, admin = tenant
    admin.client.patch(f"{admin.url}/access", json={"withoutTeams": [MAYA]}).raise_for_status()
    admin.fault(method="POST", path="/events$", dropAfterWrite=True)  # the client never hears back
    with pytest.raises(GraphUnavailable):
        book_at(settings, store, NINE)
    admin.client.delete(f"{admin.url}/faults").raise_for_status()
    sync(settings, store, NINE - timedelta(hours=8))  # more than 15 minutes after the booking began
    (settled,) = store.list_sessions(mentor=MAYA)
    assert (settled.state, settled.state_reason) == (SessionState.CANCELLED, "no_teams_meeting")
    assert admin.get("/state")["cancelComments"]  # the invitation without a link was withdrawn


def test_a_participant_resolved_later_is_matched_by_object_id(
    tenant: tuple[GraphSettings, Admin], store: Store
) -> None:
    from dataclasses import replace

    settings, admin = tenant
    admin.client.patch(f"{admin.url}/access", json={"attendanceWithoutEmail": [RAVI]}).raise_for_status()
    [session] = book_at(settings, store, NINE)
    # The directory did not answer for Ravi at booking: he was kept as a bare address.
    half = tuple(p if p.address != RAVI else replace(p, object_id=None, aliases=frozenset()) for p in session.people)
    store.update_session(session.id, lambda s: replace(s, people=half))
    play(admin, session, {MAYA: 15, RAVI: 15})
    sync(settings, store, NINE + timedelta(minutes=30))
    assert state_of(store, session).state == SessionState.COMPLETED


def test_people_named_by_their_mail_are_found_through_a_filter(tenant: tuple[GraphSettings, Admin]) -> None:
    from tests.conftest import with_graph

    settings, _ = tenant
    # GET /users/{key} takes an object id or a UPN only (as Graph): a mail address is a 404 there.
    assert graph_call(settings, "GET", f"/users/{RAVI_MAIL}").status_code == 404
    found = with_graph(settings, lambda g: g.get_user(RAVI_MAIL))
    assert (found.id, found.upn) == ("8b7a2c2e-0002-4b0e-9e8e-000000000002", RAVI)
