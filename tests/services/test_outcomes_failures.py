"""Outcome messages when things go wrong (services/outcomes.py), against the Graph emulator: a message in
doubt after a crash still keeps quiet hours; one failing Sent Items lookup backs off that message only and
is given up after `MAX_ATTEMPTS`; recipients who can never be reached are given up with the reason
recorded; a session that changed since planning drops what no longer applies; mail goes to the directory
`mail`; out of office holds a message back. Health shows the outbox.

People as in tests/services/test_outcomes.py: Maya (mentor) London, Mon-Thu 07:30-15:30 (GMT = UTC in
December); Ana (mentee) Pacific (UTC-8), Mon-Fri 08:00-16:00; the policy's day window 08:00-18:00. So
Maya may be written to 08:00-15:30Z Mon-Thu, Ana 16:00-24:00Z Mon-Fri. Session s1 ends Tue 1 Dec 10:00Z.
Leo (tests/data/tenant.json) has a directory entry but no Exchange Online mailbox.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.model import Session, SessionState
from policies import TenantPolicy
from services.outcomes import LEASE, MAX_ATTEMPTS, outcome_mail_health, plan_outcome_messages
from store.outbox import MessageState, Outbox, OutboxMessage
from tests.conftest import Admin
from tests.outcome_world import ANA, END, MAYA, CompletedSession
from tests.services.test_outcomes import mails, make_world, run, send, utc

LEO = "leo@contoso.example"


@pytest.fixture
def world(emulator: Any, admin: Admin, graph_settings: Any, completed_session: CompletedSession) -> dict[str, Any]:
    return make_world(admin, graph_settings, completed_session)


def recipients(admin: Admin) -> list[str]:
    return [m["toRecipients"][0]["emailAddress"]["address"] for m in mails(admin)]


def message(outbox: Outbox, key: str) -> OutboxMessage:
    found = outbox.get_message(key)
    assert found is not None
    return found


def crash_while_sending(outbox: Outbox, person: str, at: Any) -> None:
    """Claim `person`'s due message as a sender would, and die before Graph sees the send."""
    (due,) = [m for m in outbox.due_messages(at) if m.person == person]
    assert outbox.claim(due, lease_until=at + LEASE) is not None


def add_session(world: dict[str, Any], sid: str, mentees: tuple[str, ...]) -> None:
    world["store"].add_session(
        Session(id=sid, mentor=MAYA, mentees=mentees, start=END - timedelta(minutes=15), end=END, question="q",
                created_at=END - timedelta(days=1), state=SessionState.COMPLETED, topic="X")
    )  # fmt: skip


# 1. A message in doubt keeps quiet hours -------------------------------------------------------------


def test_a_message_found_unsent_after_a_crash_waits_for_the_morning(world: dict[str, Any], admin: Admin) -> None:
    # Maya's follow-up is claimed Tue 15:25Z and the sender dies. The host is back Wed 02:00 London: Sent
    # Items have no copy, but 02:00 is outside her hours: it waits for Wed 08:00 (the day window's start).
    outbox = world["outbox"]
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    crash_while_sending(outbox, MAYA, utc(1, 15, 25))
    send(world, utc(2, 2, 0))
    assert recipients(admin) == []
    waiting = message(outbox, f"s1|{MAYA}|mentor_followup")
    assert (waiting.state, waiting.earliest) == (MessageState.PENDING, utc(2, 8, 0))
    send(world, utc(2, 8, 0))
    assert recipients(admin) == [MAYA]


def test_a_message_found_unsent_on_a_saturday_waits_for_monday(world: dict[str, Any], admin: Admin) -> None:
    outbox = world["outbox"]
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    crash_while_sending(outbox, MAYA, utc(3, 15, 25))  # Thu 3 Dec, Maya's last working day of the week
    send(world, utc(5, 11, 0))  # Sat 5 Dec
    assert MAYA not in recipients(admin)
    waiting = message(outbox, f"s1|{MAYA}|mentor_followup")
    assert (waiting.state, waiting.earliest) == (MessageState.PENDING, utc(7, 8, 0))  # Mon 7 Dec


# 2. One failing lookup does not stop the others ------------------------------------------------------


