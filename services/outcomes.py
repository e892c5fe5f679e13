"""Use cases: plan the outcome messages of completed sessions, and send the ones that are due.

Planning is a separate pass over completed sessions (sync is untouched): for each, the mentor's follow-up
and each mentee's usefulness question are due when the session ended, each mentee's check-in
`checkin_after_days` later. The outbox keys messages by (session, person, kind), so planning again adds
nothing. Messages already more than `STALE_AFTER` overdue when first planned are not planned at all
(sessions from before this feature, or a long outage): their links would be stale on arrival.

Sending, per due message:
1. quiet hours (`core.quiet_hours`): outside the recipient's allowed time it is postponed to the next
   allowed moment, untouched otherwise;
2. claim: "pending" -> "sending" under a lease (compare-and-set; losing means another sender has it);
3. `sendMail`, tried once (it has no idempotency key); every message carries its key as an extended
   property;
4. "sent". A refusal Graph answered (4xx, 429, 503) puts it back to "pending": Graph did not take it.
   A broken connection or a 504 leaves it "sending": it may have gone out.
A message left "sending" (a crash, or an unknown outcome) is due again once its lease ends; then the
sender's Sent Items are searched for its key first, and it is marked sent if found; if not, it goes on as
a pending message does, quiet hours first (so it never goes out at night after a crash).

Before a message goes, its session is read again: a session no longer completed, or a person no longer its
mentor or one of its mentees, drops the message ("dropped", with the reason). The address written to is
the recipient's directory `mail` (Exchange routes by SMTP address; a UPN is not always one).

Each message is handled on its own: a lookup failing for one (Sent Items, directory, mailbox, calendar)
records the error on it, backs it off (`backoff`) and the round goes on. A message is given up ("failed",
with the reason) after `MAX_ATTEMPTS` claims that Graph refused or could not confirm, or when it is still
not sent `GIVE_UP_AFTER` after it was due (a recipient without a mailbox, never reachable). Health shows
the outbox (`outcome_mail_health`).
A claim's lease is `LEASE` (the most a send may take) plus the settle period (`MailSettings.settle`,
default `SENT_ITEMS_SETTLE`): sendMail's 202 only means "accepted", and Exchange files the Sent Items copy
after its transport has taken the message (Graph docs: user-sendmail.md, the note on 202;
concepts/outlook-things-to-know-about-send-mail.md, steps 2-7 happen after the response), so nobody looks
for the copy until the settle period has passed since the send could last have been made.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from core.model import CalendarItem, Session, SessionState
from core.quiet_hours import QuietHours, away_periods, next_send_moment
from core.slots import is_focus_hold
from graph.errors import GraphAuthError, GraphError, GraphNotFound, GraphRequestError, GraphUnavailable
from graph.gateway import GraphGateway
from graph.mail import OutgoingMail
from graph.values import Mailbox
from policies import Policy, TenantPolicy
from services.answer_links import CHOICES, make_answer_token
from services.outcome_catalogue import language_of, render_message
from services.series_messages import series_no_slot_mail
from store.base import Store
from store.outbox import MessageKind, MessageState, Outbox, OutboxMessage

__all__ = [
    "GIVE_UP_AFTER",
    "LEASE",
    "MAX_ATTEMPTS",
    "SENT_ITEMS_SETTLE",
    "STALE_AFTER",
    "ChecklistLookup",
    "MailSettings",
    "SendResult",
    "backoff",
    "checklist_of",
    "no_checklist",
    "outcome_mail_health",
    "outcome_round",
    "plan_outcome_messages",
    "send_due",
]

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
SENT_ITEMS_SETTLE = timedelta(minutes=30)  # MICROMENTOR_MAIL_SETTLE_MINUTES; Exchange usually files in seconds
STALE_AFTER = timedelta(days=14)
HOLD_WINDOW = timedelta(days=14)  # focus holds read ahead; beyond it nobody is known to be busy
RETRY_LATER = timedelta(hours=6)  # nobody reachable within the window, or Graph refused: look again then
BACKOFF = timedelta(minutes=15)  # first wait after a failed lookup for one message; doubles up to RETRY_LATER
MAX_ATTEMPTS = 8  # tries (claims) of one message before it is given up
GIVE_UP_AFTER = timedelta(days=14)  # the answer links' lifetime: a message not sent by then is given up

# The session page's checklist (another module): session id -> (next step, success indicator) or None.
ChecklistLookup = Callable[[str], tuple[str, str] | None]


def no_checklist(session_id: str) -> tuple[str, str] | None:
    return None


def checklist_of(store: Store) -> ChecklistLookup:
    """The next step and success indicator written on the session page, when both were filled in."""

    def lookup(session_id: str) -> tuple[str, str] | None:
        saved = store.get_checklist(session_id)
        if saved is None or not saved.next_step.strip() or not saved.success_indicator.strip():
            return None
        return saved.next_step, saved.success_indicator

    return lookup


@dataclass(frozen=True, slots=True)
class MailSettings:
    sender: str  # the mailbox messages are sent from (Mail.Send scoped to it with RBAC for Applications)
    secret: str  # signs the answer links (the booking links' secret)
    public_url: str  # where `/api/answers/{token}` is served
    # How long after a send Exchange may take to file its Sent Items copy: a message in doubt is looked up
    # there only this long after its lease (module docstring).
    settle: timedelta = SENT_ITEMS_SETTLE


@dataclass(slots=True)
class SendResult:
    sent: int = 0
    postponed: int = 0
    recovered: int = 0  # found already sent after a crash: marked, not sent again
    refused: int = 0  # Graph answered with an error: back to pending
    uncertain: int = 0  # no answer: left "sending" until the lease ends, then checked
    lost_race: int = 0
    failed: int = 0  # given up: unreachable recipient, refused or in doubt too often (last_error says why)
    dropped: int = 0  # no longer applies: the session is not completed any more, or the person left it
    errors: list[str] = field(default_factory=list)


def _plan(session: Session, policy: Policy, now: datetime) -> list[OutboxMessage]:
    ended = session.end
    wanted = [(session.mentor, MessageKind.MENTOR_FOLLOWUP, ended)]
    for mentee in session.mentees:
        wanted.append((mentee, MessageKind.MENTEE_USEFULNESS, ended))
        wanted.append((mentee, MessageKind.MENTEE_CHECKIN, ended + timedelta(days=policy.checkin_after_days)))
    return [
        OutboxMessage(
            session_id=session.id,
            person=person.lower(),
            kind=kind,
            mentor=session.mentor.lower(),
            due=due,
            created_at=now,
            topic=session.topic,
        )
        for person, kind, due in wanted
        if due >= now - STALE_AFTER
    ]


def plan_outcome_messages(store: Store, outbox: Outbox, tenant_policy: TenantPolicy, now: datetime) -> int:
    """Enqueue the messages of every completed session; returns how many were new."""
    added = 0
    for session in store.list_sessions(states=[SessionState.COMPLETED]):
        for message in _plan(session, tenant_policy.effective(session.mentor), now):
            added += outbox.enqueue(message)
    return added


class _Recipients:
    """Mailboxes and focus holds, read once per run and person."""

    def __init__(self, graph: GraphGateway, now: datetime) -> None:
        self.graph, self.now = graph, now
        self._holds: dict[tuple[str, tuple[str, ...]], tuple[tuple[datetime, datetime], ...]] = {}
        self._away: dict[str, tuple[tuple[datetime, datetime], ...]] = {}
        self._calendars: dict[str, list[CalendarItem]] = {}

    async def mailbox(self, person: str) -> Mailbox | None:
        return (await self.graph.get_mailboxes([person])).get(person)

    async def _items(self, person: str) -> list[CalendarItem]:
        if person not in self._calendars:
            since, until = self.now - timedelta(days=1), self.now + HOLD_WINDOW
            self._calendars[person] = await self.graph.calendar_items(person, since, until)
        return self._calendars[person]

    async def holds(self, person: str, markers: Sequence[str]) -> tuple[tuple[datetime, datetime], ...]:
        key = (person, tuple(markers))
        if key not in self._holds:
            items = await self._items(person)
            found = [(i.start, i.end) for i in items if not i.is_cancelled and is_focus_hold(i, markers)]
            self._holds[key] = tuple(sorted(found))
        return self._holds[key]

    async def away(self, person: str, box: Mailbox) -> tuple[tuple[datetime, datetime], ...]:
        """Out of office: events shown as `oof`, and automatic replies (core.quiet_hours.away_periods)."""
        if person not in self._away:
            items = await self._items(person)
            oof = [(i.start, i.end) for i in items if not i.is_cancelled and i.show_as.lower() == "oof"]
            # "Always on" automatic replies: away past anything `next_send_moment` searches (HOLD_WINDOW days).
            self._away[person] = away_periods(
                oof, box.auto_replies, since=self.now - timedelta(days=1), until=self.now + 2 * HOLD_WINDOW
            )
        return self._away[person]


async def _reach(
    graph: GraphGateway, recipients: _Recipients, policy: Policy, message: OutboxMessage, now: datetime
) -> tuple[datetime | None, str | None, Mailbox | None, str]:
    """(first allowed moment or None, why none, mailbox, the SMTP address to write to)."""
    try:
        # Exchange routes by SMTP address, and a user principal name is not always one: write to `mail`.
        address = (await graph.get_user(message.person)).mail
    except GraphNotFound:
        return None, f"{message.person} is not in the directory", None, message.person
    box = await recipients.mailbox(message.person)
    if box is None:
        # Graph answers 404 (MailboxNotEnabledForRESTAPI) for users without an Exchange Online mailbox.
        return None, f"{message.person} has no Exchange Online mailbox", None, address
    away = await recipients.away(message.person, box)
    rules = QuietHours(
        tz=box.tz,
        working_hours=box.working_hours,
        day_start=policy.day_start,
        day_end=policy.day_end,
        message_window=policy.message_window,
        focus_holds=await recipients.holds(message.person, policy.focus_markers),
        away=away,
    )
    moment = next_send_moment(max(now, message.earliest), rules, search_days=HOLD_WINDOW.days)
    if moment is None:
        why = f"no allowed moment for {message.person} within {HOLD_WINDOW.days} days (working hours, "
        return None, why + "day window, focus holds, out of office)", box, address
    return moment, None, box, address


async def _compose(
    graph: GraphGateway, message: OutboxMessage, policy: Policy, settings: MailSettings, now: datetime,
    language: str, checklist: ChecklistLookup, outbox: Outbox, address: str,
) -> OutgoingMail:  # fmt: skip
    base = settings.public_url.rstrip("/")
    links = {
        choice: f"{base}/api/answers/"
        + quote(
            make_answer_token(message.session_id, message.person, message.kind, choice, secret=settings.secret, now=now)
        )
        for choice in CHOICES[message.kind]
    }
    try:
        mentor_name = (await graph.get_user(message.mentor)).display_name
    except GraphError:
        mentor_name = message.mentor
    recall = None
    if message.kind is MessageKind.MENTEE_CHECKIN:
        recall = await asyncio.to_thread(checklist, message.session_id)
        if recall is None:
            notes = await asyncio.to_thread(outbox.get_notes, message.session_id)
            recall = None if notes is None else (notes.next_step, notes.success_indicator)
    rendered = render_message(
        message.kind, language, links=links, topic=message.topic, mentor=mentor_name,
        days=policy.checkin_after_days, next_step=recall,
    )  # fmt: skip
    return OutgoingMail(to=address, subject=rendered.subject, html=rendered.html, key=message.key,
                        language=language)  # fmt: skip


def _no_longer_applies(store: Store, message: OutboxMessage) -> str | None:
    """Why `message` should not go out any more (the session read now), or None. A series' "no slot"
    message is about an occurrence that was never booked: there is no session to re-read."""
    if message.kind is MessageKind.SERIES_NO_SLOT:
        return None
    session = store.get_session(message.session_id)
    if session is None:
        return "the session no longer exists"
    if session.state is not SessionState.COMPLETED:
        return f"the session is {session.state.value} now"
    if message.kind is MessageKind.MENTOR_FOLLOWUP:
        if session.mentor.lower() != message.person:
            return f"{message.person} is no longer the session's mentor"
    elif message.person not in {m.lower() for m in session.mentees}:
        return f"{message.person} is no longer one of the session's mentees"
    return None


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failed try: 15, 30, 60… minutes, at most 6 hours."""
    wait: timedelta = BACKOFF * 2 ** min(max(attempts - 1, 0), 10)
    return min(wait, RETRY_LATER)


