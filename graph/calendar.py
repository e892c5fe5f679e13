"""Calendar reads: free/busy (getSchedule), calendarView and its delta."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from msgraph.generated.users.item.calendar.get_schedule.get_schedule_post_request_body import (
    GetSchedulePostRequestBody,
)
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import (
    CalendarViewRequestBuilder,
)
from msgraph.generated.users.item.calendar_view.delta.delta_request_builder import DeltaRequestBuilder

from core.model import CalendarItem
from graph.base import (
    _DELTA_PREFER,
    _UTC_PREFER,
    PAGE_SIZE,
    SCHEDULE_RANGE,
    SCHEDULES_PER_REQUEST,
    GraphBase,
    _config,
    _graph_moment,
    _iso,
    _split_range,
    chunked,
)
from graph.errors import GraphRequestError, GraphUnavailable
from graph.mapping import event_snapshot, item_from_json
from graph.values import (
    DeltaPage,
    EventSnapshot,
    Schedule,
)

__all__ = ["CalendarCalls"]

_ITEM_FIELDS = ("start", "end", "showAs", "subject", "categories", "isAllDay", "isCancelled")  # see item_from_json


# freeBusyError.responseCode values that mean "no such mailbox": 5009 "Unable to resolve e-mail address … to
# an Active Directory object." (microsoft-graph-docs #11225; concepts/outlook-get-free-busy-schedule.md: an
# entity getSchedule "cannot identify" comes back as an error item), and Exchange's recipient-not-found code.
_NO_SUCH_MAILBOX = frozenset({"5009", "errormailrecipientnotfound"})
# Exchange availability codes that say "try again later" (EWS ResponseCodeType): the search may be retried.
_TRANSIENT = frozenset({
    "errorserverbusy", "errortimeoutexpired", "errormailboxstoreunavailable", "errormailboxmoveinprogress",
    "errorproxyrequestprocessingfailed", "errorinternalservertransienterror", "errorfreebusygenerationfailed",
})  # fmt: skip


def _whose(entry: dict[str, Any], position: int, asked: Sequence[str], by_address: dict[str, str]) -> str:
    """Whom one scheduleInformation is about: by its scheduleId (case-insensitive: addresses are), else by
    its position, since getSchedule answers one item per address in `schedules`, in order
    (api/calendar-getschedule.md)."""
    schedule_id = str(entry.get("scheduleId") or "").strip().lower()
    if schedule_id in by_address:
        return by_address[schedule_id]
    return asked[position] if position < len(asked) else schedule_id


def _schedule_error(upn: str, error: Any) -> str:
    """A per-schedule error: the mentee has no mailbox (returned, for the caller to name them), or any
    other failure (raised: a Graph error carrying the responseCode, retryable when Exchange says transient)."""
    body = error if isinstance(error, dict) else {}
    code = str(body.get("responseCode") or "").strip()
    message = str(body.get("message") or "unknown error")
    if code.lower() in _NO_SUCH_MAILBOX or (not code and "unable to resolve" in message.lower()):
        return message
    text = f"getSchedule could not read the free/busy of {upn}: {message} (responseCode {code or 'none'})"
    if code.lower() in _TRANSIENT:
        raise GraphUnavailable(text, code=code)
    raise GraphRequestError(text, code=code)


class CalendarCalls(GraphBase):
    async def get_schedules(
        self, organizer: str, users: Sequence[str], start: datetime, end: datetime, interval_minutes: int
    ) -> dict[str, Schedule]:
        """getSchedule for everyone: 20 schedules per request and under 62 days per range (Graph's
        limits); the requests run in parallel and an item spanning two ranges is kept once."""

        by_address = {**{u.lower(): u for u in users}, **{self._smtp(u).lower(): u for u in users}}

        async def one_request(group: Sequence[str], since: datetime, until: datetime) -> list[Schedule]:
            body = GetSchedulePostRequestBody(
                schedules=[self._smtp(u) for u in group],
                start_time=_graph_moment(since),
                end_time=_graph_moment(until),
                availability_view_interval=max(5, min(1440, interval_minutes)),
            )
            builder = self._client.users.by_user_id(organizer).calendar.get_schedule
            info = builder.to_post_request_information(body, _config(prefer=[_UTC_PREFER]))
            answer = await self._json("POST getSchedule", info)
            entries = list(answer.get("value") or ())
            schedules = []
            for position, entry in enumerate(entries):
                upn = _whose(entry, position, group, by_address)
                error = entry.get("error")
                if error:
                    schedules.append(Schedule(upn, (), error=_schedule_error(upn, error)))
                    continue
                items = tuple(item_from_json(i) for i in entry.get("scheduleItems") or ())
                schedules.append(Schedule(upn, items))
            return schedules

        unique = list(dict.fromkeys(users))
        ranges = list(_split_range(start, end, SCHEDULE_RANGE))
        answers = await asyncio.gather(
            *(one_request(g, a, b) for g in chunked(unique, SCHEDULES_PER_REQUEST) for a, b in ranges)
        )
        merged: dict[str, Schedule] = {}
        for schedule in (s for answer in answers for s in answer):
            key = schedule.upn.lower()
            before = merged.get(key)
            if before is None:
                merged[key] = schedule
            else:
                items = tuple(dict.fromkeys(before.items + schedule.items))
                merged[key] = Schedule(before.upn, items, before.error or schedule.error)
        return {u: merged[u.lower()] for u in unique if u.lower() in merged}

    async def calendar_events(
        self, user: str, start: datetime, end: datetime, select: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Every occurrence between start and end (recurrences expanded by Graph), following pages,
        as Graph's event JSON; only the `select`ed properties (and the id) when some are named."""
        query = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
            start_date_time=_iso(start) + "Z", end_date_time=_iso(end) + "Z", top=PAGE_SIZE,
            select=list(select) or None,
        )
        builder = self._client.users.by_user_id(user).calendar_view
        page = await self._json(
            f"GET calendarView {user}", builder.to_get_request_information(_config(query, prefer=[_UTC_PREFER]))
        )
        events: list[dict[str, Any]] = list(page.get("value") or ())
        while link := page.get("@odata.nextLink"):
            info = builder.with_url(str(link)).to_get_request_information(_config(prefer=[_UTC_PREFER]))
            page = await self._json(f"GET calendarView {user} (next page)", info)
            events.extend(page.get("value") or ())
        return events

    async def calendar_items(self, user: str, start: datetime, end: datetime) -> list[CalendarItem]:
        # Only what a CalendarItem holds: a mentor's cap window is two months of events, and their
        # bodies and attendees were 85 % of the answer (86 kB for 48 events in the bench tenant).
        events = await self.calendar_events(user, start, end, select=_ITEM_FIELDS)
        return [item_from_json(e) for e in events]

    async def calendar_delta(self, user: str, start: datetime, end: datetime, delta_link: str | None) -> DeltaPage:
        """One full delta round: from `delta_link` (or from scratch) to the next deltaLink."""
        builder = self._client.users.by_user_id(user).calendar_view.delta
        if delta_link:
            info = builder.with_url(delta_link).to_get_request_information(_config(prefer=_DELTA_PREFER))
        else:
            query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
                start_date_time=_iso(start) + "Z", end_date_time=_iso(end) + "Z"
            )
            info = builder.to_get_request_information(_config(query, prefer=_DELTA_PREFER))
        changed: list[EventSnapshot] = []
        removed: list[str] = []
        page = await self._json(f"GET calendarView/delta {user}", info)
        while True:
            for event in page.get("value") or ():
                if "@removed" in event:
                    removed.append(str(event["id"]))
                elif event.get("start") and event.get("end"):
                    changed.append(event_snapshot(event))
            next_link = page.get("@odata.nextLink")
            if not next_link:
                break
            info = builder.with_url(str(next_link)).to_get_request_information(_config(prefer=_DELTA_PREFER))
            page = await self._json(f"GET calendarView/delta {user} (next page)", info)
        final = page.get("@odata.deltaLink")
        if not final:
            raise GraphRequestError(f"calendarView/delta {user}: Graph returned no deltaLink")
        return DeltaPage(tuple(changed), tuple(removed), str(final))

    async def find_event_by_transaction(
        self, organizer: str, start: datetime, end: datetime, transaction_id: str
    ) -> EventSnapshot | None:
        """The organizer's event created with `transactionId` between start and end, if Graph made it."""
        for event in await self.calendar_events(organizer, start, end):
            if event.get("transactionId") == transaction_id and event.get("id"):
                return event_snapshot(event)
        return None
