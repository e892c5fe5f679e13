"""Teams attendance: meetings by join URL, their attendance reports and records, read item by item in
shared chained $batches (graph/batching.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
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
from graph.batching import BatchStream
from graph.lanes import lane_of
from graph.timezones import parse_graph_datetime

__all__ = ["MeetingAttendance", "MeetingCalls", "MeetingReader", "MeetingRef"]


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


class MeetingReader:
    """One organizer's meetings read item by item, all items sharing chained `$batch`es of up to 20 in
    the organizer's onlineMeetings lane (graph/batching.py). Made by `MeetingCalls.meeting_reader`."""

    def __init__(self, organizer_id: str, meetings_of: Any, stream: BatchStream) -> None:
        self._organizer_id = organizer_id
        self._meetings_of = meetings_of
        self._stream = stream

    @property
    def requests(self) -> int:
        """`$batch` requests sent so far."""
        return self._stream.requests

    async def meeting_id(self, join_url: str) -> tuple[bool, str | None]:
        """(read, id): the online meeting's id by its join URL. The join URL goes to the SDK as it is:
        the SDK encodes the query once, as Graph's example shows (api/onlinemeeting-get.md, example 3).
        A URL Graph knows nothing about (an empty answer, or 404 "3004") is (True, None); one that could
        not be read is (False, None). A 403 (no Teams application access policy for the organizer, or a
        missing app role) raises GraphAuthError."""
        query = _config(_MeetingQuery(filter=f"JoinWebUrl eq '{join_url}'"))
        status, body = await self._stream.get(self._meetings_of.to_get_request_information(query))
        if status == 404:
            return True, None  # 404 "3004: Specified meeting is not found"
        if body is None:
            return False, None
        values = body.get("value") or []
        return True, (str(values[0]["id"]) if values else None)

    async def attendance(self, meeting: MeetingRef) -> MeetingAttendance | None:
        """Every attendance report of one meeting with its records: the listing, then each report (two
        items for a meeting with one report; a third, first, when its id is not known yet). None when
        the meeting was not found or any part could not be read: deciding on part of its reports could
        wrongly make a session a no-show for good, so its session waits for the next sync instead. A
        meeting Graph does not find is not taken for "no meeting, no report" either: Graph has answered
        404 3004 for real meetings days after they ended (Q&A 2084475)."""
        meeting_id = meeting.meeting_id or (await self.meeting_id(meeting.join_url))[1]
        if not meeting_id:
            return None
        reports_of = self._meetings_of.by_online_meeting_id(meeting_id).attendance_reports
        _, listing = await self._stream.get(reports_of.to_get_request_information())
        if listing is None:
            return None
        report_ids = [str(summary["id"]) for summary in listing.get("value") or ()]
        expand = _config(_ReportQuery(expand=["attendanceRecords"]))
        reads = [
            self._stream.get(reports_of.by_meeting_attendance_report_id(r).to_get_request_information(expand))
            for r in report_ids
        ]
        # One report (the usual case) is read in this task: a task more per meeting costs CPU and a turn.
        details = [await reads[0]] if len(reads) == 1 else await asyncio.gather(*reads)
        if any(body is None for _, body in details):
            return None
        return MeetingAttendance(
            meeting_id, tuple(_report(r, body) for r, (_, body) in zip(report_ids, details, strict=True) if body)
        )


class MeetingCalls(GraphBase):
    @asynccontextmanager
    async def meeting_reader(self, organizer_id: str) -> AsyncIterator[MeetingReader]:
        """A reader of one organizer's meetings (see MeetingReader); every read must be awaited inside
        the block."""
        meetings_of = self._client.users.by_user_id(organizer_id).online_meetings
        lane = lane_of(f"/users/{organizer_id}/onlineMeetings")
        slots = self._lanes.size(lane) if lane is not None else self._lanes.meetings
        async with BatchStream(self, "GET onlineMeetings ($batch)", slots) as stream:
            yield MeetingReader(organizer_id, meetings_of, stream)

    async def find_meetings(self, organizer_id: str, join_urls: Sequence[str]) -> dict[str, str | None]:
        """Online meeting ids by join URL (see MeetingReader.meeting_id), 20 lookups per `$batch`: a URL
        Graph knows nothing about maps to None; one that could not be read is left out."""
        async with self.meeting_reader(organizer_id) as reader:
            found = await asyncio.gather(*(reader.meeting_id(url) for url in join_urls))
        return {url: meeting_id for url, (read, meeting_id) in zip(join_urls, found, strict=True) if read}

    async def attendance(self, organizer_id: str, meetings: Sequence[MeetingRef]) -> dict[str, MeetingAttendance]:
        """Attendance reports of many meetings of one organizer, keyed by join URL (see
        MeetingReader.attendance); a meeting not found or not fully read is left out. A 403 raises
        GraphAuthError."""
        async with self.meeting_reader(organizer_id) as reader:
            found = await asyncio.gather(*(reader.attendance(m) for m in meetings))
        return {m.join_url: a for m, a in zip(meetings, found, strict=True) if a is not None}


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