class _StopRound(Exception):
    def __init__(self, error: GraphError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(slots=True)
class _Run:
    graph: GraphGateway
    outbox: Outbox
    store: Store
    tenant_policy: TenantPolicy
    settings: MailSettings
    now: datetime
    checklist: ChecklistLookup
    recipients: _Recipients
    result: SendResult

    def give_up(self, message: OutboxMessage, reason: str) -> None:
        self.result.failed += self.outbox.revise(message, state=MessageState.FAILED, last_error=reason) is not None
        log.warning("outcome message %s given up: %s", message.key, reason)

    def defer(self, key: str, error: str) -> None:
        """A lookup for this message failed (Sent Items, directory, mailbox, calendar): record it, back this
        message off and go on with the others; give up after `MAX_ATTEMPTS` or `GIVE_UP_AFTER`."""
        self.result.errors.append(error)
        current = self.outbox.get_message(key)
        if current is None or current.state not in (MessageState.PENDING, MessageState.SENDING):
            return
        if current.attempts >= MAX_ATTEMPTS or self.now >= current.due + GIVE_UP_AFTER:
            self.give_up(current, f"gave up after {current.attempts} attempts: {error}")
            return
        later = self.now + backoff(current.attempts)
        if current.state is MessageState.SENDING:  # still in doubt: it stays "sending", looked up again later
            self.outbox.revise(current, state=MessageState.SENDING, last_error=error, lease_until=later)
            self.result.uncertain += 1
        else:
            self.outbox.revise(current, state=MessageState.PENDING, last_error=error, send_after=later)
            self.result.postponed += 1


async def _send_one(run: _Run, message: OutboxMessage) -> None:
    outbox, now, settings, result = run.outbox, run.now, run.settings, run.result
    policy = run.tenant_policy.effective(message.mentor)
    claimed: OutboxMessage | None = None
    current = message
    if message.state is MessageState.SENDING:
        claimed = await asyncio.to_thread(outbox.claim, message, lease_until=now + LEASE + settings.settle)
        if claimed is None:
            result.lost_race += 1
            return
        copy = await run.graph.sent_copy(settings.sender, message.key)
        if copy is not None:
            # When it really went out, not when we found out: answers given in between count (one window).
            await asyncio.to_thread(outbox.mark_sent, message.key, min(copy.sent_at or now, now))
            result.recovered += 1
            return
        current = claimed  # not sent: from here on it goes as a pending message does, quiet hours first
    reason = await asyncio.to_thread(_no_longer_applies, run.store, current)
    if reason is not None:
        dropped = await asyncio.to_thread(outbox.revise, current, state=MessageState.DROPPED, last_error=reason)
        result.dropped += dropped is not None
        return
    if now >= current.due + GIVE_UP_AFTER:
        last = current.last_error or "no allowed moment came"
        await asyncio.to_thread(run.give_up, current, f"not sent within {GIVE_UP_AFTER.days} days: {last}")
        return
    allowed, why, box, address = await _reach(run.graph, run.recipients, policy, current, now)
    if allowed is None:
        done = await asyncio.to_thread(
            outbox.revise, current, state=MessageState.PENDING, last_error=why, send_after=now + RETRY_LATER
        )
        result.postponed += done is not None
        return
    if allowed > now:
        result.postponed += await asyncio.to_thread(outbox.postpone, current, allowed) is not None
        return
    if claimed is None:
        claimed = await asyncio.to_thread(outbox.claim, current, lease_until=now + LEASE + settings.settle)
        if claimed is None:
            result.lost_race += 1
            return
    language = language_of(box.language if box is not None else None)
    if claimed.kind is MessageKind.SERIES_NO_SLOT:  # no question to answer: the alternatives of a series
        mail = series_no_slot_mail(
            claimed, zone=box.tz if box else None, language=language, secret=settings.secret,
            public_url=settings.public_url, now=now,
        )  # fmt: skip
        mail = dataclasses.replace(mail, to=address)
    else:
        mail = await _compose(run.graph, claimed, policy, settings, now, language, run.checklist, outbox, address)
    try:
        await run.graph.send_mail(settings.sender, mail)
    except GraphUnavailable as exc:
        if exc.status in (429, 503):
            after = exc.retry_after if exc.retry_after is not None else 60.0
            await asyncio.to_thread(outbox.release, message.key, str(exc), now + timedelta(seconds=after))
            result.refused += 1
        else:  # no answer, or 504: it may have gone out; after the lease (and settle), Sent Items decide
            result.uncertain += 1
        result.errors.append(str(exc))
        return
    except (GraphRequestError, GraphNotFound) as exc:  # a 4xx: Graph did not take the message
        result.refused += 1
        result.errors.append(str(exc))
        if claimed.attempts >= MAX_ATTEMPTS:  # Graph did not take it: giving up sends nothing twice
            await asyncio.to_thread(run.give_up, claimed, f"sendMail refused {claimed.attempts} times: {exc}")
        else:
            await asyncio.to_thread(outbox.release, message.key, str(exc), now + RETRY_LATER)
        return
    except GraphAuthError as exc:  # a missing role or mailbox scope refuses every message alike
        await asyncio.to_thread(outbox.release, message.key, str(exc), now + RETRY_LATER)
        raise _StopRound(exc) from exc
    await asyncio.to_thread(outbox.mark_sent, message.key, now)
    result.sent += 1


async def send_due(
    graph: GraphGateway,
    outbox: Outbox,
    tenant_policy: TenantPolicy,
    settings: MailSettings,
    now: datetime,
    *,
    store: Store,
    checklist: ChecklistLookup = no_checklist,
    limit: int = 200,
) -> SendResult:
    """Send every outcome message that is due now and allowed now; see the module docstring. Each message
    is handled on its own: a failed lookup for one backs that one off and the others go on."""
    now = now.astimezone(UTC)
    result = SendResult()
    run = _Run(graph, outbox, store, tenant_policy, settings, now, checklist, _Recipients(graph, now), result)
    for message in await asyncio.to_thread(outbox.due_messages, now, limit):
        try:
            await _send_one(run, message)
        except _StopRound as stop:
            raise stop.error from None
        except GraphError as exc:
            await asyncio.to_thread(run.defer, message.key, str(exc))
    log.info("send_due: %s", result)
    return result


_ADDRESS = re.compile(r"[^\s'\"<>()]+@[^\s'\"<>()]+")


def outcome_mail_health(outbox: Outbox) -> dict[str, Any]:
    """For `/api/health` (which answers anyone: counts, and the last give-up reason without addresses):
    messages waiting (`pending`; `retrying` of them after a failure), `inDoubt` ("sending": a send may
    have gone out, Sent Items decide), `failed` (given up), `dropped` (no longer applied), `sent`, and
    `oldestDue` (the earliest moment a waiting message was due). Not ok while anything was given up or a
    message in doubt cannot be looked up."""
    messages = outbox.list_messages()
    by_state = {state: [m for m in messages if m.state is state] for state in MessageState}
    waiting = by_state[MessageState.PENDING] + by_state[MessageState.SENDING]
    failed = by_state[MessageState.FAILED]
    stuck = [m for m in by_state[MessageState.SENDING] if m.last_error]
    check: dict[str, Any] = {
        "ok": not failed and not stuck,
        "pending": len(by_state[MessageState.PENDING]),
        "retrying": sum(1 for m in by_state[MessageState.PENDING] if m.last_error),
        "inDoubt": len(by_state[MessageState.SENDING]),
        "failed": len(failed),
        "dropped": len(by_state[MessageState.DROPPED]),
        "sent": len(by_state[MessageState.SENT]),
        "oldestDue": min((m.due for m in waiting), default=None),
    }
    if check["oldestDue"] is not None:
        check["oldestDue"] = check["oldestDue"].astimezone(UTC).isoformat().replace("+00:00", "Z")
    last = max(failed, key=lambda m: (m.due, m.key), default=None) or max(
        (m for m in waiting if m.last_error), key=lambda m: (m.due, m.key), default=None
    )
    if last is not None and last.last_error:
        check["lastError"] = _ADDRESS.sub("<someone>", last.last_error)
    return check


async def outcome_round(
    graph: GraphGateway,
    store: Store,
    outbox: Outbox,
    tenant_policy: TenantPolicy,
    settings: MailSettings,
    now: datetime,
    *,
    checklist: ChecklistLookup | None = None,
) -> dict[str, int]:
    """One timer tick (or `micromentor send-due`): plan what completed sessions need, send what is due.
    The check-in recalls the session page's checklist (default: the store's)."""
    planned = await asyncio.to_thread(plan_outcome_messages, store, outbox, tenant_policy, now)
    lookup = checklist if checklist is not None else checklist_of(store)
    result = await send_due(graph, outbox, tenant_policy, settings, now, store=store, checklist=lookup)
    return {
        "planned": planned,
        "sent": result.sent,
        "postponed": result.postponed,
        "recovered": result.recovered,
        "refused": result.refused,
        "uncertain": result.uncertain,
        "failed": result.failed,
        "dropped": result.dropped,
    }
