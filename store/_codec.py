"""Turning the domain values into flat records of strings and ints, and back, for both backends.

Datetimes become fixed-width UTC ISO strings (`2024-05-06T09:30:00.000000+00:00`): they read back as
aware UTC datetimes equal to the input, and because every string has the same width and offset, string
order is time order, so range queries and sorting can work on the text. Tuples become JSON arrays.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from core.errors import Conflict, InputError
from core.model import Checklist, MentoringRequest, Participant, Session, SessionState

__all__ = [
    "Record",
    "cell_keys",
    "check_session_change",
    "checklist_from_record",
    "checklist_to_record",
    "dump_policy",
    "dump_strings",
    "from_utc_iso",
    "load_policy",
    "load_strings",
    "optional_datetime",
    "optional_iso",
    "request_from_record",
    "request_to_record",
    "session_from_record",
    "session_to_record",
    "stale_checklist",
    "stale_policy",
    "state_values",
    "to_utc_iso",
]

Record = dict[str, str | int | None]


def to_utc_iso(value: datetime, field: str = "datetime") -> str:
    """Fixed-width UTC ISO text; naive datetimes are refused, since their instant is unknown."""
    if not isinstance(value, datetime):
        raise InputError(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(field, "naive datetime; pass an aware (UTC) datetime")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_utc_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def optional_iso(value: datetime | None, field: str) -> str | None:
    return None if value is None else to_utc_iso(value, field)


def optional_datetime(text: object) -> datetime | None:
    return None if text is None else from_utc_iso(str(text))


def dump_strings(values: Iterable[str], field: str) -> str:
    items = list(values)
    if isinstance(values, str) or not all(isinstance(v, str) for v in items):
        raise InputError(field, "expected a sequence of strings")
    return json.dumps(items, ensure_ascii=False)


def load_strings(text: object) -> tuple[str, ...]:
    if text is None or text == "":
        return ()
    return tuple(str(v) for v in json.loads(str(text)))


def dump_policy(policy: Mapping[str, Any]) -> str:
    try:
        return json.dumps(policy, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError("policy", f"not JSON-serialisable: {exc}") from exc


def load_policy(text: object) -> dict[str, Any]:
    value = json.loads(str(text))
    if not isinstance(value, dict):
        raise ValueError("stored policy is not a JSON object")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def session_to_record(session: Session) -> Record:
    """Every Session field under its own name; the keys double as SQL column and entity property names."""
    if not isinstance(session, Session):
        raise InputError("session", f"expected a Session, got {type(session).__name__}")
    return {
        "id": session.id,
        "mentor": session.mentor,
        "mentees": dump_strings(session.mentees, "mentees"),
        "start": to_utc_iso(session.start, "start"),
        "end": to_utc_iso(session.end, "end"),
        "question": session.question,
        "created_at": to_utc_iso(session.created_at, "created_at"),
        "state": SessionState(session.state).value,
        "topic": session.topic,
        "request_id": session.request_id,
        "event_id": session.event_id,
        "join_url": session.join_url,
        "transaction_id": session.transaction_id,
        "missing": dump_strings(session.missing, "missing"),
        "state_reason": session.state_reason,
        "updated_at": optional_iso(session.updated_at, "updated_at"),
        "people": json.dumps(
            [{"address": p.address, "id": p.object_id, "aliases": sorted(p.aliases)} for p in session.people]
        ),
        "online_meeting_id": session.online_meeting_id,
        "seats": session.seats,
        "series_id": session.series_id,
    }


def _optional_int(value: object) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _load_people(text: object) -> tuple[Participant, ...]:
    if not isinstance(text, str) or not text:
        return ()  # sessions written before people were stored
    return tuple(
        Participant(str(p["address"]), _optional_str(p.get("id")), frozenset(str(a) for a in p.get("aliases") or ()))
        for p in json.loads(text)
    )


def session_from_record(row: Mapping[str, Any]) -> Session:
    return Session(
        id=str(row["id"]),
        mentor=str(row["mentor"]),
        mentees=load_strings(row.get("mentees")),
        start=from_utc_iso(str(row["start"])),
        end=from_utc_iso(str(row["end"])),
        question=str(row["question"]),
        created_at=from_utc_iso(str(row["created_at"])),
        state=SessionState(str(row["state"])),
        topic=_optional_str(row.get("topic")),
        request_id=_optional_str(row.get("request_id")),
        event_id=_optional_str(row.get("event_id")),
        join_url=_optional_str(row.get("join_url")),
        transaction_id=_optional_str(row.get("transaction_id")),
        missing=load_strings(row.get("missing")),
        state_reason=_optional_str(row.get("state_reason")),
        updated_at=optional_datetime(row.get("updated_at")),
        people=_load_people(row.get("people")),
        online_meeting_id=_optional_str(row.get("online_meeting_id")),
        seats=_optional_int(row.get("seats")),
        series_id=_optional_str(row.get("series_id")),
    )


def request_to_record(request: MentoringRequest) -> Record:
    if not isinstance(request, MentoringRequest):
        raise InputError("request", f"expected a MentoringRequest, got {type(request).__name__}")
    return {
        "id": request.id,
        "mentee": request.mentee,
        "skill": request.skill,
        "question": request.question,
        "created_at": to_utc_iso(request.created_at, "created_at"),
        "mentors": dump_strings(request.mentors, "mentors"),
        "sessions_wanted": int(request.sessions_wanted),
    }


def request_from_record(row: Mapping[str, Any]) -> MentoringRequest:
    return MentoringRequest(
        id=str(row["id"]),
        mentee=str(row["mentee"]),
        skill=str(row["skill"]),
        question=str(row["question"]),
        created_at=from_utc_iso(str(row["created_at"])),
        mentors=load_strings(row.get("mentors")),
        sessions_wanted=int(row["sessions_wanted"]),
    )


def cell_keys(cells: Sequence[datetime]) -> list[str]:
    """Distinct cells as sorted UTC ISO keys (a retried booking may list a cell twice)."""
    return sorted({to_utc_iso(cell, "cells") for cell in cells})


def state_values(states: Iterable[SessionState] | None) -> list[str] | None:
    return None if states is None else sorted({SessionState(s).value for s in states})


def check_session_change(session_id: str, changed: object) -> Session:
    """`update_session` callbacks must hand back a Session for the same id."""
    if not isinstance(changed, Session):
        raise InputError("session", f"change must return a Session, got {type(changed).__name__}")
    if changed.id != session_id:
        raise InputError("session", f"change may not alter the session id ({session_id!r} -> {changed.id!r})")
    return changed


def stale_policy(current: int, expected: int) -> Conflict:
    """An admin saved over a policy version that is no longer the latest (HTTP 409 on If-Match)."""
    return Conflict(
        "If-Match",
        f"the policy is at version {current}, not {expected}: someone saved it meanwhile; "
        "reload, reapply your change and save again",
    )


def checklist_to_record(checklist: Checklist) -> Record:
    if not isinstance(checklist, Checklist):
        raise InputError("checklist", f"expected a Checklist, got {type(checklist).__name__}")
    return {
        "session_id": checklist.session_id,
        "question": checklist.question,
        "options": dump_strings(checklist.options, "options"),
        "next_step": checklist.next_step,
        "success_indicator": checklist.success_indicator,
        "version": int(checklist.version),
        "updated_at": optional_iso(checklist.updated_at, "updated_at"),
        "updated_by": checklist.updated_by,
    }


def checklist_from_record(row: Mapping[str, Any]) -> Checklist:
    return Checklist(
        session_id=str(row["session_id"]),
        question=str(row.get("question") or ""),
        options=load_strings(row.get("options")),
        next_step=str(row.get("next_step") or ""),
        success_indicator=str(row.get("success_indicator") or ""),
        version=int(row["version"]),
        updated_at=optional_datetime(row.get("updated_at")),
        updated_by=_optional_str(row.get("updated_by")),
    )


def stale_checklist(current: int, expected: int) -> Conflict:
    """Someone saved the checklist after this writer read it: their text must not vanish unseen (HTTP 409)."""
    return Conflict(
        "version",
        f"the checklist is at version {current}, not {expected}: someone else saved it meanwhile; "
        "read their answers, merge yours and save again",
    )
