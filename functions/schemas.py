"""The JSON HTTP API's requests and answers, declared once (pydantic v2 models at the HTTP edge).

Handlers parse with these models (`parse_body`, `parse_query`), and `micromentor.openapi` builds
`docs/openapi.json` from the same models, so the document and the parsing cannot disagree. The domain
core never sees a model: a handler turns it into the service's own value (`SessionRequest.to_request`).

A body or query that does not fit is `InputError(field, message)`, HTTP 400 with
`{"error": {"code", "message", "field"}}`; the field is the path into the body: `mentees[0]`,
`officeHours[1].start`. Unknown fields are named before any other problem, as before the models.
Limits come from the services and the core (one number each), never typed again here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import azure.functions as func
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from core.agenda import QUESTION_MAX_CHARS
from core.checklist import MAX_OPTIONS, NEXT_STEP_MAX_CHARS, OPTION_MAX_CHARS, SUCCESS_MAX_CHARS
from core.errors import InputError
from core.model import SessionState
from core.series import DEFAULT_INTERVAL_DAYS, MAX_BOOK_AHEAD_DAYS, MAX_INTERVAL_DAYS, MIN_INTERVAL_DAYS
from core.series import MAX_COUNT as MAX_SERIES_COUNT
from core.timefmt import parse_aware
from functions.http import json_body
from services.answer_links import MAX_LINE
from services.booking import MAX_TOPIC_LENGTH, BookingRequest
from services.groups import GroupDraft
from services.joiners import MAX_HTTP_JOINERS, MAX_JOINERS, MAX_SKILLS, JoinerRow, validate_joiners
from services.links import MAX_TTL
from services.mentor_search import MAX_QUERY
from services.requests import MAX_NAMED_MENTORS, MAX_SESSIONS, MAX_SKILL_LENGTH, RequestInput
from services.series import DEFAULT_MINUTES as SERIES_DEFAULT_MINUTES
from services.series import SeriesDraft
from services.sessions import MAX_COMMENT
from services.slots import MAX_LIMIT, MAX_MENTEES

__all__ = [
    "DEFAULT_TTL_HOURS",
    "MAX_DOCTOR_MENTORS",
    "MAX_QUERY_DIGITS",
    "MAX_TTL_HOURS",
    "MAX_VALIDATION_TOKEN",
    "AnswerForm",
    "CancelRequest",
    "ChecklistAnswer",
    "ChecklistRequest",
    "DoctorAnswer",
    "DoctorCheck",
    "DoctorParams",
    "Error",
    "ErrorDetail",
    "GroupAnswer",
    "GroupLink",
    "GroupRequest",
    "GroupSummary",
    "HealthAnswer",
    "LinkAnswer",
    "LinkRequest",
    "MentorMatchAnswer",
    "MentoringRequest",
    "MentorsAnswer",
    "MentorsParams",
    "NotificationsParams",
    "OfficeHoursAnswer",
    "OfficeHoursRequest",
    "OfficeHoursWindow",
    "OnboardedJoiner",
    "OnboardingAnswer",
    "OnboardingJoiner",
    "OnboardingRequest",
    "OnboardingSession",
    "PolicyHistoryAnswer",
    "PolicyStateAnswer",
    "QueuedAnswer",
    "ReportParams",
    "RequestAnswer",
    "RequestRecord",
    "SearchedWindow",
    "SeatRequest",
    "SessionAnswer",
    "SessionPageForm",
    "SessionRequest",
    "SlotAnswer",
    "SlotsAnswer",
    "SlotsParams",
    "Unmet",
    "input_error",
    "parse",
    "parse_body",
    "parse_query",
]

Model = TypeVar("Model", bound=BaseModel)

DEFAULT_TTL_HOURS = 7 * 24
MAX_TTL_HOURS = int(MAX_TTL / timedelta(hours=1))
MAX_DOCTOR_MENTORS = 50  # each mentor costs Graph requests: one call must not turn into hundreds of them
MAX_VALIDATION_TOKEN = 1024  # Graph's validation tokens are short; a long one is not Graph's
MAX_QUERY_DIGITS = 6


# --- field types ------------------------------------------------------------------------------------


def _instant(value: object, info: ValidationInfo) -> datetime:
    try:
        return parse_aware(info.field_name or "time", value)
    except InputError as exc:
        raise PydanticCustomError("instant", exc.message) from None


def _query_whole(value: object) -> object:
    """A query number: ASCII digits only (int() also takes fullwidth digits and ' 15_0 ', which no client
    means), at most six of them."""
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > MAX_QUERY_DIGITS:
            raise PydanticCustomError("whole_number", f"expected a whole number, got {value[:40]!r}")
        return int(value)
    return value


def _person(value: str) -> str:
    """A user principal name as the services compare them: trimmed, lower-case, not blank."""
    name = value.strip().lower()
    if not name:
        raise PydanticCustomError("person", "required, as a user principal name")
    return name


def _upns(value: object) -> object:
    """`mentee=a&mentee=b` and `mentee=a,b` alike; blanks dropped."""
    if isinstance(value, list):
        return [part for item in value if isinstance(item, str) for part in item.split(",") if part.strip()]
    return value


Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-01T09:00:00Z"]}),
]
def _calendar_date(value: object) -> object:
    """A calendar date as YYYY-MM-DD, nothing looser (no `20261201`, no time)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("calendar_date", f"expected a date as YYYY-MM-DD, got {str(value)[:40]!r}")


