"""The demo's outcome loop: after the weeks are played, the outcome timer runs on the simulated clock
(every three hours, until the last check-ins are due), and the simulated people answer some of the
messages through their signed links: most within a day or two, some late (a few after the links expired,
which the link refuses), some never. Everything goes through the real services (outbox, quiet hours,
sendMail on the emulator, answer links).

What the demo says it did is told from the report (`describe_outcomes`): "answered" is the report's
`responseRate.answered`, one source. An answer the people gave is not always one the report counts: a
check-in answered after `checkin_after_days` + 7 days (its window) is recorded but not counted; the line says
how many.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from core.errors import InputError
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.answer_links import CHOICES, make_answer_token, record_answer
from services.links import LinkError
from services.outcomes import MailSettings, outcome_round
from store.base import Store
from store.outbox import MessageKind, MessageState, open_outbox

__all__ = ["describe_outcomes", "play_outcomes"]

ROUND = timedelta(hours=3)
_WEIGHTS: dict[MessageKind, tuple[int, ...]] = {
    MessageKind.MENTOR_FOLLOWUP: (60, 30, 10),  # yes, maybe, no
    MessageKind.MENTEE_USEFULNESS: (2, 5, 18, 40, 35),  # 1..5
    MessageKind.MENTEE_CHECKIN: (45, 30, 25),  # applied, partly, not yet
}


async def play_outcomes(
    graph: GraphGateway,
    admin: httpx.AsyncClient,
    store: Store,
    policy: TenantPolicy,
    *,
    start: datetime,
    end: datetime,
    secret: str,
    public_url: str,
    rng: random.Random,
) -> dict[str, int | str]:
    """Run the outcome timer on the simulated clock and let people answer; what happened, for
    `describe_outcomes` (given = answers recorded through the links)."""
    domain = store.list_sessions()[0].mentor.split("@", 1)[1] if store.list_sessions() else "fabrikam.example"
    sender = f"mentoring@{domain}"
    made = await admin.post("/users", json={"userPrincipalName": sender, "displayName": "Micro mentoring",
                                             "mailboxSettings": {"timeZone": "UTC"}})  # fmt: skip
    if made.status_code not in (201, 409):
        made.raise_for_status()
    outbox = open_outbox(store)
    settings = MailSettings(sender=sender, secret=secret, public_url=public_url)
    last_checkin = end + timedelta(days=max(policy.base.checkin_after_days, 7) + 1)
    now, totals = start, {"sent": 0, "postponed": 0}
    while now <= last_checkin:
        done = await outcome_round(graph, store, outbox, policy, settings, now)
        totals["sent"] += done["sent"]
        totals["postponed"] += done["postponed"]
        now += ROUND
    answered = late = expired = never = 0
    # Not the outbox's order (due, then key): keys start with random session ids, so messages due at the
    # same moment (two sessions ending together) would take each other's draws from one run to the next.
    people_order = sorted(outbox.list_messages(), key=lambda m: (m.due, m.mentor, m.person, m.kind.value, m.session_id))
    for message in people_order:
        if message.state is not MessageState.SENT or message.sent_at is None:
            continue
        roll = rng.random()
        if roll < 0.25:
            never += 1
            continue
        delay = timedelta(hours=rng.uniform(1, 40)) if roll < 0.85 else timedelta(days=rng.uniform(8, 18))
        choice = rng.choices(CHOICES[message.kind], weights=_WEIGHTS[message.kind])[0]
        token = make_answer_token(message.session_id, message.person, message.kind, choice, secret=secret,
                                  now=message.sent_at)  # fmt: skip
        try:
            record_answer(outbox, token, secret=secret, now=message.sent_at + delay)
        except LinkError:
            expired += 1
            continue
        except InputError:
            continue
        answered += 1
        late += delay > timedelta(days=2)
    return {
        "sender": sender, "sent": totals["sent"], "postponed": totals["postponed"], "given": answered,
        "late": late, "expired": expired, "never": never,
    }  # fmt: skip


def describe_outcomes(played: Mapping[str, int | str], outcomes: Mapping[str, Any] | None) -> str:
    """The demo's line about the outcome loop; its "answered" is the report's (`responseRate.answered`)."""
    counted = int(outcomes["responseRate"]["answered"]) if outcomes is not None else 0
    outside = int(played["given"]) - counted
    window = f", {outside} more after their check-in window (recorded, not counted)" if outside > 0 else ""
    return (
        f"outcomes: {played['sent']} check-ins and follow-ups sent from {played['sender']} in working hours "
        f"({played['postponed']} waited for quiet hours to end); {counted} answered{window} "
        f"({played['late']} answers came late), {played['expired']} answered after their link expired, "
        f"{played['never']} never answered"
    )