def test_a_failing_sent_items_lookup_backs_off_that_message_only(world: dict[str, Any], admin: Admin) -> None:
    outbox = world["outbox"]
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    crash_while_sending(outbox, MAYA, utc(1, 10, 0))
    admin.fault(method="GET", path="/mailFolders/sentitems/messages", status=503, retryAfter=0, times=1000)
    result = send(world, utc(8, 16))  # Tue 8 Dec 08:00 Pacific
    assert sorted(recipients(admin)) == [ANA, ANA]  # her usefulness question and her check-in
    assert result.sent == 2 and result.uncertain == 1
    stuck = message(outbox, f"s1|{MAYA}|mentor_followup")
    # Claimed twice (the crashed send, this lookup): it waits 2 x 15 minutes, still "sending".
    assert stuck.state is MessageState.SENDING and stuck.attempts == 2
    assert stuck.lease_until == utc(8, 16, 30) and stuck.last_error is not None and "503" in stuck.last_error
    health = outcome_mail_health(outbox)
    assert (health["ok"], health["inDoubt"], health["sent"], health["pending"]) == (False, 1, 2, 0)
    assert health["oldestDue"] == "2026-12-01T10:00:00Z"


def test_without_mail_read_the_message_in_doubt_is_given_up_and_the_rest_go_out(
    world: dict[str, Any], admin: Admin
) -> None:
    # The app lost Mail.Read: every Sent Items lookup is a 403. Each round backs the message off (30 min,
    # 1 h, 2 h, 4 h, 6 h, 6 h); at its MAX_ATTEMPTS-th claim it is given up, never re-sent blind.
    client = world["settings"].client_id
    roles = ["Calendars.ReadWrite", "MailboxSettings.Read", "User.Read.All", "Mail.Send", "OnlineMeetings.Read.All"]
    admin.client.put(f"{admin.url}/apps/{client}/roles", json={"roles": roles}).raise_for_status()
    outbox = world["outbox"]
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    crash_while_sending(outbox, MAYA, utc(1, 10, 0))
    moment, rounds = utc(8, 16), 0
    while message(outbox, f"s1|{MAYA}|mentor_followup").state is MessageState.SENDING:
        send(world, moment)
        rounds += 1
        stuck = message(outbox, f"s1|{MAYA}|mentor_followup")
        moment = stuck.lease_until or moment
        assert rounds <= MAX_ATTEMPTS
    assert rounds == MAX_ATTEMPTS - 1  # the crashed claim was the first attempt
    given_up = message(outbox, f"s1|{MAYA}|mentor_followup")
    assert given_up.state is MessageState.FAILED and given_up.last_error is not None
    assert given_up.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert sorted(recipients(admin)) == [ANA, ANA]  # Maya's follow-up was never sent blind
    health = outcome_mail_health(outbox)
    assert (health["ok"], health["failed"], health["inDoubt"]) == (False, 1, 0)
    assert "@" not in health["lastError"]


# 3. Recipients who can never be reached --------------------------------------------------------------


def test_a_recipient_without_a_mailbox_is_given_up_with_the_reason(world: dict[str, Any], admin: Admin) -> None:
    # Leo's mailboxSettings answer 404 MailboxNotEnabledForRESTAPI: the question waits 6 hours at a time
    # with the reason recorded, and is given up 14 days after it was due (the links' lifetime).
    outbox = world["outbox"]
    add_session(world, "g", (LEO,))
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    send(world, utc(1, 16))
    waiting = message(outbox, f"g|{LEO}|mentee_usefulness")
    assert (waiting.state, waiting.earliest) == (MessageState.PENDING, utc(1, 22))
    assert waiting.last_error == f"{LEO} has no Exchange Online mailbox"
    assert outcome_mail_health(outbox)["retrying"] == 1
    send(world, utc(1, 18))  # Ana's usefulness question, after her focus hold
    send(world, utc(2, 9))  # Maya's two follow-ups
    assert sorted(recipients(admin)) == [ANA, MAYA, MAYA]
    send(world, utc(15, 10))  # 14 days after the end
    gone = message(outbox, f"g|{LEO}|mentee_usefulness")
    assert gone.state is MessageState.FAILED
    assert gone.last_error == f"not sent within 14 days: {LEO} has no Exchange Online mailbox"
    assert LEO not in recipients(admin)
    health = outcome_mail_health(outbox)
    assert (health["ok"], health["failed"], health["retrying"]) == (False, 1, 1)  # his check-in still waits
    assert health["lastError"] == "not sent within 14 days: <someone> has no Exchange Online mailbox"