CalendarDate = Annotated[
    date,
    BeforeValidator(_calendar_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-12-01"]}),
]
Upn = Annotated[str, Field(min_length=1, max_length=256, examples=["maya@contoso.example"])]
Person = Annotated[str, Field(min_length=1, max_length=256, examples=["maya@contoso.example"]), AfterValidator(_person)]
Minutes = Annotated[
    int,
    Field(ge=1, le=24 * 60, description="a session length the policy allows (15, 20 or 30 by default)"),
]


class _Strict(BaseModel):
    """No coercion (`"15"` is not a number, `true` is not 1), no unknown fields, read-only."""

    # Built on first use, not at import: a cold worker builds only the models of the routes it serves.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False, defer_build=True)


# --- JSON bodies ------------------------------------------------------------------------------------


class SessionRequest(_Strict):
    """POST /api/sessions."""

    mentor: Upn
    mentees: Annotated[list[Upn], Field(min_length=1, max_length=MAX_MENTEES)]
    start: Instant
    minutes: Minutes | None = None
    question: Annotated[str, Field(min_length=1, max_length=QUESTION_MAX_CHARS)]
    topic: Annotated[str, Field(max_length=MAX_TOPIC_LENGTH)] | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mentor": "maya@contoso.example",
                    "mentees": ["ravi@contoso.example"],
                    "start": "2026-12-01T09:00:00Z",
                    "minutes": 15,
                    "question": "How do I scope a spike?",
                    "topic": "Planning",
                }
            ]
        }
    )

    def to_request(self, idempotency_key: str | None) -> BookingRequest:
        return BookingRequest(
            mentor=self.mentor,
            mentees=tuple(self.mentees),
            start=self.start,
            minutes=self.minutes,
            question=self.question,
            topic=self.topic,
            idempotency_key=idempotency_key,
        )


class CancelRequest(_Strict):
    """POST /api/sessions/{id}/cancel (the body may be left out)."""

    comment: Annotated[str, Field(max_length=MAX_COMMENT)] | None = None


