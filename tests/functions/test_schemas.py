"""The request models of functions/schemas.py: what they accept, and the field and message of what they refuse
(the field a dotted path into the body, the first unknown field before any other problem)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import pytest
from pydantic import BaseModel

from core.errors import InputError
from functions.schemas import (
    CancelRequest,
    ChecklistRequest,
    DoctorParams,
    GroupRequest,
    LinkRequest,
    MentoringRequest,
    OfficeHoursRequest,
    ReportParams,
    SeatRequest,
    SessionRequest,
    SlotsParams,
    parse,
    parse_body,
    parse_query,
)

CAMILLE, BEN = "camille@contoso.example", "ben@contoso.example"
BOOKING: dict[str, Any] = {
    "mentor": "maya@contoso.example",
    "mentees": ["ravi@contoso.example"],
    "start": "2026-12-01T10:00:00+01:00",
    "question": "How do I scope a spike?",
}


def refused(model: type[BaseModel], data: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        parse(model, data)
    return caught.value.field, caught.value.message


def test_a_booking_body_becomes_the_services_request_in_utc() -> None:
    request = parse(SessionRequest, {**BOOKING, "minutes": 20, "topic": None}).to_request("key-9")
    assert request.start == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 at +01:00
    assert (request.mentees, request.minutes, request.topic, request.idempotency_key) == (
        ("ravi@contoso.example",),
        20,
        None,
        "key-9",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"mentor": None}, "mentor", "must be a string"),
        ({"mentees": "ravi@contoso.example"}, "mentees", "must be a list"),
        ({"mentees": []}, "mentees", "needs at least 1"),
        ({"mentees": ["ravi@contoso.example", 7]}, "mentees[1]", "must be a string"),
        ({"minutes": "15"}, "minutes", "must be a whole number"),
        ({"minutes": True}, "minutes", "must be a whole number"),  # JSON true is not 1
        ({"minutes": 15.0}, "minutes", "must be a whole number"),
        ({"start": "2026-12-01T10:00:00"}, "start", "'2026-12-01T10:00:00' has no UTC offset; add Z or ±hh:mm"),
        ({"start": "0001-01-01T00:00:00Z"}, "start", "'0001-01-01T00:00:00Z' is out of range (1970 to 2200)"),
        ({"question": "x" * 301}, "question", "at most 300 characters"),
        ({"topic": "t" * 121}, "topic", "at most 120 characters"),
    ],
)
def test_a_booking_body_names_the_field_at_fault(changes: dict[str, Any], field: str, message: str) -> None:
    assert refused(SessionRequest, {**BOOKING, **changes}) == (field, message)


def test_a_missing_field_is_required_and_unknown_fields_come_first_in_name_order() -> None:
    body = {k: v for k, v in BOOKING.items() if k != "question"}
    assert refused(SessionRequest, body) == ("question", "required")
    assert refused(SessionRequest, {**body, "zeta": 1, "alpha": 2}) == ("alpha", "unknown field")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"skill": "x", "question": "q?", "mentee": CAMILLE, "urgent": True}, "urgent"),
        ({"skill": "x", "question": "q?", "mentee": CAMILLE, "mentors": BEN}, "mentors"),
        ({"skill": "x", "question": "q?", "mentee": CAMILLE, "mentors": [1]}, "mentors[0]"),
        ({"skill": "x", "question": "q?", "mentee": CAMILLE, "sessions": "2"}, "sessions"),
        ({"skill": "x", "question": "q?", "mentee": CAMILLE, "sessions": 4}, "sessions"),
        ({"skill": "x", "question": "q?", "mentee": CAMILLE, "minutes": 15.0}, "minutes"),
        ({"skill": 3, "question": "q?", "mentee": CAMILLE}, "skill"),
        ({"skill": "x", "mentee": CAMILLE}, "question"),
    ],
)
def test_a_malformed_mentoring_request_names_the_field(body: dict[str, Any], field: str) -> None:
    # Moved from tests/services/test_requests.py with services.requests.parse_request_body; `mentors: [1]`
    # now names the item (`mentors[0]`), not the list.
    assert refused(MentoringRequest, body)[0] == field


def test_the_mentee_defaults_to_the_caller_and_is_required_without_one() -> None:
    parsed = parse(MentoringRequest, {"skill": "x", "question": "q?"})
    data = parsed.to_input("key-1", default_mentee=CAMILLE)
    assert (data.mentee, data.idempotency_key, data.mentors, data.sessions) == (CAMILLE, "key-1", (), None)
    with pytest.raises(InputError) as caught:
        parsed.to_input(None, default_mentee=None)
    assert caught.value.field == "mentee"


def test_links_and_groups_name_people_trimmed_and_lower_case() -> None:
    link = parse(LinkRequest, {"mentor": "  Maya@Contoso.Example "})
    assert (link.mentor, link.mentee, link.ttl_hours) == ("maya@contoso.example", None, 7 * 24)
    assert refused(LinkRequest, {"mentor": "   "}) == ("mentor", "required, as a user principal name")
    assert refused(LinkRequest, {"mentor": "m@x", "ttlHours": 0}) == ("ttlHours", "must be at least 1")
    assert refused(LinkRequest, {"mentor": "m@x", "ttlHours": 2161}) == ("ttlHours", "must be at most 2160")  # 90 days
    assert refused(LinkRequest, {"mentor": "m@x", "ttl_hours": 5}) == ("ttl_hours", "unknown field")  # the alias only
    group = parse(GroupRequest, {"mentor": "Maya@X", "topic": "Spikes", "start": "2026-12-01T09:00:00Z", "seats": 4})
    assert group.to_draft().mentor == "maya@x"
    assert parse(SeatRequest, {}).mentee is None


def test_nested_fields_are_named_by_their_path() -> None:
    windows = {"officeHours": [{"day": "tuesday", "start": "10:00", "end": "11:00"}, {"day": "friday", "start": 9}]}
    assert refused(OfficeHoursRequest, windows) == ("officeHours[1].start", "must be a string")
    windows["officeHours"][1] = {"day": "friday", "start": "09:00", "end": "10:00", "room": "B"}
    assert refused(OfficeHoursRequest, windows) == ("officeHours[1].room", "unknown field")
    assert refused(ChecklistRequest, {"version": 0, "options": ["a", None]}) == ("options[1]", "must be a string")
    assert refused(ChecklistRequest, {"question": "q"}) == ("version", "required")
    assert refused(CancelRequest, {"comment": "c" * 501}) == ("comment", "at most 500 characters")


def _request(url: str, body: bytes = b"", method: str = "GET") -> func.HttpRequest:
    query = dict(part.split("=", 1) for part in url.partition("?")[2].split("&") if "=" in part)
    return func.HttpRequest(method, url, params=query, body=body)


def test_query_numbers_are_ascii_digits_and_mentees_come_repeated_or_comma_separated() -> None:
    params = parse_query(_request("http://h/api/slots?mentor=m&mentee=a,b&mentee=c&limit=3"), SlotsParams)
    assert (params.mentee, params.limit, params.minutes, params.now) == (["a", "b", "c"], 3, None, None)
    for odd in ("%EF%BC%91", "15_0", "%2015", "1234567"):  # fullwidth 1, an underscore, a space, 7 digits
        with pytest.raises(InputError) as caught:
            parse_query(_request(f"http://h/api/slots?mentor=m&mentee=a&minutes={odd}"), SlotsParams)
        assert caught.value.field == "minutes"
    with pytest.raises(InputError) as caught:
        parse_query(_request("http://h/api/slots?mentor=m"), SlotsParams)
    assert (caught.value.field, caught.value.message) == ("mentee", "required")


def test_report_and_doctor_queries() -> None:
    report = parse_query(_request("http://h/api/admin/report?from=2026-01-01T00:00:00Z&format=csv"), ReportParams)
    assert (report.period_from, report.period_to, report.format) == ("2026-01-01T00:00:00Z", None, "csv")
    with pytest.raises(InputError) as caught:
        parse_query(_request("http://h/api/admin/report?format=pdf"), ReportParams)
    assert (caught.value.field, caught.value.message) == ("format", "must be one of 'json', 'csv' or 'html'")
    doctor = parse_query(_request("http://h/api/admin/doctor?mentor=a@x,,b@x"), DoctorParams)
    assert doctor.mentors() == ("a@x", "b@x")
    with pytest.raises(InputError) as caught:
        DoctorParams(mentor=",".join(f"m{i}@x" for i in range(51))).mentors()
    assert caught.value.field == "mentor"


def test_a_body_goes_through_the_json_checks_first() -> None:
    with pytest.raises(InputError) as caught:
        parse_body(_request("http://h/api/sessions", b"[1]", "POST"), SessionRequest)
    assert (caught.value.field, caught.value.message) == ("body", "expected a JSON object")
    empty = _request("http://h/api/sessions/x/cancel", b"", "POST")
    assert parse_body(empty, CancelRequest, optional=True).comment is None