def test_someone_not_in_the_directory_is_recorded(world: dict[str, Any], admin: Admin) -> None:
    outbox = world["outbox"]
    add_session(world, "g", ("ghost@contoso.example",))
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    send(world, utc(1, 16))
    waiting = message(outbox, "g|ghost@contoso.example|mentee_usefulness")
    assert waiting.state is MessageState.PENDING
    assert waiting.last_error == "ghost@contoso.example is not in the directory"


def test_a_send_graph_keeps_refusing_is_given_up_after_max_attempts(world: dict[str, Any], admin: Admin) -> None:
    # The configured sender is Leo, who has no mailbox: every sendMail is a 404. Graph did not take the
    # message, so after MAX_ATTEMPTS refusals giving it up sends nothing twice.
    from services.outcomes import MailSettings, send_due

    outbox = world["outbox"]
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    mail = MailSettings(sender=LEO, secret="s" * 32, public_url="https://mm.example")
    moment, rounds = utc(1, 10, 30), 0

    def round_at(at: datetime) -> None:
        run(world["settings"], lambda g: send_due(g, outbox, TenantPolicy(), mail, at, store=world["store"]))

    while message(outbox, f"s1|{MAYA}|mentor_followup").state is MessageState.PENDING and rounds < 40:
        round_at(moment)
        rounds += 1
        moment = max(moment + timedelta(minutes=1), message(outbox, f"s1|{MAYA}|mentor_followup").earliest)
    given_up = message(outbox, f"s1|{MAYA}|mentor_followup")
    assert given_up.state is MessageState.FAILED and given_up.attempts == MAX_ATTEMPTS
    assert given_up.last_error is not None and given_up.last_error.startswith(f"sendMail refused {MAX_ATTEMPTS} times")
    assert "MailboxNotEnabledForRESTAPI" in given_up.last_error or "REST API" in given_up.last_error
    assert recipients(admin) == []


def test_the_emulator_gives_a_user_without_a_mailbox_a_directory_entry_only(world: dict[str, Any]) -> None:
    from graph.errors import GraphNotFound

    async def look(graph: Any) -> tuple[str, dict[str, Any], str]:
        user = await graph.get_user(LEO)
        boxes = await graph.get_mailboxes([LEO])
        try:
            await graph.calendar_items(LEO, utc(1, 0), utc(2, 0))
        except GraphNotFound as exc:
            return user.mail, boxes, exc.code or ""
        return user.mail, boxes, "no error"

    assert run(world["settings"], look) == (LEO, {}, "MailboxNotEnabledForRESTAPI")


# 4. What no longer applies is dropped ----------------------------------------------------------------


def test_a_session_that_became_a_no_show_sends_nothing_more(world: dict[str, Any], admin: Admin) -> None:
    store, outbox = world["store"], world["outbox"]
    plan_outcome_messages(store, outbox, TenantPolicy(), END)
    store.update_session("s1", lambda s: replace(s, state=SessionState.NO_SHOW, state_reason="mentees_absent"))
    result = send(world, utc(8, 16))
    assert recipients(admin) == [] and result.dropped == 3
    for key in (f"s1|{ANA}|mentee_checkin", f"s1|{ANA}|mentee_usefulness", f"s1|{MAYA}|mentor_followup"):
        dropped = message(outbox, key)
        assert (dropped.state, dropped.last_error) == (MessageState.DROPPED, "the session is no_show now")
    assert outcome_mail_health(outbox)["dropped"] == 3


def test_a_mentee_removed_since_planning_is_not_written_to(world: dict[str, Any], admin: Admin) -> None:
    store, outbox = world["store"], world["outbox"]
    plan_outcome_messages(store, outbox, TenantPolicy(), END)
    store.update_session("s1", lambda s: replace(s, mentees=("ravi@contoso.example",)))
    send(world, utc(8, 16))
    assert ANA not in recipients(admin)
    dropped = message(outbox, f"s1|{ANA}|mentee_checkin")
    assert dropped.state is MessageState.DROPPED
    assert dropped.last_error == f"{ANA} is no longer one of the session's mentees"
    assert message(outbox, f"s1|{MAYA}|mentor_followup").state is MessageState.PENDING  # Maya is still its mentor


# 5. Mail goes to the directory's `mail` --------------------------------------------------------------


def test_mail_goes_to_the_mail_address_not_the_upn(world: dict[str, Any], admin: Admin) -> None:
    upn, address = "lea@contoso.onmicrosoft.com", "lea.martin@contoso.example"
    admin.post("/users", {"userPrincipalName": upn, "mail": address, "displayName": "Léa",
                          "mailboxSettings": {"timeZone": "UTC"}})  # fmt: skip
    add_session(world, "u", (upn,))
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    send(world, utc(1, 10, 30))  # Tue 10:30 UTC: inside Léa's default hours (Mon-Fri 08:00-17:00)
    assert address in recipients(admin) and upn not in recipients(admin)