class MentoringRequest(_Strict):
    """POST /api/requests; `mentee` left out is the caller."""

    mentee: Upn | None = None
    mentors: Annotated[list[Upn], Field(max_length=MAX_NAMED_MENTORS)] | None = None
    skill: Annotated[str, Field(min_length=1, max_length=MAX_SKILL_LENGTH)]
    question: Annotated[str, Field(min_length=1, max_length=QUESTION_MAX_CHARS)]
    sessions: Annotated[int, Field(ge=1, le=MAX_SESSIONS)] | None = None
    minutes: Minutes | None = None

    def to_input(self, idempotency_key: str | None, *, default_mentee: str | None) -> RequestInput:
        mentee = self.mentee if self.mentee is not None else default_mentee
        if mentee is None:
            raise InputError("mentee", "required, as a user principal name")
        return RequestInput(
            mentee=mentee,
            skill=self.skill,
            question=self.question,
            mentors=tuple(self.mentors or ()),
            sessions=self.sessions,
            minutes=self.minutes,
            idempotency_key=idempotency_key,
        )


class OnboardingJoiner(_Strict):
    """One joiner of POST /api/admin/onboarding: the CSV's columns, named as the rest of the API names
    fields (`startDate` for the CSV's `start_date`)."""

    upn: Person
    start_date: Annotated[CalendarDate, Field(alias="startDate")]
    skills: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=MAX_SKILL_LENGTH)]], Field(max_length=MAX_SKILLS)
    ] = []


_API_NAME = {"start_date": "startDate"}  # a CSV column -> the body's field


class OnboardingRequest(_Strict):
    """POST /api/admin/onboarding (docs/onboarding.md)."""

    # At most MAX_HTTP_JOINERS (checked in `to_rows`, with a message pointing to the CLI); the body's size
    # limit bounds what is parsed.
    joiners: Annotated[list[OnboardingJoiner], Field(min_length=1)]
    dry_run: Annotated[bool, Field(alias="dryRun", description="plan only: book nothing, write nothing")] = False

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "joiners": [
                        {"upn": "ana@contoso.example", "startDate": "2026-11-30", "skills": ["python"]},
                        {"upn": "ben@contoso.example", "startDate": "2026-12-07", "skills": []},
                    ],
                    "dryRun": False,
                }
            ]
        }
    )

    def to_rows(self) -> tuple[JoinerRow, ...]:
        """The service's own checks (a UPN listed twice, ...) with the body's paths: `joiners[2].upn`."""
        if len(self.joiners) > MAX_HTTP_JOINERS:
            raise InputError(
                "joiners",
                f"at most {MAX_HTTP_JOINERS} joiners a request (the answer must come within the 230 s HTTP limit), "
                f"got {len(self.joiners)}: split the list, or use `micromentor onboard --joiners FILE.csv` "
                f"(up to {MAX_JOINERS})",
            )
        rows = [{"upn": j.upn, "start_date": j.start_date, "skills": j.skills} for j in self.joiners]
        return validate_joiners(rows, lambda i, column: f"joiners[{i}].{_API_NAME.get(column, column)}")


class LinkRequest(_Strict):
    """POST /api/links."""

    mentor: Person
    mentee: Person | None = None
    ttl_hours: Annotated[int, Field(alias="ttlHours", ge=1, le=MAX_TTL_HOURS)] = DEFAULT_TTL_HOURS


class GroupRequest(_Strict):
    """POST /api/groups."""

    mentor: Person
    topic: Annotated[str, Field(min_length=1, max_length=MAX_TOPIC_LENGTH)]
    start: Instant
    seats: Annotated[int, Field(description="from 2 to the policy's max_group_size (422 outside)")]
    minutes: Minutes | None = None

    def to_draft(self) -> GroupDraft:
        return GroupDraft(
            mentor=self.mentor,
            topic=self.topic,
            start=self.start,
            seats=self.seats,
            minutes=self.minutes,
        )


class SeatRequest(_Strict):
    """Joining or leaving a group session: `mentee` left out is the caller (an admin may name another)."""

    mentee: Person | None = None


