"""Teams attendance: meetings by join URL, their attendance reports and records, in $batch rounds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.model import AttendanceInterval, AttendanceRecord, AttendanceReport
from graph.base import (
    GraphBase,
    _config,
    _MeetingQuery,
    _ReportQuery,
)
from graph.timezones import parse_graph_datetime

__all__ = ["MeetingAttendance", "MeetingCalls", "MeetingRef"]


@dataclass(frozen=True, slots=True)
class MeetingRef:
    """A session's Teams meeting: its join URL, and its id once found."""

    join_url: str
    meeting_id: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingAttendance:
    """A meeting's id and every attendance report Graph has for it (none yet: empty)."""

    meeting_id: str
    reports: tuple[AttendanceReport, ...]


class MeetingCalls(GraphBase):
    async def find_meetings(self, organizer_id: str, join_urls: Sequence[str]) -> dict[str, str | None]:
        """Online meeting ids by join URL, 20 lookups per $batch. The join URL goes to the SDK as it is:
        the SDK encodes the query once, as Graph's example shows (api/onlinemeeting-get.md, example 3).
        A URL Graph knows nothing about (an empty answer, or 404 "3004") maps to None; one that could not
        be read is left out.
        A 403 (no Teams application access policy for the organizer, or a missing app role) raises
        GraphAuthError."""
        meetings_of = self._client.users.by_user_id(organizer_id).online_meetings
        found = await self._batched(
            {
                str(i): meetings_of.to_get_request_information(_config(_MeetingQuery(filter=f"JoinWebUrl eq '{url}'")))
                for i, url in enumerate(join_urls)
            },
            "GET onlineMeetings by joinUrl ($batch)",
        )
        ids: dict[str, str | None] = {}
        for i, url in enumerate(join_urls):
            status, body = found[str(i)]
            if status == 404:
                ids[url] = None  # 404 "3004: Specified meeting is not found"
            elif body is not None:
                values = body.get("value") or []
                ids[url] = str(values[0]["id"]) if values else None
        return ids

    async def attendance(self, organizer_id: str, meetings: Sequence[MeetingRef]) -> dict[str, MeetingAttendance]:
        """Attendance reports of many meetings of one organizer, keyed by join URL. Meetings without a
        known id are looked up first (one more round); then each meeting's reports are listed and each
        report read with its records: two requests per meeting with one report.

        A meeting that was not found, or whose lookup, listing or any report could not be read, is left
        out of the answer: deciding on part of its reports could wrongly make a session a no-show for good,
        so its session waits for the next sync instead. A 403 raises GraphAuthError (see `find_meetings`)."""
        meeting_ids = {m.join_url: m.meeting_id for m in meetings if m.meeting_id}
        unknown = [m.join_url for m in meetings if not m.meeting_id]
        looked_up = await self.find_meetings(organizer_id, unknown) if unknown else {}
        # A meeting Graph does not find is left out like an unreadable one, not taken for "no meeting, no
        # report": Graph has answered 404 3004 for real meetings days after they ended (Q&A 2084475).
        answer: dict[str, MeetingAttendance] = {}
        meeting_ids.update({url: found for url, found in looked_up.items() if found is not None})

        meetings_of = self._client.users.by_user_id(organizer_id).online_meetings
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
        unreadable: set[str] = set()
        report_keys: list[tuple[str, str]] = []  # (join url, report id)
        for n, url in enumerate(found_urls):
            _, body = listings[str(n)]
            if body is None:
                unreadable.add(url)
                continue
            report_keys += [(url, str(summary["id"])) for summary in body.get("value") or []]
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
        collected: dict[str, list[AttendanceReport]] = {url: [] for url in found_urls}
        for n, (url, report_id) in enumerate(report_keys):
            _, body = details[str(n)]
            if body is None:
                unreadable.add(url)
            else:
                collected[url].append(_report(report_id, body))
        for url, reports in collected.items():
            if url not in unreadable:
                answer[url] = MeetingAttendance(meeting_ids[url], tuple(reports))
        return answer


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
        identity = record.get("identity") if isinstance(record.get("identity"), dict) else {}
        records.append(
            AttendanceRecord(
                # The mailbox address, not necessarily the UPN, and sometimes empty (docs-contrib #3198):
                # the object id in `identity.id` is what identifies the person.
                email=str(record.get("emailAddress") or "").lower(),
                intervals=tuple(intervals),
                total_seconds=int(total) if isinstance(total, int | float) else None,
                user_id=str(identity["id"]) if identity.get("id") else None,
            )
        )
    return AttendanceReport(
        id=report_id,
        records=tuple(records),
        meeting_start=_moment(body.get("meetingStartDateTime")),
        meeting_end=_moment(body.get("meetingEndDateTime")),
    )
