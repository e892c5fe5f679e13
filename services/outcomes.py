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
sender's Sent Items are searched for its key first, and it is marked sent if found, sent again if not.
A claim's lease is `LEASE` (the most a send may take) plus the settle period (`MailSettings.settle`,
default `SENT_ITEMS_SETTLE`): sendMail's 202 only means "accepted", and Exchange files the Sent Items copy
after its transport has taken the message (Graph docs: user-sendmail.md, the note on 202;
concepts/outlook-things-to-know-about-send-mail.md, steps 2-7 happen after the response), so nobody looks
for the copy until the settle period has passed since the send could last have been made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from core.model import Session, SessionState
from core.quiet_hours import QuietHours, next_send_moment
from core.slots import is_focus_hold
from graph.errors import GraphAuthError, GraphError, GraphRequestError, GraphUnavailable
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
    "LEASE",
    "SENT_ITEMS_SETTLE",
    "STALE_AFTER",
    "ChecklistLookup",
    "MailSettings",
    "SendResult",
    "checklist_of",
    "no_checklist",
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

    async def mailbox(self, person: str) -> Mailbox | None:
        return (await self.graph.get_mailboxes([person])).get(person)

    async def holds(self, person: str, markers: Sequence[str]) -> tuple[tuple[datetime, datetime], ...]:
        key = (person, tuple(markers))
        if key not in self._holds:
            items = await self.graph.calendar_items(person, self.now - timedelta(days=1), self.now + HOLD_WINDOW)
            found = [(i.start, i.end) for i in items if not i.is_cancelled and is_focus_hold(i, markers)]
            self._holds[key] = tuple(sorted(found))
        return self._holds[key]


async def _allowed_at(
    recipients: _Recipients, policy: Policy, message: OutboxMessage, now: datetime
) -> datetime | None:
    box = await recipients.mailbox(message.person)
    if box is None:
        return None
    rules = QuietHours(
        tz=box.tz,
        working_hours=box.working_hours,
        day_start=policy.day_start,
        day_end=policy.day_end,
        message_window=policy.message_window,
        focus_holds=await recipients.holds(message.person, policy.focus_markers),
    )
    return next_send_moment(max(now, message.earliest), rules, search_days=HOLD_WINDOW.days)


async def _compose(
    graph: GraphGateway, message: OutboxMessage, policy: Policy, settings: MailSettings, now: datetime,
    language: str, checklist: ChecklistLookup, outbox: Outbox,
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
        recall = checklist(message.session_id)
        if recall is None:
            notes = outbox.get_notes(message.session_id)
            recall = None if notes is None else (notes.next_step, notes.success_indicator)
    rendered = render_message(
        message.kind, language, links=links, topic=message.topic, mentor=mentor_name,
        days=policy.checkin_after_days, next_step=recall,
    )  # fmt: skip
    return OutgoingMail(to=message.person, subject=rendered.subject, html=rendered.html, key=message.key,
                        language=language)  # fmt: skip


async def send_due(
    graph: GraphGateway,
    outbox: Outbox,
    tenant_policy: TenantPolicy,
    settings: MailSettings,
    now: datetime,
    *,
    checklist: ChecklistLookup = no_checklist,
    limit: int = 200,
) -> SendResult:
    """Send every outcome message that is due now and allowed now; see the module docstring."""
    now = now.astimezone(UTC)
    result = SendResult()
    recipients = _Recipients(graph, now)
    for message in outbox.due_messages(now, limit):
        policy = tenant_policy.effective(message.mentor)
        if message.state is MessageState.SENDING:
            claimed = outbox.claim(message, lease_until=now + LEASE + settings.settle)
            if claimed is None:
                result.lost_race += 1
                continue
            if await graph.was_sent(settings.sender, message.key):
                outbox.mark_sent(message.key, now)
                result.recovered += 1
                continue
        else:
            allowed = await _allowed_at(recipients, policy, message, now)
            if allowed is None or allowed > now:
                later = allowed if allowed is not None else now + RETRY_LATER
                result.postponed += outbox.postpone(message, later) is not None
                continue
            claimed = outbox.claim(message, lease_until=now + LEASE + settings.settle)
            if claimed is None:
                result.lost_race += 1
                continue
        box = await recipients.mailbox(message.person)
        language = language_of(box.language if box is not None else None)
        if claimed.kind is MessageKind.SERIES_NO_SLOT:  # no question to answer: the alternatives of a series
            mail = series_no_slot_mail(
                claimed, zone=box.tz if box else None, language=language, secret=settings.secret,
                public_url=settings.public_url, now=now,
            )  # fmt: skip
        else:
            mail = await _compose(graph, claimed, policy, settings, now, language, checklist, outbox)
        try:
            await graph.send_mail(settings.sender, mail)
        except GraphUnavailable as exc:
            if exc.status in (429, 503):
                after = exc.retry_after if exc.retry_after is not None else 60.0
                outbox.release(message.key, str(exc), now + timedelta(seconds=after))
                result.refused += 1
            else:  # no answer, or 504: it may have gone out; after the lease (and settle), Sent Items decide
                result.uncertain += 1
            result.errors.append(str(exc))
            continue
        except GraphRequestError as exc:
            outbox.release(message.key, str(exc), now + RETRY_LATER)
            result.refused += 1
            result.errors.append(str(exc))
            continue
        except GraphAuthError as exc:  # a missing role or mailbox scope refuses every message alike
            outbox.release(message.key, str(exc), now + RETRY_LATER)
            raise
        outbox.mark_sent(message.key, now)
        result.sent += 1
    log.info("send_due: %s", result)
    return result


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
    planned = plan_outcome_messages(store, outbox, tenant_policy, now)
    lookup = checklist if checklist is not None else checklist_of(store)
    result = await send_due(graph, outbox, tenant_policy, settings, now, checklist=lookup)
    return {
        "planned": planned,
        "sent": result.sent,
        "postponed": result.postponed,
        "recovered": result.recovered,
        "refused": result.refused,
        "uncertain": result.uncertain,
    }
