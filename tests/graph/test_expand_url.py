"""`expand_url` gives the URL the SDK's own expander gives, for the requests micromentor batches."""

from __future__ import annotations

from typing import Any

import pytest
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient

from graph.base import _config, _MeetingQuery, _ReportQuery, expand_url

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