# 6. Out of office ------------------------------------------------------------------------------------


def test_a_checkin_waits_while_the_recipient_shows_as_out_of_office(world: dict[str, Any], admin: Admin) -> None:
    # Ana is on leave Mon 7 Dec - Fri 18 Dec (an all-day event shown as oof, until Sat 19 Dec 00:00 Pacific):
    # her check-in (due Tue 8 Dec) waits for Mon 21 Dec 08:00 Pacific = 16:00Z.
    admin.post(f"/users/{ANA}/events", {
        "subject": "Vacation", "showAs": "oof", "isAllDay": True,
        "start": {"dateTime": "2026-12-07T00:00:00", "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": "2026-12-19T00:00:00", "timeZone": "Pacific Standard Time"},
    })  # fmt: skip
    outbox = world["outbox"]
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    send(world, utc(8, 16))
    assert ANA not in recipients(admin)
    assert message(outbox, f"s1|{ANA}|mentee_checkin").earliest == utc(21, 16)


def test_a_checkin_waits_for_scheduled_automatic_replies_to_end(world: dict[str, Any], admin: Admin) -> None:
    noor = "noor@contoso.example"
    replies = {
        "status": "scheduled",
        "scheduledStartDateTime": {"dateTime": "2026-12-08T00:00:00.0000000", "timeZone": "UTC"},
        "scheduledEndDateTime": {"dateTime": "2026-12-10T12:00:00.0000000", "timeZone": "UTC"},
    }
    admin.post("/users", {"userPrincipalName": noor, "displayName": "Noor",
                          "mailboxSettings": {"timeZone": "UTC", "automaticRepliesSetting": replies}})  # fmt: skip
    add_session(world, "oo", (noor,))
    outbox = world["outbox"]
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    send(world, utc(8, 10, 30))  # Tue 8 Dec: her check-in is due, her automatic replies are on
    assert noor not in recipients(admin)
    assert message(outbox, f"oo|{noor}|mentee_checkin").earliest == utc(10, 12)  # when they end (Thu 12:00)


def test_automatic_replies_always_on_hold_the_message_with_the_reason(world: dict[str, Any], admin: Admin) -> None:
    noor = "noor@contoso.example"
    admin.post("/users", {"userPrincipalName": noor, "displayName": "Noor",
                          "mailboxSettings": {"timeZone": "UTC",
                                              "automaticRepliesSetting": {"status": "alwaysEnabled"}}})  # fmt: skip
    add_session(world, "oo", (noor,))
    outbox = world["outbox"]
    plan_outcome_messages(world["store"], outbox, TenantPolicy(), END)
    send(world, utc(8, 10, 30))
    held = message(outbox, f"oo|{noor}|mentee_checkin")
    assert noor not in recipients(admin) and held.earliest == utc(8, 16, 30)
    assert held.last_error is not None and "out of office" in held.last_error


def test_health_shows_the_outcome_outbox_when_a_sender_is_configured(
    world: dict[str, Any], admin: Admin, completed_session: CompletedSession
) -> None:
    import asyncio

    from micromentor.bootstrap import Runtime
    from micromentor.settings import Settings
    from services.health import check_health

    add_session(world, "g", (LEO,))
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    send(world, utc(1, 16))  # Leo's question waits with its reason; Ana's waits for her focus hold to end
    settings = Settings(
        graph=world["settings"], store_url=completed_session.url, mail_sender="mentoring@contoso.example"
    )
    rt = Runtime(settings, clock=lambda: utc(1, 16))

    async def main() -> dict[str, Any]:
        try:
            return await check_health(rt)
        finally:
            await rt.aclose()

    health = asyncio.run(main())
    check = health["checks"]["outcomeMail"]
    # 6 planned, none sent at 16:00Z (Maya's day is over): s1's three and g's three (Maya's follow-up, Leo's
    # usefulness question and check-in). Only Leo's usefulness question was tried, and waits with its reason.
    assert (check["ok"], check["retrying"], check["inDoubt"], check["failed"], check["sent"]) == (True, 1, 0, 0, 0)
    assert check["pending"] == 6 and check["oldestDue"] == "2026-12-01T10:00:00Z"
    assert check["lastError"] == "<someone> has no Exchange Online mailbox"
