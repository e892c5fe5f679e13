"""ISO 8601 at the edges: every surface reads times with an explicit offset and writes UTC with `Z`."""

from __future__ import annotations

from datetime import UTC, datetime

from core.errors import InputError

__all__ = ["EARLIEST", "LATEST", "iso_z", "parse_aware"]

# Every time a client sends lies in this range, so that adding minutes, a horizon (62 days at most) or a
# report period to it stays far from datetime's own limits (years 1 and 9999): no OverflowError later.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def iso_z(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def parse_aware(field: str, text: object) -> datetime:
    """An ISO 8601 time with an explicit offset (`Z` or `±hh:mm`), returned in UTC."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(field, "expected an ISO 8601 time with an offset, e.g. 2026-12-01T09:00:00Z")
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in ("Z", "z") else raw)
    except ValueError as exc:
        raise InputError(field, f"not an ISO 8601 time: {raw!r}") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(field, f"{raw!r} has no UTC offset; add Z or ±hh:mm")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError as exc:  # year 1 with a positive offset, year 9999 with a negative one
        raise InputError(field, f"{raw!r} is out of range ({EARLIEST:%Y} to {LATEST:%Y})") from exc
    if not EARLIEST <= utc < LATEST:
        raise InputError(field, f"{raw!r} is out of range ({EARLIEST:%Y} to {LATEST:%Y})")
    return utc