class SeriesRequest(_Strict):
    """POST /api/series: the first session's start, and the cadence (docs/series.md)."""

    mentor: Person
    mentee: Person
    start: Instant
    question: Annotated[str, Field(min_length=1, max_length=QUESTION_MAX_CHARS)]
    topic: Annotated[str, Field(max_length=MAX_TOPIC_LENGTH)] | None = None
    minutes: Annotated[int, Field(description="15, 20 or 30")] = SERIES_DEFAULT_MINUTES
    interval_days: Annotated[int, Field(alias="intervalDays", ge=MIN_INTERVAL_DAYS, le=MAX_INTERVAL_DAYS)] = (
        DEFAULT_INTERVAL_DAYS
    )
    count: Annotated[int, Field(ge=2, le=MAX_SERIES_COUNT, description="left out: open-ended")] | None = None
    book_ahead_days: Annotated[
        int | None,
        Field(
            alias="bookAheadDays", ge=1, le=MAX_BOOK_AHEAD_DAYS,
            description="left out: book each next session once the previous one is over",
        ),
    ] = None  # fmt: skip

    def to_draft(self, *, created_by: str, idempotency_key: str | None) -> SeriesDraft:
        return SeriesDraft(
            mentor=self.mentor, mentee=self.mentee, start=self.start, question=self.question, topic=self.topic,
            minutes=self.minutes, interval_days=self.interval_days, count=self.count,
            book_ahead_days=self.book_ahead_days, created_by=created_by, idempotency_key=idempotency_key,
        )  # fmt: skip


class StopSeriesRequest(_Strict):
    """POST /api/series/{id}/stop: `by` only for an admin, naming the mentor or the mentee."""

    by: Person | None = None


class ChecklistRequest(_Strict):
    """PUT /api/sessions/{id}/checklist: `version` is the one it was read at (0 before the first save)."""

    question: Annotated[str, Field(max_length=QUESTION_MAX_CHARS)] = ""
    options: Annotated[list[Annotated[str, Field(max_length=OPTION_MAX_CHARS)]], Field(max_length=MAX_OPTIONS)] = []
    next_step: Annotated[str, Field(alias="nextStep", max_length=NEXT_STEP_MAX_CHARS)] = ""
    success_indicator: Annotated[str, Field(alias="successIndicator", max_length=SUCCESS_MAX_CHARS)] = ""
    version: Annotated[int, Field(ge=0, le=2**31 - 1)]


class OfficeHoursWindow(_Strict):
    """One weekly window in the mentor's own zone: `{"day": "tuesday", "start": "14:00", "end": "15:00"}`."""

    day: Annotated[str, Field(examples=["tuesday"])]
    start: Annotated[str, Field(examples=["14:00"])]
    end: Annotated[str, Field(examples=["15:00"])]


class OfficeHoursRequest(_Strict):
    """PUT /api/mentors/{mentor}/office-hours; `[]` removes them."""

    office_hours: Annotated[list[OfficeHoursWindow], Field(alias="officeHours", max_length=21)]


# --- query parameters -------------------------------------------------------------------------------


class SlotsParams(_Strict):
    """GET /api/slots."""

    mentor: Annotated[str, Field(min_length=1, examples=["maya@contoso.example"])]
    mentee: Annotated[list[str], BeforeValidator(_upns), Field(min_length=1, examples=[["ravi@contoso.example"]])]
    minutes: Annotated[int, Field(ge=0, examples=[15]), BeforeValidator(_query_whole)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, examples=[3]), BeforeValidator(_query_whole)] | None = None
    now: (
        Annotated[
            Instant,
            Field(description="search as if it were this time; accepted only against the local Graph emulator"),
        ]
        | None
    ) = None


