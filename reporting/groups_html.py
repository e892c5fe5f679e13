"""The report's group sessions section (issue 16): group flash sessions apart from 1:1 sessions, with
seats offered and taken and per-mentee attendance (`groupSessions` of the report's JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reporting.formatting import count, esc

__all__ = ["groups_section"]


def groups_section(doc: Mapping[str, Any]) -> str:
    """ "" when the report has no group session (nor the part at all)."""
    groups = doc.get("groupSessions")
    if not groups or not groups.get("sessions"):
        return ""
    facts = [
        ("Group sessions", count(groups["sessions"])),
        ("1:1 sessions", count(groups["oneToOne"])),
        ("Seats taken of offered", f"{count(groups['seatsTaken'])} of {count(groups['seatsOffered'])}"),
        ("Mentees present / missing (decided sessions)",
         f"{count(groups['menteesAttended'])} / {count(groups['menteesMissed'])}"),
    ]  # fmt: skip
    rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in facts)
    return (
        '<section class="panel" id="groups" aria-labelledby="groups-h"><h2 id="groups-h">Group sessions</h2>'
        '<p class="sub">Group flash sessions (one mentor, several seats) apart from 1:1 sessions, not '
        "cancelled; a group session counts once however many joined</p>"
        f"<table><tbody>{rows}</tbody></table></section>"
    )
