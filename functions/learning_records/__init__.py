"""Learning records: a timer logs completed sessions as xAPI statements (and Viva Learning course activities)
and delivers what is due; a no-op unless an LRS or a Viva Learning provider is configured."""

from __future__ import annotations

import logging

import azure.functions as func

from micromentor.bootstrap import runtime
from services.learning import log_learning_records

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)


# Every five minutes, two and a half minutes after the sync timer: sessions sync just completed are logged
# on this run. One pass at a time per host (use_monitor); a second host running it too sends nothing twice.
@bp.timer_trigger(arg_name="timer", schedule="30 2-59/5 * * * *", run_on_startup=False, use_monitor=True)
async def log_learning(timer: func.TimerRequest) -> None:
    rt = runtime()
    settings = rt.settings.learning
    if settings is None:
        return
    graph = rt.graph if settings.viva_provider_id is not None and rt.settings.graph is not None else None
    result = await log_learning_records(rt.store, settings, rt.clock(), graph=graph)
    log.info("log_learning: %s", result)