class ReportParams(_Strict):
    """GET /api/admin/report (docs/report.md)."""

    period_from: str | None = Field(
        None, alias="from", json_schema_extra={"format": "date-time"}, description="start of the period"
    )
    period_to: str | None = Field(None, alias="to", json_schema_extra={"format": "date-time"}, description="end")
    format: Literal["json", "csv", "html"] = "json"
    # Read by services.report, which answers 422 `out_of_range` for a quarter it cannot use (2026Q9).
    quarter: str | None = Field(
        None, description="a calendar quarter such as 2026Q4 (or 2026-Q4), with the quarter before; not with from/to"
    )
    tz: (
        Annotated[str, Field(description="the viewer's IANA time zone (default: the caller's mailbox zone, else UTC)")]
        | None
    ) = None


class DoctorParams(_Strict):
    """GET /api/admin/doctor: `mentor=a@x,b@x` adds mentors to check."""

    mentor: Annotated[str, Field(description=f"comma-separated, at most {MAX_DOCTOR_MENTORS}")] | None = None

    def mentors(self) -> tuple[str, ...]:
        names = tuple(m.strip() for m in (self.mentor or "").split(",") if m.strip())
        if len(names) > MAX_DOCTOR_MENTORS:
            raise InputError("mentor", f"at most {MAX_DOCTOR_MENTORS} mentors per call, got {len(names)}")
        return names


class MentorsParams(_Strict):
    """GET /api/mentors."""

    skill: Annotated[str, Field(min_length=1, max_length=MAX_QUERY, examples=["python"])]


class NotificationsParams(_Strict):
    """POST /api/notifications: Graph's subscription validation handshake."""

    validation_token: str | None = Field(None, alias="validationToken", max_length=MAX_VALIDATION_TOKEN)


# --- HTML forms (described in docs/openapi.json; parsed by their own handlers) -----------------------


class AnswerForm(_Strict):
    """POST /api/answers/{token}: the answer (one of the question's choices), with the optional line of a
    check-in or a mentor's next step. An empty `note` clears the saved one; a missing one keeps it."""

    choice: Annotated[str, Field(min_length=1, max_length=MAX_LINE)]
    note: Annotated[str, Field(max_length=MAX_LINE)] | None = None
    next_step: Annotated[str, Field(max_length=MAX_LINE)] | None = None
    success_indicator: Annotated[str, Field(max_length=MAX_LINE)] | None = None


class SessionPageForm(_Strict):
    """POST /api/session-page/{token}: the page's forms, `do` = checklist, cancel or move."""

    do: Literal["checklist", "cancel", "move"]
    version: Annotated[str, Field(pattern=r"^[0-9]{1,9}$")] | None = None
    question: str | None = None
    option1: str | None = None
    option2: str | None = None
    option3: str | None = None
    next_step: str | None = None
    success_indicator: str | None = None
    confirm: str | None = None
    start: Annotated[str, Field(json_schema_extra={"format": "date-time"})] | None = None


# --- answers ----------------------------------------------------------------------------------------
# What the routes answer, as the services' `*_to_json` write it. Not used to serialize (the services' own
# functions do, at no extra cost per request); schemathesis's response_schema_conformance check and
# tests/functions/test_schemas.py hold the two together.

DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class ErrorDetail(_Answer):
    code: str
    message: str
    field: str = Field("", description="the field, header or policy rule at fault (left out when none)")


class Error(_Answer):
    """Every refusal: `{"error": {"code", "message", "field"}}`, with `alternatives` on a taken slot."""

    error: ErrorDetail


class SessionAnswer(_Answer):
    id: str
    event_id: str | None = Field(alias="eventId")
    join_url: str | None = Field(alias="joinUrl")
    start: DateTime
    end: DateTime
    minutes: int
    mentor: str
    mentees: list[str]
    attendees: list[str]
    question: str
    topic: str | None
    state: SessionState
    state_reason: str | None = Field(alias="stateReason")
    missing: list[str]
    request_id: str | None = Field(alias="requestId")
    series_id: str | None = Field(None, alias="seriesId", description="the series it belongs to (docs/series.md)")
    created_at: DateTime = Field(alias="createdAt")


