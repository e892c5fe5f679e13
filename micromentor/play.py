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
from core.model import Session
from core.timefmt import iso_z
from micromentor.emulator_file import EmulatorFile

__all__ = ["attendance_body", "play_meeting"]


def attendance_body(session: Session, absent: Sequence[str], minutes: int | None) -> dict[str, Any]:
    """Everyone but `absent` joins at the start and stays `minutes` (default: the whole meeting)."""
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
    body = attendance_body(session, absent, minutes)
    verify = ssl.create_default_context(cafile=emulator.ca_cert_path)
    try:
        with httpx.Client(verify=verify, trust_env=False, timeout=30) as client:
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
