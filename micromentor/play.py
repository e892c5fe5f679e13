"""`micromentor play`: play a booked session's Teams meeting out on the running emulator, as Teams would
record it (attendance report with join and leave times), so that `sync` finds who attended.

Dev only: it posts to the emulator's admin surface (`POST {admin}/meetings/attendance`, emulator/README.md).
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx

from core.errors import InputError, NotFound
from core.model import Session, SessionState
from core.timefmt import iso_z
from micromentor.emulator_file import EmulatorFile

__all__ = ["attendance_body", "play_meeting"]


def attendance_body(session: Session, absent: Sequence[str], minutes: int | None) -> dict[str, Any]:
    """Everyone but `absent` joins at the start and stays `minutes` (default: the whole meeting). Only a
    scheduled or ended session has a meeting to play: a cancelled one is refused, naming `--session`."""
    if session.state == SessionState.CANCELLED:
        raise InputError(
            "--session",
            f"session {session.id} is cancelled ({session.state_reason or 'no reason'}); only a scheduled or "
            "ended session can be played",
        )
    if session.join_url is None:
        raise InputError("--session", f"session {session.id} has no Teams meeting (state {session.state})")
    people = [session.mentor, *session.mentees]
    missing = {a.strip().lower() for a in absent}
    unknown = sorted(missing - {p.lower() for p in people})
    if unknown:
        raise InputError("--absent", f"{unknown[0]} is not in session {session.id}")
    length = session.end - session.start
    stay = length if minutes is None else timedelta(minutes=minutes)
    if minutes is not None and not timedelta(0) < stay <= length:
        raise InputError("--minutes", f"must be between 1 and the meeting's {length.seconds // 60} minutes")
    leave = session.start + stay
    records = [
        {"upn": p, "intervals": [{"join": iso_z(session.start), "leave": iso_z(leave)}]}
        for p in people
        if p.lower() not in missing
    ]
    return {"joinUrl": session.join_url, "start": iso_z(session.start), "end": iso_z(session.end), "records": records}


def play_meeting(
    emulator: EmulatorFile, session: Session, absent: Sequence[str], minutes: int | None
) -> dict[str, Any]:
    """Post the meeting's attendance report once: a replay (the same session again) finds the report
    of the first play and answers it, with `alreadyPlayed`, instead of adding a second report."""
    body = attendance_body(session, absent, minutes)
    verify = ssl.create_default_context(cafile=emulator.ca_cert_path)
    try:
        with httpx.Client(verify=verify, trust_env=False, timeout=30) as client:
            earlier = _played(client, emulator, session)
            if earlier is not None:
                return earlier
            answer = client.post(f"{emulator.admin_url}/meetings/attendance", json=body)
    except httpx.TransportError as exc:
        raise InputError("--settings", f"the emulator at {emulator.admin_url} does not answer: {exc}") from exc
    if answer.status_code == 404:
        raise NotFound("--session", f"the emulator has no meeting for session {session.id}: was it booked there?")
    if answer.status_code >= 400:
        raise InputError("--session", f"the emulator refused the attendance: {answer.status_code} {answer.text[:200]}")
    attended = [str(r["upn"]) for r in body["records"]]
    leave = body["records"][0]["intervals"][0]["leave"] if body["records"] else body["start"]
    return {
        "session": session.id,
        "attended": attended,
        "absent": [p for p in (session.mentor, *session.mentees) if p not in attended],
        "joined": body["start"],
        "left": leave,
    }


def _played(client: httpx.Client, emulator: EmulatorFile, session: Session) -> dict[str, Any] | None:
    """The first play's answer when the emulator already holds an attendance report for the meeting."""
    answer = client.get(f"{emulator.admin_url}/state")
    if answer.status_code >= 400:
        return None
    for meeting in answer.json().get("onlineMeetings") or ():
        reports = meeting.get("attendanceReports") or []
        if meeting.get("joinWebUrl") != session.join_url or not reports:
            continue
        first = reports[0]
        records = first.get("attendanceRecords") or []
        attended = [
            str(r.get("emailAddress") or (r.get("identity") or {}).get("displayName") or "").lower() for r in records
        ]
        people = [session.mentor, *session.mentees]
        leaves = [i["leaveDateTime"] for r in records for i in r.get("attendanceIntervals") or ()]
        return {
            "session": session.id,
            "alreadyPlayed": True,
            "attended": [p for p in people if p.lower() in attended],
            "absent": [p for p in people if p.lower() not in attended],
            "joined": iso_z(session.start),
            "left": _z(max(leaves)) if leaves else iso_z(session.start),
        }
    return None


def _z(stamp: str) -> str:
    """The emulator's `2026-12-01T09:15:00.0000000Z` as `2026-12-01T09:15:00Z`."""
    return stamp.split(".")[0].rstrip("Z") + "Z"