class SlotAnswer(_Answer):
    start: DateTime
    end: DateTime
    why: str = Field("", description="why this slot ranks where it does (left out when plain)")


class SearchedWindow(_Answer):
    period_from: DateTime = Field(alias="from")
    period_to: DateTime = Field(alias="to")


class SlotsAnswer(_Answer):
    slots: list[SlotAnswer]
    searched: SearchedWindow
    reasons: list[str] = Field([], description="why there are no (or few) slots")
    office_hours: str = Field("", alias="officeHours", description="when the mentor offers office hours only")


class RequestRecord(_Answer):
    id: str
    mentee: str
    skill: str
    question: str
    mentors: list[str]
    sessions: int
    created_at: DateTime = Field(alias="createdAt")


class Unmet(_Answer):
    mentor: str | None
    reason: str


class RequestAnswer(_Answer):
    request: RequestRecord
    sessions: list[SessionAnswer]
    unmet: list[Unmet]


class OnboardingSession(_Answer):
    n: int = Field(description="its number in the joiner's plan: the booking key is onboard:{upn}:{n}")
    mentor: str
    start: DateTime
    end: DateTime
    session_id: str | None = Field(alias="sessionId", description="null in a dry run")
    join_url: str | None = Field(alias="joinUrl")


class OnboardedJoiner(_Answer):
    upn: str
    start_date: str = Field(alias="startDate", json_schema_extra={"format": "date"})
    placed: bool = Field(description="2 or 3 sessions with different mentors in their first two weeks")
    reason: str | None = Field(description="why not placed (null when placed)")
    sessions: list[OnboardingSession]


class SkippedMentor(_Answer):
    upn: str
    reason: str = Field(description="unknown, no mailbox, access refused, or Graph failing on them this run")


class OnboardingAnswer(_Answer):
    dry_run: bool = Field(alias="dryRun")
    placed: int
    unplaced: int
    sessions: int
    joiners: list[OnboardedJoiner]
    skipped_mentors: list[SkippedMentor] = Field(
        alias="skippedMentors", description="catalogue mentors this run could not offer, with the reason"
    )


class LinkAnswer(_Answer):
    url: str
    token: str
    mentor: str
    expires: DateTime
    mentee: str = Field("", description="left out when the link is for any mentee")


class GroupLink(_Answer):
    url: str
    token: str


class GroupSummary(_Answer):
    """What a group link shows anyone holding it: no mentee, no meeting link."""

    id: str
    topic: str | None
    start: DateTime
    end: DateTime
    seats_left: int = Field(alias="seatsLeft")
    mentor: str
    minutes: int
    seats: int | None
    state: SessionState
    expires: DateTime | None = None


class GroupAnswer(GroupSummary):
    mentees: list[str] = Field([], description="left out for callers who are not in the session")
    join_url: str | None = Field(None, alias="joinUrl")
    link: GroupLink | None = Field(None, description="the signed link to share (on publishing only)")


class SeriesAnswer(_Answer):
    id: str
    mentor: str
    mentee: str
    minutes: int
    interval_days: int = Field(alias="intervalDays")
    count: int | None
    book_ahead_days: int | None = Field(alias="bookAheadDays")
    topic: str | None
    question: str
    state: Literal["active", "stopped", "completed"]
    stop_reason: str | None = Field(alias="stopReason")
    stopped_by: str | None = Field(alias="stoppedBy")
    stopped_at: DateTime | None = Field(alias="stoppedAt")
    first_start: DateTime = Field(alias="firstStart")
    next_occurrence: int = Field(alias="nextOccurrence")
    skipped_occurrences: list[int] = Field(alias="skippedOccurrences")
    session_ids: list[str] = Field(alias="sessionIds")
    created_at: DateTime = Field(alias="createdAt")
    created_by: str = Field(alias="createdBy")
    sessions: list[SessionAnswer] = Field([], description="its sessions, where the route says so")


