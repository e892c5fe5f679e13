"""The shared machinery of the Graph gateway: the msgraph-sdk client, the one retry layer, JSON sends
through the SDK's pipeline, and `$batch` with per-item retries
(unchained here; graph/batching.py streams chained ones for one lane)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import quote

from cachetools import TTLCache
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.item.online_meetings.item.attendance_reports.item.meeting_attendance_report_item_request_builder import (  # noqa: E501
    MeetingAttendanceReportItemRequestBuilder,
)
from msgraph.generated.users.item.online_meetings.online_meetings_request_builder import (
    OnlineMeetingsRequestBuilder,
)
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from graph.auth import MsalTokenProvider
from graph.client import build_graph_client
from graph.config import GraphSettings
from graph.errors import GraphAuthError, GraphNotFound
from graph.lanes import Lanes
from graph.retry import TRANSIENT_STATUSES, answered, batch_item_wait, call_graph
from graph.timezones import UnknownTimeZone, zone_from_name
from graph.values import (
    DirectoryUser,
    Mailbox,
)
from telemetry import graph_span

_MeetingQuery = OnlineMeetingsRequestBuilder.OnlineMeetingsRequestBuilderGetQueryParameters
_ReportQuery = MeetingAttendanceReportItemRequestBuilder.MeetingAttendanceReportItemRequestBuilderGetQueryParameters

__all__ = ["BATCH_LIMIT", "PAGE_SIZE", "SCHEDULES_PER_REQUEST", "GraphBase", "chunked", "expand_url", "pin_url"]

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


def _item_path(info: Any) -> str:
    """The path of a batched request, to name who was refused (the query is left out: it can be long)."""
    try:
        return str(info.url).split("?", 1)[0].split("/v1.0", 1)[-1]
    except Exception:  # a request whose URL cannot be built names nobody rather than failing the report
        return "a batched request"


_TEMPLATE_PART = re.compile(r"\{([+?&]?)([^{}]*)\}")


def expand_url(info: Any) -> str | None:
    """The URL of a request the SDK's builders made, expanded here: the SDK's RFC 6570 expander
    (std-uritemplate) quotes one character at a time, about 6 ms per URL with a Teams meeting id in it,
    which made it most of sync's CPU. Covers the forms the builders use ({+baseurl}, {name},
    {?name,...} and {&name,...} with text, number or list values); None for anything else, left to the
    SDK."""
    template = str(getattr(info, "url_template", "") or "")
    if not template:
        return None
    path, query = info.path_parameters, info.query_parameters
    failed = False

    def plain(value: Any) -> bool:
        # An enum (msgraph's mix in str) is written as its value by the SDK, a bool as true/false.
        return isinstance(value, str | int) and not isinstance(value, bool | Enum)

    def text(value: Any) -> str | None:
        if isinstance(value, list | tuple):
            return ",".join(quote(str(v), safe="") for v in value) if all(plain(v) for v in value) else None
        return quote(str(value), safe="") if plain(value) else None

    def part(match: re.Match[str]) -> str:
        nonlocal failed
        operator, names = match.group(1), match.group(2)
        if operator == "+":
            return str(path.get(names, ""))
        if operator == "":  # a path segment, or a query value written into the template (calendarView's)
            value = text(path[names] if names in path else query.get(names))
            failed = failed or value is None
            return value or ""
        pairs = []
        for name in names.split(","):
            if query.get(name) is None or query[name] == []:  # RFC 6570: an empty list is undefined
                continue
            value = text(query[name])
            if value is None:
                failed = True
                return ""
            pairs.append(f"{name}={value}")
        return operator + "&".join(pairs) if pairs else ""

    url = _TEMPLATE_PART.sub(part, template)
    return None if failed else url


def pin_url(info: RequestInformation, base_url: str = "") -> None:
    """Expand a request's URL once, here, and set it: the SDK would run its slow expander each of the
    three times it reads `info.url` per send (about 8 ms of a warm slot search's CPU). `base_url` fills
    `{+baseurl}` as the SDK's adapter would; left empty for `$batch` items, whose URLs are relative. A
    raw URL (a next or delta link), a request pinned already or a value `expand_url` does not cover is
    left to the SDK."""
    if info.path_parameters.get(RequestInformation.RAW_URL_KEY):
        return
    # The url setter clears both parameter dicts, which a builder shares with every request it makes:
    # give this request its own first.
    info.path_parameters, info.query_parameters = dict(info.path_parameters), dict(info.query_parameters)
    if base_url:
        info.path_parameters["baseurl"] = base_url
    if (url := expand_url(info)) is not None:
        info.url = url  # clears both parameter dicts: expanding the template again would drop the query
        info.path_parameters[RequestInformation.RAW_URL_KEY] = url  # so pinned again, it is left as it is


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


CACHE_ENTRIES = 20_000  # people per process whose mailbox settings and directory entry are kept


class GraphBase:
    """The client, caches and sending; the calls themselves live in the mixins of `GraphGateway`."""

    def __init__(self, settings: GraphSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._tokens = MsalTokenProvider(settings)
        # Outlook's slots for the app, onlineMeetings' per organizer (graph/lanes.py), held per HTTP exchange.
        self._lanes = Lanes(settings.mailbox_concurrency, settings.meeting_concurrency)
        self._client, self._http = build_graph_client(settings, self._tokens, self._lanes)
        # Bounded in size and in age: a host lives for days, and people change their working hours,
        # zone or language; `clock` is injectable so tests can age the entries.
        lifetime = settings.mailbox_cache_seconds
        self._mailboxes: TTLCache[str, Mailbox] = TTLCache(maxsize=CACHE_ENTRIES, ttl=lifetime, timer=clock)
        self._users: TTLCache[str, DirectoryUser] = TTLCache(maxsize=CACHE_ENTRIES, ttl=lifetime, timer=clock)
        self._mailbox_fetches: dict[str, asyncio.Future[None]] = {}
        self._user_fetches: dict[str, asyncio.Future[DirectoryUser]] = {}

    def _smtp(self, user: str) -> str:
        """The address Graph's mail side knows a person by: getSchedule's `schedules` and attendees are
        SMTP addresses, and a user principal name is not always one (their mail may differ)."""
        known = self._users.get(user.lower())
        return known.mail if known is not None else user

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _json(self, what: str, info: RequestInformation) -> dict[str, Any]:
        """Send a request the SDK's builders made, through the SDK's pipeline, and read JSON back."""
        adapter: Any = self._client.request_adapter
        pin_url(info, adapter.base_url)

        async def send() -> dict[str, Any]:
            # The SDK adds a token only where none is set: drop the last try's, so a token refreshed
            # after a 401 is the one that goes out.
            if info.headers.contains("Authorization"):
                info.headers.remove("Authorization")
            raw: bytes | None = await adapter.send_primitive_async(info, "bytes", _ERRORS)
            answer: dict[str, Any] = json.loads(raw) if raw else {}
            return answer

        def refused() -> str | None:  # the token the SDK put on the last try
            values = info.headers.get("Authorization") if info.headers.contains("Authorization") else set()
            bearer = next(iter(values), "")
            return bearer[7:] if bearer.lower().startswith("bearer ") else None

        return await self._call(what, send, refused=refused)

    async def _call(
        self, what: str, send: Callable[[], Awaitable[T]], *, refused: Callable[[], str | None] | None = None
    ) -> T:
        async def unauthorized() -> None:
            await self._tokens.refresh(refused() if refused is not None else None)

        with graph_span(what):  # one span per call, retries included; graph.client notes each answer on it
            return await call_graph(
                what,
                send,
                attempts=self.settings.max_attempts,
                max_wait=self.settings.max_wait_seconds,
                on_unauthorized=unauthorized,
            )

    async def token(self) -> str:
        """An app token (from msal's cache when fresh): proves the identity endpoint answers."""
        return await self._tokens.get_authorization_token(self.settings.graph_url)

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
                    wait = max(wait, batch_item_wait(answer, attempt + 1, self.settings.max_wait_seconds))
                    retry[key] = pending[key]
                    continue
                results[key] = self._item_answer(answer, status, pending[key], what)
            if not retry:
                return results
            pending = retry
            await asyncio.sleep(wait)
        # Items throttled in every batch get one more layer: each on its own, with its own budget.
        for key, info in pending.items():
            try:
                results[key] = (200, await self._json(what, info))
            except GraphNotFound:
                results[key] = (404, None)
        return results

    async def _post_batch(
        self, requests: dict[str, Any], what: str, *, chain: bool = False
    ) -> dict[str, dict[str, Any]]:
        """POST /$batch through the SDK's pipeline, reading the answer ourselves: the SDK's
        BatchResponseItem keeps a body only when it is base64 text, so JSON bodies come back empty.
        With `chain`, each item depends on the one before it (Outlook runs them one at a time)."""
        content = BatchRequestContent()
        before: str | None = None
        for key, info in requests.items():
            pin_url(info)
            depends = [before] if chain and before is not None else []
            content.add_request(key, BatchRequestItem(request_information=info, id=key, depends_on=depends))
            before = key
        info = await self._client.batch.to_post_request_information(content)
        if chain:
            # msgraph-core writes `depends_on`; Graph reads `dependsOn` (concepts/json-batching.md).
            body = json.loads(info.content or b"{}")
            for item in body.get("requests") or ():
                depends = item.pop("depends_on", None)
                if depends:
                    item["dependsOn"] = depends
            info.content = json.dumps(body).encode()
        answer = await self._json(what, info)
        return {str(item.get("id")): item for item in answer.get("responses") or ()}

    def _item_answer(
        self, answer: dict[str, Any], status: int, info: Any, what: str
    ) -> tuple[int, dict[str, Any] | None]:
        body = answer.get("body")
        if status in (401, 403):
            # A missing role or access policy refuses every item alike: say so, don't skip items.
            error = (body or {}).get("error") if isinstance(body, dict) else None
            code = str((error or {}).get("code") or "") or None
            message = str((error or {}).get("message") or "")
            where = f"{what}: {_item_path(info)}"
            raise GraphAuthError(answered(where, status, code, message), status=status, code=code)
        return status, body if 200 <= status < 300 and isinstance(body, dict) else None
