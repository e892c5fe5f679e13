"""`expand_url` gives the URL the SDK's own expander gives, for the requests micromentor batches, and
`pin_url` the URL the SDK would send, for every request form the gateway sends on its own."""

from __future__ import annotations

from typing import Any

import pytest
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.event import Event
from msgraph.generated.models.sensitivity import Sensitivity
from msgraph.generated.users.item.calendar.get_schedule.get_schedule_post_request_body import (
    GetSchedulePostRequestBody,
)
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import CalendarViewRequestBuilder
from msgraph.generated.users.item.calendar_view.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import MessagesRequestBuilder
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from graph.base import _config, _MeetingQuery, _ReportQuery, expand_url, pin_url

CLIENT = GraphServiceClient(request_adapter=GraphRequestAdapter(AnonymousAuthenticationProvider()))
MEETINGS = CLIENT.users.by_user_id("8b7a2c2e-0003").online_meetings
JOIN_URL = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d"
MEETING_ID = "MSo1N2Y5ZGFjYy03MWJmLTQ3NDMtYjQxMy01M2EdFh+/=x"


@pytest.mark.parametrize(
    "info",
    [
        MEETINGS.to_get_request_information(_config(_MeetingQuery(filter=f"JoinWebUrl eq '{JOIN_URL}'"))),
        MEETINGS.by_online_meeting_id(MEETING_ID).attendance_reports.to_get_request_information(),
        MEETINGS.by_online_meeting_id(MEETING_ID)
        .attendance_reports.by_meeting_attendance_report_id("r 1/2")
        .to_get_request_information(_config(_ReportQuery(expand=["attendanceRecords"]))),
        CLIENT.users.by_user_id("maya@contoso.example").mailbox_settings.to_get_request_information(),
    ],
    ids=["meeting by join url", "reports", "report with records", "mailbox settings"],
)
def test_expand_url_matches_the_sdk(info: Any) -> None:
    mine = expand_url(info)
    assert mine is not None and mine == info.url


def test_expand_url_leaves_unknown_values_to_the_sdk() -> None:
    info = MEETINGS.to_get_request_information()
    info.query_parameters["%24count"] = True  # a boolean: the SDK writes it its own way
    info.url_template = "{+baseurl}/users/{user%2Did}/onlineMeetings{?%24count}"
    assert expand_url(info) is None


BASE = "https://graph.microsoft.com/v1.0"
USER = CLIENT.users.by_user_id("maya.k@contoso.example")
_VIEW = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters
_DELTA = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters
_FILTER = "singleValueExtendedProperties/Any(ep: ep/id eq 'String {6e1a} Name k' and ep/value eq 'a''b')"


@pytest.mark.parametrize(
    "make",
    [
        lambda: USER.calendar_view.to_get_request_information(
            _config(
                _VIEW(
                    start_date_time="2026-11-30T00:00:00Z",
                    end_date_time="2027-01-01T00:00:00Z",
                    top=100,
                    select=["id", "start", "end", "showAs", "categories", "isCancelled", "type"],
                )
            )
        ),
        lambda: USER.calendar_view.delta.to_get_request_information(
            _config(_DELTA(start_date_time="2026-11-30T00:00:00Z", end_date_time="2027-01-01T00:00:00Z"))
        ),
        lambda: USER.calendar.get_schedule.to_post_request_information(GetSchedulePostRequestBody(schedules=["a@b"])),
        lambda: CLIENT.users.to_get_request_information(
            _config(
                UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                    filter="mail eq 'o''neil@x.example'", select=["id", "mail"]
                )
            )
        ),
        lambda: USER.to_get_request_information(
            _config(UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=["id", "department"]))
        ),
        lambda: USER.mailbox_settings.to_get_request_information(),
        lambda: USER.events.to_post_request_information(Event(subject="s")),
        lambda: USER.events.by_event_id("AAMkAD=+/x").to_patch_request_information(Event(subject="s")),
        lambda: USER.mail_folders.by_mail_folder_id("sentitems").messages.to_get_request_information(
            _config(
                MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(filter=_FILTER, select=["id"], top=1)
            )
        ),
        lambda: USER.send_mail.to_post_request_information(SendMailPostRequestBody()),
    ],
    ids=[
        "calendarView",
        "delta",
        "getSchedule",
        "users by mail",
        "user",
        "mailboxSettings",
        "POST event",
        "PATCH event",
        "sent items by key",
        "sendMail",
    ],
)
def test_pinned_url_is_the_one_the_sdk_sends(make: Any) -> None:
    info, theirs = make(), make()
    theirs.path_parameters["baseurl"] = BASE  # as the SDK's adapter does before reading the URL
    pin_url(info, BASE)
    pinned = info.query_parameters == {} and info.path_parameters == {RequestInformation.RAW_URL_KEY: info.url}
    assert pinned, "not pinned: the SDK would expand it"
    assert info.url == theirs.url


def test_a_raw_url_is_left_to_the_sdk() -> None:
    link = f"{BASE}/users/x/calendarView?$skiptoken=abc%3D"
    info = USER.calendar_view.with_url(link).to_get_request_information()
    pin_url(info, BASE)
    assert info.url == link


@pytest.mark.parametrize(
    "value",
    [Sensitivity.Private, [Sensitivity.Private], [True, False], [1.5], ["a", None]],
    ids=["msgraph enum (str mixed in)", "list of enums", "list of booleans", "list of floats", "list with None"],
)
def test_expand_url_gives_the_sdks_url_or_leaves_it_to_the_sdk(value: Any) -> None:
    # The SDK writes an enum as its value, a list of enums as one text (commas quoted), and booleans in
    # lists as true/false: a value written another way must be left to the SDK, never sent differently.
    info = MEETINGS.to_get_request_information()
    info.url_template = "{+baseurl}/users/{user%2Did}/onlineMeetings{?%24select}"
    info.query_parameters["%24select"] = value
    info.path_parameters = {**info.path_parameters, "baseurl": BASE}
    try:
        theirs: str | None = info.url
    except ValueError:  # a value the SDK refuses ("Illegal class passed as substitution: None")
        theirs = None
    mine = expand_url(info)
    assert mine is None or mine == theirs


def _users_by_mail() -> Any:
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(filter="mail eq 'a@b.example'", select=["id"])
    return CLIENT.users.to_get_request_information(_config(query))


def test_pinning_a_pinned_request_again_keeps_its_query() -> None:
    # A request is pinned again when it is sent again: a $batch item sent on its own after being throttled
    # in every batch (GraphBase._batch_get, BatchStream), or a caller that sends one request twice. The
    # first pin cleared the parameters: expanding the template again must not drop the query.
    info = _users_by_mail()
    pin_url(info, BASE)
    pinned = info.url
    pin_url(info, BASE)
    assert info.url == pinned == f"{BASE}/users?%24filter=mail%20eq%20%27a%40b.example%27&%24select=id"

    item = _users_by_mail()
    pin_url(item)  # as a $batch item: relative
    pin_url(item, BASE)  # then on its own
    assert "?%24filter=mail%20eq%20%27a%40b.example%27&%24select=id" in item.url
