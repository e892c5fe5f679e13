"""Typed Microsoft Graph calls micromentor needs, through msgraph-sdk and one retry layer."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.attendee import Attendee as GraphAttendee
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType
from msgraph.generated.models.subscription import Subscription
from msgraph.generated.users.item.calendar.get_schedule.get_schedule_post_request_body import (
    GetSchedulePostRequestBody,
)
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import (
    CalendarViewRequestBuilder,
)
from msgraph.generated.users.item.calendar_view.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.users.item.events.item.cancel.cancel_post_request_body import CancelPostRequestBody
from msgraph.generated.users.item.online_meetings.item.attendance_reports.item.meeting_attendance_report_item_request_builder import (  # noqa: E501
    MeetingAttendanceReportItemRequestBuilder,
)
from msgraph.generated.users.item.online_meetings.online_meetings_request_builder import (
    OnlineMeetingsRequestBuilder,
)
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from core.model import AttendanceInterval, AttendanceRecord, AttendanceReport, CalendarItem
from graph.auth import MsalTokenProvider
from graph.client import build_graph_client
from graph.config import GraphSettings
from graph.errors import GraphNotFound, GraphRequestError
from graph.mapping import event_snapshot, item_from_json, mailbox_zone, working_hours_from_json
from graph.retry import TRANSIENT_STATUSES, call_graph, retry_after_seconds
from graph.timezones import UnknownTimeZone, parse_graph_datetime, zone_from_name
from graph.values import (
    DeltaPage,
    DirectoryUser,
    EventDraft,
    EventSnapshot,
    Mailbox,
    Schedule,
)

__all__ = ["SCHEDULES_PER_REQUEST", "GraphGateway"]

_MeetingQuery = OnlineMeetingsRequestBuilder.OnlineMeetingsRequestBuilderGetQueryParameters
_ReportQuery = MeetingAttendanceReportItemRequestBuilder.MeetingAttendanceReportItemRequestBuilderGetQueryParameters

log = logging.getLogger(__name__)
T = TypeVar("T")
_ERRORS: dict[str, Any] = {"XXX": ODataError}  # as the generated builders map errors
SCHEDULES_PER_REQUEST = 20  # Graph's documented getSchedule limit
BATCH_LIMIT = 20  # Graph's documented JSON batching limit
PAGE_SIZE = 100
SCHEDULE_RANGE = timedelta(days=60)  # getSchedule takes ranges under 62 days
_UTC_PREFER = 'outlook.timezone="UTC"'
_DELTA_PREFER = (_UTC_PREFER, f"odata.maxpagesize={PAGE_SIZE}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _graph_moment(moment: datetime) -> DateTimeTimeZone:
    return DateTimeTimeZone(date_time=_iso(moment), time_zone="UTC")


def _local_moment(moment: datetime, zone_name: str) -> DateTimeTimeZone:
    try:
        zone = zone_from_name(zone_name)
    except UnknownTimeZone:
        zone, zone_name = UTC, "UTC"
    local = moment.astimezone(zone)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        return _graph_moment(moment)  # a wall time that happens twice (autumn change): UTC says which
    return DateTimeTimeZone(date_time=local.strftime("%Y-%m-%dT%H:%M:%S"), time_zone=zone_name)


def chunked(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _split_range(start: datetime, end: datetime, step: timedelta) -> Iterable[tuple[datetime, datetime]]:
    while start < end:
        yield start, min(end, start + step)
        start += step


def _config(query: Any = None, *, prefer: Iterable[str] = ()) -> RequestConfiguration[Any]:
    config: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
    for value in prefer:
        config.headers.add("Prefer", value)
    return config


class GraphGateway:
    """The Graph port: one instance per process, safe to share between concurrent calls."""

    def __init__(self, settings: GraphSettings) -> None:
        self.settings = settings
        self._tokens = MsalTokenProvider(settings)
        self._client, self._http = build_graph_client(settings, self._tokens)
        self._mailboxes: dict[str, Mailbox] = {}
        self._users: dict[str, DirectoryUser] = {}
        self._mailbox_fetches: dict[str, asyncio.Future[None]] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _json(self, what: str, info: RequestInformation) -> dict[str, Any]:
        """Send a request the SDK's builders made, through the SDK's pipeline, and read JSON back."""

        async def send() -> dict[str, Any]:
            adapter: Any = self._client.request_adapter
            raw: bytes | None = await adapter.send_primitive_async(info, "bytes", _ERRORS)
            answer: dict[str, Any] = json.loads(raw) if raw else {}
            return answer

        return await self._call(what, send)

    async def _call(self, what: str, send: Callable[[], Awaitable[T]]) -> T:
        return await call_graph(
            what,
            send,
            attempts=self.settings.max_attempts,
            max_wait=self.settings.max_wait_seconds,
            on_unauthorized=self._tokens.refresh,
        )

    async def token(self) -> str:
        """An app token (from msal's cache when fresh): proves the identity endpoint answers."""
        return await self._tokens.get_authorization_token(self.settings.graph_url)

    # --- directory ----------------------------------------------------------------------------
    async def get_user(self, user: str) -> DirectoryUser:
        """A directory user by UPN or id; cached for the process (ids and names rarely change)."""
        cached = self._users.get(user.lower())
        if cached is not None:
            return cached
        found = await self._call(f"GET /users/{user}", lambda: self._client.users.by_user_id(user).get())
        if found is None:
            raise GraphNotFound(f"user {user} not found", status=404)
        self._users[user.lower()] = DirectoryUser(
            id=str(found.id),
            upn=str(found.user_principal_name or user),
            mail=str(found.mail or found.user_principal_name or user),
            display_name=str(found.display_name or user),
            department=found.department,
            office_location=found.office_location,
        )
        return self._users[user.lower()]

    async def get_mailboxes(self, users: Sequence[str]) -> dict[str, Mailbox]:
        """Mailbox zone and working hours, $batch-ed 20 at a time and cached for the process; a user
        already being fetched is awaited, not fetched twice (bursts after a cold start).

        Unknown users are left out of the answer, so the caller can say which argument was wrong."""
        wanted = [u for u in dict.fromkeys(u.lower() for u in users) if u not in self._mailboxes]
        waiting = {u: self._mailbox_fetches[u] for u in wanted if u in self._mailbox_fetches}
        fresh = [u for u in wanted if u not in waiting]
        if fresh:
            fetch = asyncio.ensure_future(self._fetch_mailboxes(fresh))
            for user in fresh:
                self._mailbox_fetches[user] = fetch
            try:
                await fetch
            finally:
                for user in fresh:
                    self._mailbox_fetches.pop(user, None)
        for pending in set(waiting.values()):
            await pending
        return {u: self._mailboxes[u.lower()] for u in users if u.lower() in self._mailboxes}

    async def _fetch_mailboxes(self, users: Sequence[str]) -> None:
        for group in chunked(users, BATCH_LIMIT):
            answers = await self._batch_get(
                {
                    str(i): self._client.users.by_user_id(u).mailbox_settings.to_get_request_information()
                    for i, u in enumerate(group)
                },
                what="GET mailboxSettings ($batch)",
            )
            for i, user in enumerate(group):
                status, body = answers[str(i)]
                if status == 404:
                    continue
                if body is None:
                    raise GraphRequestError(f"GET mailboxSettings {user}: Graph answered {status}", status=status)
                zone = mailbox_zone(body.get("timeZone"))
                self._mailboxes[user] = Mailbox(user, zone, working_hours_from_json(body.get("workingHours"), zone))

    async def _batch_get(self, requests: dict[str, Any], *, what: str) -> dict[str, tuple[int, dict[str, Any] | None]]:
        """GETs in one $batch (JSON bodies); throttled items are retried on their own (the SDK does not)."""
        pending = dict(requests)
        results: dict[str, tuple[int, dict[str, Any] | None]] = {}
        for attempt in range(self.settings.max_attempts):
            answers = await self._post_batch(pending, what)
            wait = 0.0
            retry: dict[str, Any] = {}
            for key in pending:
                answer = answers.get(key, {})
                status = int(answer.get("status") or 0)
                if status in TRANSIENT_STATUSES:
                    headers = {str(k).lower(): v for k, v in (answer.get("headers") or {}).items()}
                    after = retry_after_seconds(headers.get("retry-after"))
                    wait = max(wait, after if after is not None else 0.5 * 2**attempt)
                    retry[key] = pending[key]
                    continue
                body = answer.get("body")
                results[key] = (status, body if 200 <= status < 300 and isinstance(body, dict) else None)
            if not retry:
                return results
            pending = retry
            await asyncio.sleep(min(wait, self.settings.max_wait_seconds))
        # Items throttled in every batch get one more layer: each on its own, with its own budget.
        for key, info in pending.items():
            try:
                results[key] = (200, await self._json(what, info))
            except GraphNotFound:
                results[key] = (404, None)
        return results

    async def _post_batch(self, requests: dict[str, Any], what: str) -> dict[str, dict[str, Any]]:
        """POST /$batch through the SDK's pipeline, reading the answer ourselves: the SDK's
        BatchResponseItem keeps a body only when it is base64 text, so JSON bodies come back empty."""
        content = BatchRequestContent()
        for key, info in requests.items():
            content.add_request(key, BatchRequestItem(request_information=info, id=key))
        answer = await self._json(what, await self._client.batch.to_post_request_information(content))
        return {str(item.get("id")): item for item in answer.get("responses") or ()}

    # --- free/busy ----------------------------------------------------------------------------
    async def get_schedules(
        self, organizer: str, users: Sequence[str], start: datetime, end: datetime, interval_minutes: int
    ) -> dict[str, Schedule]:
        """getSchedule for everyone: 20 schedules per request and under 62 days per range (Graph's
        limits); the requests run in parallel and an item spanning two ranges is kept once."""

        async def one_request(group: Sequence[str], since: datetime, until: datetime) -> list[Schedule]:
            body = GetSchedulePostRequestBody(
                schedules=list(group),
                start_time=_graph_moment(since),
                end_time=_graph_moment(until),
                availability_view_interval=max(5, min(1440, interval_minutes)),
            )
            builder = self._client.users.by_user_id(organizer).calendar.get_schedule
            info = builder.to_post_request_information(body, _config(prefer=[_UTC_PREFER]))
            answer = await self._json("POST getSchedule", info)
            schedules = []
            for entry in answer.get("value") or ():
                upn = str(entry.get("scheduleId"))
                if entry.get("error"):
                    message = str((entry["error"] or {}).get("message") or "unknown")
                    schedules.append(Schedule(upn, (), None, error=message))
                    continue
                items = tuple(item_from_json(i) for i in entry.get("scheduleItems") or ())
                schedules.append(Schedule(upn, items, working_hours_from_json(entry.get("workingHours"), UTC)))
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
                merged[key] = Schedule(before.upn, items, before.working_hours, before.error or schedule.error)
        return {u: merged[u.lower()] for u in unique if u.lower() in merged}

    async def calendar_events(self, user: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every occurrence between start and end (recurrences expanded by Graph), following pages,
        as Graph's event JSON."""
        query = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
            start_date_time=_iso(start) + "Z", end_date_time=_iso(end) + "Z", top=PAGE_SIZE
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
        return [item_from_json(e) for e in await self.calendar_events(user, start, end)]

    # --- events -------------------------------------------------------------------------------
    async def create_event(self, organizer: str, draft: EventDraft) -> EventSnapshot:
        """A Teams meeting on the organizer's calendar; `transactionId` makes a resend harmless."""
        event = Event(
            subject=draft.subject,
            body=ItemBody(content_type=BodyType.Html, content=draft.body_html),
            # In the organizer's own zone, as Outlook would write it: other schedulers that created
            # events in UTC showed invites and reminders in the wrong zone in some clients.
            start=_local_moment(draft.start, draft.time_zone),
            end=_local_moment(draft.end, draft.time_zone),
            attendees=[
                GraphAttendee(email_address=EmailAddress(address=address, name=name), type=AttendeeType.Required)
                for address, name in draft.attendees
            ],
            categories=list(draft.categories),
            is_online_meeting=True,
            online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness,
            allow_new_time_proposals=draft.allow_new_time_proposals,
            is_reminder_on=True,
            reminder_minutes_before_start=draft.reminder_minutes,
            transaction_id=draft.transaction_id,
        )
        builder = self._client.users.by_user_id(organizer).events
        created = await self._json(
            "POST event", builder.to_post_request_information(event, _config(prefer=[_UTC_PREFER]))
        )
        if not created.get("id"):
            raise GraphRequestError("POST event: Graph returned no event")
        return event_snapshot(created)

    async def get_event(self, organizer: str, event_id: str) -> EventSnapshot | None:
        builder = self._client.users.by_user_id(organizer).events.by_event_id(event_id)
        try:
            event = await self._json("GET event", builder.to_get_request_information(_config(prefer=[_UTC_PREFER])))
        except GraphNotFound:
            return None
        return event_snapshot(event) if event.get("id") else None

    async def cancel_event(self, organizer: str, event_id: str, comment: str) -> None:
        builder = self._client.users.by_user_id(organizer).events.by_event_id(event_id).cancel
        await self._call("POST event cancel", lambda: builder.post(CancelPostRequestBody(comment=comment)))

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

    # --- change notifications ---------------------------------------------------------------
    async def subscribe_to_events(
        self, user: str, notification_url: str, client_state: str, expires: datetime
    ) -> tuple[str, datetime]:
        """Subscribe to changes of a user's events; Graph validates `notification_url` before answering."""
        subscription = Subscription(
            change_type="created,updated,deleted",
            notification_url=notification_url,
            lifecycle_notification_url=notification_url,
            resource=f"users/{user}/events",
            expiration_date_time=expires,
            client_state=client_state,
        )
        created = await self._call("POST subscription", lambda: self._client.subscriptions.post(subscription))
        if created is None or not created.id:
            raise GraphRequestError("POST subscription: Graph returned no subscription")
        return str(created.id), created.expiration_date_time or expires

    async def renew_subscription(self, subscription_id: str, expires: datetime) -> datetime:
        builder = self._client.subscriptions.by_subscription_id(subscription_id)
        renewed = await self._call(
            "PATCH subscription", lambda: builder.patch(Subscription(expiration_date_time=expires))
        )
        return (renewed.expiration_date_time if renewed else None) or expires

    # --- online meetings and attendance ---------------------------------------------------------
    async def _batched(self, requests: dict[str, Any], what: str) -> dict[str, tuple[int, dict[str, Any] | None]]:
        """Any number of GETs against one mailbox, 20 per $batch, one $batch at a time: Graph runs 4
        items of a batch at once, and Outlook allows 4 concurrent requests per app and mailbox."""
        answers: dict[str, tuple[int, dict[str, Any] | None]] = {}
        for group in chunked(list(requests), BATCH_LIMIT):
            answers.update(await self._batch_get({k: requests[k] for k in group}, what=what))
        return answers

    async def attendance(self, organizer_id: str, join_urls: Sequence[str]) -> dict[str, list[AttendanceReport] | None]:
        """Attendance reports of many meetings of one organizer, in three $batch rounds of 20:
        find each meeting by join URL, list its reports, read each report with its records.
        A meeting Graph does not know maps to None."""
        meetings_of = self._client.users.by_user_id(organizer_id).online_meetings
        lookups = {
            str(i): meetings_of.to_get_request_information(
                _config(_MeetingQuery(filter=f"JoinWebUrl eq '{quote(url, safe='')}'"))
            )
            for i, url in enumerate(join_urls)
        }
        found = await self._batched(lookups, "GET onlineMeetings by joinUrl ($batch)")
        meeting_ids: dict[str, str] = {}
        for i, url in enumerate(join_urls):
            _, body = found[str(i)]
            values = (body or {}).get("value") or []
            if values:
                meeting_ids[url] = str(values[0]["id"])
        found_urls = list(meeting_ids)
        listings = await self._batched(
            {
                str(n): meetings_of.by_online_meeting_id(
                    meeting_ids[url]
                ).attendance_reports.to_get_request_information()
                for n, url in enumerate(found_urls)
            },
            "GET attendanceReports ($batch)",
        )
        report_keys: list[tuple[str, str]] = []  # (join url, report id)
        for n, url in enumerate(found_urls):
            _, body = listings[str(n)]
            report_keys += [(url, str(summary["id"])) for summary in (body or {}).get("value") or []]
        expand = _config(_ReportQuery(expand=["attendanceRecords"]))
        details = await self._batched(
            {
                str(n): meetings_of.by_online_meeting_id(meeting_ids[url])
                .attendance_reports.by_meeting_attendance_report_id(report_id)
                .to_get_request_information(expand)
                for n, (url, report_id) in enumerate(report_keys)
            },
            "GET attendanceReport ($batch)",
        )
        reports: dict[str, list[AttendanceReport] | None] = {url: None for url in join_urls}
        collected: dict[str, list[AttendanceReport]] = {url: [] for url in found_urls}
        for n, (url, report_id) in enumerate(report_keys):
            _, body = details[str(n)]
            if body is not None:
                collected[url].append(_report(report_id, body))
        reports.update(collected)
        return reports


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return parse_graph_datetime(value, UTC)


def _report(report_id: str, body: dict[str, Any]) -> AttendanceReport:
    records = []
    for record in body.get("attendanceRecords") or ():
        intervals = []
        for interval in record.get("attendanceIntervals") or ():
            joined, left = _moment(interval.get("joinDateTime")), _moment(interval.get("leaveDateTime"))
            if joined is not None and left is not None:
                intervals.append(AttendanceInterval(joined, left))
        total = record.get("totalAttendanceInSeconds")
        records.append(
            AttendanceRecord(
                email=str(record.get("emailAddress") or "").lower(),
                intervals=tuple(intervals),
                total_seconds=int(total) if isinstance(total, int | float) else None,
            )
        )
    return AttendanceReport(
        id=report_id,
        records=tuple(records),
        meeting_start=_moment(body.get("meetingStartDateTime")),
        meeting_end=_moment(body.get("meetingEndDateTime")),
    )
