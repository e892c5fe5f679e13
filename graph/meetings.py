"""Teams attendance: meetings by join URL, their attendance reports and records, in $batch rounds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from core.model import AttendanceInterval, AttendanceRecord, AttendanceReport
from graph.base import (
    GraphBase,
    _config,
    _MeetingQuery,
    _ReportQuery,
)
from graph.timezones import parse_graph_datetime

__all__ = ["MeetingCalls"]


class MeetingCalls(GraphBase):
    async def attendance(self, organizer_id: str, join_urls: Sequence[str]) -> dict[str, list[AttendanceReport] | None]:
        """Attendance reports of many meetings of one organizer, in three $batch rounds of 20:
        find each meeting by join URL, list its reports, read each report with its records.
        A meeting Graph does not know maps to None. A meeting whose lookup, listing or any report could
        not be read is left out of the answer: deciding on part of its reports could wrongly make a
        session a no-show for good, so its session waits for the next sync instead."""
        meetings_of = self._client.users.by_user_id(organizer_id).online_meetings
        lookups = {
            str(i): meetings_of.to_get_request_information(
                _config(_MeetingQuery(filter=f"JoinWebUrl eq '{quote(url, safe='')}'"))
            )
            for i, url in enumerate(join_urls)
        }
        found = await self._batched(lookups, "GET onlineMeetings by joinUrl ($batch)")
        meeting_ids: dict[str, str] = {}
        unreadable: set[str] = set()
        for i, url in enumerate(join_urls):
            _, body = found[str(i)]
            if body is None:
                unreadable.add(url)
                continue
            values = body.get("value") or []
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
        reports: dict[str, list[AttendanceReport] | None] = {url: None for url in join_urls}
        collected: dict[str, list[AttendanceReport]] = {url: [] for url in found_urls}
        for n, (url, report_id) in enumerate(report_keys):
            _, body = details[str(n)]
            if body is None:
                unreadable.add(url)
            else:
                collected[url].append(_report(report_id, body))
        reports.update(collected)
        return {url: found_reports for url, found_reports in reports.items() if url not in unreadable}


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
