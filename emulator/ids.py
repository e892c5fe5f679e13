"""Opaque identifiers in the styles Graph uses (they only need to be unique and URL-safe)."""

from __future__ import annotations

import base64
import secrets
import uuid

__all__ = ["digits", "new_change_key", "new_event_id", "new_guid", "new_ical_uid", "new_meeting_parts"]


def new_guid() -> str:
    return str(uuid.uuid4())


def new_event_id() -> str:
    # Exchange item ids are long base64 strings starting "AAMk"; hex keeps ours free of "/", "+" and "_".
    return f"AAMkAD{secrets.token_hex(20).upper()}AAA="


def new_ical_uid() -> str:
    return "040000008200E00074C5B7101A82E00800000000" + secrets.token_hex(32).upper()


def new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(18)).decode()


def digits(count: int) -> str:
    return str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(count - 1))


def new_meeting_parts(tenant_id: str, organizer_id: str) -> tuple[str, str, str]:
    """(meeting id, thread id, joinWebUrl) as Teams shapes them."""
    token = base64.b64encode(str(uuid.uuid4()).encode()).decode().rstrip("=")
    thread = f"19:meeting_{token}@thread.v2"
    meeting_id = base64.urlsafe_b64encode(f"1*{organizer_id}*0**{thread}".encode()).decode().rstrip("=")
    join_url = (
        f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{token}%40thread.v2/0"
        f"?context=%7b%22Tid%22%3a%22{tenant_id}%22%2c%22Oid%22%3a%22{organizer_id}%22%7d"
    )
    return meeting_id, thread, join_url
