"""The outcome messages' timer: every 5 minutes, plan the messages of completed sessions and send the due
ones (services/outcomes.py). One host runs each occurrence (the Functions host's timer singleton; the
local host's blob lease); a second sender would lose every claim anyway."""

from __future__ import annotations

import logging
from datetime import timedelta

import azure.functions as func

from micromentor.bootstrap import runtime
from services.outcomes import MailSettings, outcome_round

__all__ = ["bp"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)


@bp.timer_trigger(arg_name="timer", schedule="30 */5 * * * *", run_on_startup=False, use_monitor=True)
async def send_outcome_messages(timer: func.TimerRequest) -> None:
    rt = runtime()
    sender = rt.settings.mail_sender
    if not sender:
        log.info("send_outcome_messages: MICROMENTOR_MAIL_SENDER is not set; no outcome messages are sent")
        return
    settings = MailSettings(
        sender=sender,
        secret=rt.settings.link_secret,
        public_url=rt.settings.public_url,
        settle=timedelta(minutes=rt.settings.mail_settle_minutes),
    )
    done = await outcome_round(rt.graph, rt.store, rt.outbox, await rt.policy(), settings, rt.clock())
    log.info("send_outcome_messages: %s", done)