class ChecklistAnswer(_Answer):
    session_id: str = Field(alias="sessionId")
    question: str
    options: list[str]
    next_step: str = Field(alias="nextStep")
    success_indicator: str = Field(alias="successIndicator")
    version: int
    updated_at: DateTime | None = Field(alias="updatedAt")
    updated_by: str | None = Field(alias="updatedBy")


class MentorMatchAnswer(_Answer):
    upn: str
    display_name: str = Field(alias="displayName")
    skills: list[str]
    allowed_minutes: list[int] = Field(alias="allowedMinutes")


class MentorsAnswer(_Answer):
    mentors: list[MentorMatchAnswer]


class OfficeHoursAnswer(_Answer):
    mentor: str
    office_hours: list[OfficeHoursWindow] = Field(alias="officeHours")


class PolicyStateAnswer(_Answer):
    version: int
    policy: dict[str, Any] = Field(description="the tenant policy document (docs/policy.md)")
    changed_by: str | None = Field(alias="changedBy")
    changed_at: DateTime | None = Field(alias="changedAt")


class PolicyHistoryAnswer(_Answer):
    versions: list[PolicyStateAnswer]


class DoctorCheck(_Answer):
    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str
    fix: str | None = Field(description="what to do; null when there is nothing to do")


class DoctorAnswer(_Answer):
    checks: list[DoctorCheck]


class HealthAnswer(_Answer):
    status: Literal["ok", "degraded"]
    checks: dict[str, dict[str, Any]] = Field(description="storage, graph, queue, ...: each with `ok`")


class QueuedAnswer(_Answer):
    queued: list[str] = Field(description="organizers whose calendars are queued for a sync")
    rejected: int


# --- parsing ----------------------------------------------------------------------------------------

_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "dict_type": "must be an object",
    "literal_error": "must be one of {expected}",
    "string_too_short": "must not be empty",
    "string_too_long": "at most {max_length} characters",
    "too_short": "needs at least {min_length}",
    "too_long": "at most {max_length} items",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "string_pattern_mismatch": "must match {pattern}",
}


def _path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _message(error: ErrorDetails) -> str:
    template = _MESSAGES.get(error["type"])
    context = error.get("ctx") or {}
    if template is None:
        return error["msg"]
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return error["msg"]


def input_error(exc: ValidationError) -> InputError:
    """The first problem as `InputError(field, message)`; an unknown field first, as the hand parsers did."""
    errors = exc.errors(include_url=False)
    unknown = sorted((e for e in errors if e["type"] == "extra_forbidden"), key=lambda e: _path(e["loc"]))
    first = unknown[0] if unknown else errors[0]
    return InputError(_path(first["loc"]), _message(first))


def parse(model: type[Model], data: Mapping[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise input_error(exc) from None


def parse_body(req: func.HttpRequest, model: type[Model], *, optional: bool = False) -> Model:
    """The JSON body (size, depth and text checked by `json_body`) as `model`; `optional`: an empty body is `{}`."""
    return parse(model, {} if optional and not req.get_body() else json_body(req))


def parse_query(req: func.HttpRequest, model: type[Model]) -> Model:
    """The query string as `model`: a list field takes every value of its key, any other field one; a
    one-value key given twice (`?quarter=2026Q4&quarter=2026Q3`) is a 400 naming it, never a silent pick
    (which one a host keeps differs)."""
    every = parse_qs(urlsplit(req.url).query, keep_blank_values=True)
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if not _is_list(field.annotation) and len(every.get(key) or ()) > 1:
            raise InputError(key, f"given {len(every[key])} times; give it once")
        if _is_list(field.annotation):
            values = every.get(key) or ([req.params[key]] if key in req.params else [])
            if values:
                data[key] = values
        elif key in req.params:
            data[key] = req.params[key]
    return parse(model, data)


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list
