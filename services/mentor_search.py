"""Find a mentor by skill in the mentor catalogue (services.requests: `MICROMENTOR_MENTORS_FILE`), as the
task pane's search-as-you-type asks: a few letters of a skill match every skill that contains them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from core.errors import InputError
from core.text import check_text
from graph.errors import GraphNotFound
from graph.gateway import GraphGateway
from policies import TenantPolicy
from services.requests import MentorCatalogue

__all__ = ["MAX_QUERY", "MAX_RESULTS", "MentorMatch", "match_to_json", "search_mentors"]

MAX_QUERY = 60
MAX_RESULTS = 10


@dataclass(frozen=True, slots=True)
class MentorMatch:
    upn: str
    display_name: str
    skills: tuple[str, ...]  # every skill the catalogue lists, the matching ones first
    allowed_minutes: tuple[int, ...]  # the session lengths the mentor's effective policy allows


async def search_mentors(
    graph: GraphGateway,
    catalogue: MentorCatalogue,
    tenant_policy: TenantPolicy,
    text: str,
    *,
    exclude: str = "",
    limit: int = MAX_RESULTS,
) -> list[MentorMatch]:
    """Mentors with a skill containing `text` (case- and space-insensitive), by name; not `exclude`
    (the caller: nobody mentors themselves); mentors gone from the directory are left out.

    Search as you type asks on every keystroke: the matches are capped at `limit` (by UPN) before any
    Graph call, and names are read through the gateway's directory cache (`graph.directory`, bounded
    lifetime), so a keystroke costs at most `limit` user reads, and none once they are cached."""
    wanted = " ".join(check_text("skill", text).split()).casefold()
    if not wanted:
        raise InputError("skill", "type a few letters of a skill")
    if len(wanted) > MAX_QUERY:
        raise InputError("skill", f"at most {MAX_QUERY} characters")
    found = sorted(
        (m.upn, tuple(sorted(m.skills, key=lambda s: (wanted not in s, s))))
        for m in catalogue.mentors
        if m.upn != exclude.lower() and any(wanted in skill for skill in m.skills)
    )[:limit]

    async def named(upn: str, skills: tuple[str, ...]) -> MentorMatch | None:
        try:
            user = await graph.get_user(upn)
        except GraphNotFound:
            return None
        allowed = tenant_policy.effective(upn).allowed_session_minutes
        return MentorMatch(upn, user.display_name or upn, skills, tuple(sorted(allowed)))

    matches = [m for m in await asyncio.gather(*(named(u, s) for u, s in found)) if m is not None]
    return sorted(matches, key=lambda m: (m.display_name.casefold(), m.upn))


def match_to_json(match: MentorMatch) -> dict[str, Any]:
    return {
        "upn": match.upn,
        "displayName": match.display_name,
        "skills": list(match.skills),
        "allowedMinutes": list(match.allowed_minutes),
    }
