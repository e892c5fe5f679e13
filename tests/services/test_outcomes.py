"""Outcome messages end to end against the Graph emulator (services/outcomes.py): planning per completed
session, quiet hours (22:00 local -> next working morning; inside a focus hold -> after it), the recipient's
language, and crash safety (a send killed midway and run again sends nothing twice and skips nothing).

People (tests/data/tenant.json): Maya (mentor) in London (GMT = UTC in December), Mon-Thu 07:30-15:30;
Ana (mentee) in Pacific time (UTC-8 in December), Mon-Fri 08:00-16:00. Policy defaults: day window
08:00-18:00, check-in after 7 days. The session ends Tue 1 Dec 2026 10:00Z.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from core.model import Checklist, Session, SessionState
from graph.gateway import GraphGateway
from policies import TenantPolicy, parse_policy
from services.answer_links import make_answer_token, record_answer
from services.outcomes import (
    LEASE,
    SENT_ITEMS_SETTLE,
    MailSettings,
    SendResult,
    outcome_round,
    plan_outcome_messages,
    send_due,
)
from services.report import build_report
from store.outbox import MessageKind, MessageState, Outbox, open_outbox
from tests.conftest import Admin
from tests.outcome_world import ANA, END, MAYA, CompletedSession

T = TypeVar("T")
RAVI = "ravi@contoso.example"
SENDER = "mentoring@contoso.example"


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


def make_world(admin: Admin, graph_settings: Any, completed_session: CompletedSession) -> dict[str, Any]:
    """The sender mailbox in the emulator, and the store holding s1 with its outbox."""
    admin.post(
        "/users",
        {"userPrincipalName": SENDER, "displayName": "Micro mentoring", "mailboxSettings": {"timeZone": "UTC"}},
    )
    store = completed_session.store
    return {"store": store, "outbox": open_outbox(store), "settings": graph_settings}


@pytest.fixture
def world(
    emulator: Any, admin: Admin, graph_settings: Any, completed_session: CompletedSession
) -> Iterator[dict[str, Any]]:
    yield make_world(admin, graph_settings, completed_session)


def run(settings: Any, body: Callable[[GraphGateway], Awaitable[T]]) -> T:
    async def main() -> T:
        graph = GraphGateway(settings)
        try:
            return await body(graph)
        finally:
            await graph.aclose()

    return asyncio.run(main())


def send(world: dict[str, Any], now: datetime, policy: TenantPolicy | None = None) -> SendResult:
    mail = MailSettings(sender=SENDER, secret="s" * 32, public_url="https://mm.example")
    rules = policy or TenantPolicy()
    return run(world["settings"], lambda g: send_due(g, world["outbox"], rules, mail, now, store=world["store"]))


def mails(admin: Admin) -> list[dict[str, Any]]:
    return list(admin.get("/mail")["value"])


def state(outbox: Outbox, person: str, kind: MessageKind) -> MessageState:
    found = outbox.get_message(f"s1|{person}|{kind.value}")
    assert found is not None
    return found.state


def test_planning_is_once_per_session_person_and_kind(world: dict[str, Any]) -> None:
    outbox: Outbox = world["outbox"]
    assert plan_outcome_messages(world["store"], outbox, TenantPolicy(), END + timedelta(minutes=30)) == 3
    assert plan_outcome_messages(world["store"], outbox, TenantPolicy(), END + timedelta(hours=1)) == 0
    due = {(m.person, m.kind): m.due for m in outbox.list_messages()}
    assert due == {
        (MAYA, MessageKind.MENTOR_FOLLOWUP): END,
        (ANA, MessageKind.MENTEE_USEFULNESS): END,
        (ANA, MessageKind.MENTEE_CHECKIN): utc(8, 10),  # 7 days later
    }


def test_checkin_after_days_comes_from_the_mentors_policy(world: dict[str, Any]) -> None:
    policy = parse_policy({"overrides": {MAYA: {"checkin_after_days": 10}}})
    plan_outcome_messages(world["store"], world["outbox"], policy, END)
    found = world["outbox"].get_message(f"s1|{ANA}|mentee_checkin")
    assert found is not None and found.due == utc(11, 10)


def test_sessions_long_past_are_not_planned(world: dict[str, Any]) -> None:
    # 15 days after the end: follow-up and usefulness are more than 14 days overdue; the check-in (8 days) is not.
    assert plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END + timedelta(days=15)) == 1


def test_each_goes_in_its_recipients_working_hours(world: dict[str, Any], admin: Admin) -> None:
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    # 10:30Z: Maya's London working day -> sent. Ana: 02:30 Pacific; her day starts at 08:00 (16:00Z) with a
    # "Focus time" hold until 10:00 Pacific, so her question waits for 18:00Z.
    first = send(world, utc(1, 10, 30))
    assert (first.sent, first.postponed) == (1, 1)
    (mail,) = mails(admin)
    assert mail["toRecipients"] == [{"emailAddress": {"address": MAYA}}]
    assert mail["subject"] == "Would you do another micro session on SQL tuning?"
    assert mail["mailbox"] == SENDER
    ana = world["outbox"].get_message(f"s1|{ANA}|mentee_usefulness")
    assert ana is not None and ana.earliest == utc(1, 18)
    assert send(world, utc(1, 17, 59)).sent == 0
    assert send(world, utc(1, 18, 0)).sent == 1
    assert [m["toRecipients"][0]["emailAddress"]["address"] for m in mails(admin)] == [MAYA, ANA]
    # Nothing more until the check-in is due (Tue 8 Dec 10:00Z = 02:00 Pacific -> 16:00Z).
    assert send(world, utc(8, 10)).sent == 0
    assert send(world, utc(8, 16)).sent == 1
    assert mails(admin)[-1]["subject"] == "Did you apply what you learned about SQL tuning?"


def test_due_at_22_local_goes_the_next_working_morning(world: dict[str, Any], admin: Admin) -> None:
    # A session ending Mon 30 Nov 22:00 London: Maya's follow-up waits for Tue 1 Dec 08:00Z (day window).
    world["store"].add_session(
        Session(
            id="late",
            mentor=MAYA,
            mentees=(RAVI,),
            start=utc(1, 21, 45) - timedelta(days=1),
            end=utc(1, 22) - timedelta(days=1),
            question="q",
            created_at=utc(1, 0) - timedelta(days=3),
            state=SessionState.COMPLETED,
            topic="Negotiation",
        )
    )
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), utc(1, 22) - timedelta(days=1))
    send(world, utc(1, 22) - timedelta(days=1))
    followup = world["outbox"].get_message(f"late|{MAYA}|mentor_followup")
    assert followup is not None and followup.earliest == utc(1, 8) and followup.state is MessageState.PENDING
    assert not [m for m in mails(admin) if m["toRecipients"][0]["emailAddress"]["address"] == MAYA]


def test_a_focus_hold_delays_until_it_ends(world: dict[str, Any], admin: Admin) -> None:
    admin.post(
        f"/users/{MAYA}/events",
        {
            "subject": "Focus time",
            "showAs": "busy",
            "start": {"dateTime": "2026-12-01T09:30:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-01T11:45:00", "timeZone": "UTC"},
        },
    )
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    send(world, utc(1, 10, 30))
    followup = world["outbox"].get_message(f"s1|{MAYA}|mentor_followup")
    assert followup is not None and followup.earliest == utc(1, 11, 45)
    assert send(world, utc(1, 11, 45)).sent == 1


def test_french_mailbox_gets_french(world: dict[str, Any], admin: Admin) -> None:
    admin.post(
        "/users",
        {
            "userPrincipalName": "lea@contoso.example",
            "displayName": "Léa Martin",
            "mailboxSettings": {"timeZone": "UTC", "language": {"locale": "fr-FR", "displayName": "Français (France)"}},
        },
    )
    world["store"].add_session(
        Session(
            id="s2",
            mentor=MAYA,
            mentees=("lea@contoso.example",),
            start=END - timedelta(minutes=15),
            end=END,
            question="q",
            created_at=END - timedelta(days=1),
            state=SessionState.COMPLETED,
            topic="Excel",
        )
    )
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    send(world, utc(1, 10, 30))
    subjects = {(m["toRecipients"][0]["emailAddress"]["address"], m["subject"]) for m in mails(admin)}
    assert subjects == {
        ("lea@contoso.example", "Votre micro-session sur Excel vous a-t-elle été utile ?"),
        (MAYA, "Would you do another micro session on SQL tuning?"),  # en-US mailbox
        (MAYA, "Would you do another micro session on Excel?"),
    }


@pytest.mark.parametrize("filed_late", [False, True], ids=["copy-filed-at-once", "copy-filed-late"])
def test_a_send_killed_after_graph_took_it_is_never_sent_twice(
    world: dict[str, Any], admin: Admin, filed_late: bool
) -> None:
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    if filed_late:  # Exchange files the Sent Items copy late (emulator/mail.py)
        admin.post("/mail/sentItems", {"delaySeconds": 3600})
    # The connection drops after Exchange accepted the mail: the sender cannot know it went out.
    admin.fault(method="POST", path="/sendMail$", dropAfterWrite=True, times=1)
    first = send(world, utc(1, 10, 30))
    assert (first.sent, first.uncertain) == (0, 1)
    assert len(mails(admin)) == 1
    assert state(world["outbox"], MAYA, MessageKind.MENTOR_FOLLOWUP) is MessageState.SENDING
    # Within the lease and the settle period nobody looks (with the copy filed late, looking now would find
    # nothing and send the message a second time).
    for moment in (LEASE + timedelta(minutes=1), LEASE + SENT_ITEMS_SETTLE - timedelta(seconds=1)):
        early = send(world, utc(1, 10, 30) + moment)
        assert (early.sent, early.recovered) == (0, 0)
    assert len(mails(admin)) == 1
    if filed_late:
        assert admin.post("/mail/sentItems", {"fileNow": True})["filed"] == 1
    # After them, Sent Items show it went out: marked sent, not resent.
    again = send(world, utc(1, 10, 30) + LEASE + SENT_ITEMS_SETTLE)
    assert (again.recovered, again.sent) == (1, 0)
    assert len(mails(admin)) == 1
    assert state(world["outbox"], MAYA, MessageKind.MENTOR_FOLLOWUP) is MessageState.SENT


def test_a_recovered_message_keeps_its_real_send_time_so_a_quick_answer_counts(
    world: dict[str, Any], admin: Admin
) -> None:
    # Graph took Maya's follow-up at 10:30 but the connection dropped; she answers at 10:32. The round
    # that finds the Sent Items copy 40 minutes later must record when the mail went out (the copy's
    # sentDateTime), not when we found out, or her answer falls before "sent" and is not counted.
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    admin.fault(method="POST", path="/sendMail$", dropAfterWrite=True, times=1)
    sent = utc(1, 10, 30)
    assert send(world, sent).uncertain == 1
    token = make_answer_token("s1", MAYA, MessageKind.MENTOR_FOLLOWUP, "yes", secret="s" * 32, now=sent)
    record_answer(world["outbox"], token, secret="s" * 32, now=sent + timedelta(minutes=2))
    found = sent + LEASE + SENT_ITEMS_SETTLE
    assert send(world, found).recovered == 1
    message = world["outbox"].get_message(f"s1|{MAYA}|mentor_followup")
    assert message.state is MessageState.SENT and message.sent_at is not None
    assert message.sent_at <= sent + timedelta(minutes=2) < found
    report = asyncio.run(build_report(world["store"], TenantPolicy(), period_from=utc(1, 0), period_to=utc(8, 0)))
    assert report.outcomes is not None and report.outcomes.overall.followup_answered == 1


def test_a_sender_killed_before_graph_took_it_sends_it_once_later(world: dict[str, Any], admin: Admin) -> None:
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    # The process died right after claiming: the message is "sending", Graph never saw it.
    (due,) = [m for m in world["outbox"].due_messages(utc(1, 10, 30)) if m.person == MAYA]
    assert world["outbox"].claim(due, lease_until=utc(1, 10, 30) + LEASE) is not None
    assert send(world, utc(1, 10, 31)).sent == 0  # leased by the dead sender
    later = send(world, utc(1, 10, 30) + LEASE)  # the dead sender's lease (claimed here without a settle period)
    assert (later.sent, later.recovered) == (1, 0)
    assert len(mails(admin)) == 1
    assert send(world, utc(1, 12)).sent == 0
    assert len(mails(admin)) == 1


def test_a_refused_send_goes_back_and_is_sent_once(world: dict[str, Any], admin: Admin) -> None:
    plan_outcome_messages(world["store"], world["outbox"], TenantPolicy(), END)
    admin.fault(method="POST", path="/sendMail$", status=503, retryAfter=30, times=1)
    first = send(world, utc(1, 10, 30))
    assert (first.sent, first.refused) == (0, 1)
    assert mails(admin) == []
    assert send(world, utc(1, 10, 30, 20)).sent == 0  # waits the Retry-After
    assert send(world, utc(1, 10, 31)).sent == 1
    assert len(mails(admin)) == 1


def test_the_checkin_recalls_the_session_pages_checklist(world: dict[str, Any], admin: Admin) -> None:
    # The mentee wrote the next step and its success indicator on the session page; the check-in, sent by
    # a timer round (outcome_round reads the store's checklists), quotes both back to her.
    store = world["store"]
    store.save_checklist(
        Checklist("s1", next_step="Read one slow query's plan", success_indicator="One index added"), 0
    )
    mail = MailSettings(sender=SENDER, secret="s" * 32, public_url="https://mm.example")
    run(world["settings"], lambda g: outcome_round(g, store, world["outbox"], TenantPolicy(), mail, utc(8, 16)))
    checkin = next(m for m in mails(admin) if m["subject"].startswith("Did you apply"))
    assert "Read one slow query&#x27;s plan" in checkin["body"]["content"] or (
        "Read one slow query's plan" in checkin["body"]["content"]
    )
    assert "One index added" in checkin["body"]["content"]
