"""The demo's onboarding cohort (docs/onboarding.md): on the tour's first morning an admin onboards the list of
next week's four joiners (`services.onboarding`, the path of `micromentor onboard`): three of the
organisation's mentees and one new starter whose account is not in the directory yet, who is reported, not
placed. Their first two weeks start next Monday, so the cohort's sessions land in the tour's second week
(beyond a one-week tour) and leave the first week's story as it was. The cohort's meetings take place like
the tour's others: their attendance reports are posted to the emulator, and the daily sync settles them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from core.timefmt import iso_z
from graph.gateway import GraphGateway
from micromentor.demo_org import DemoOrg
from policies import TenantPolicy
from services.joiners import parse_joiners_csv
from services.onboarding import OnboardingResult, onboard_cohort
from services.requests import parse_catalogue
from store.base import Store

__all__ = ["JOINERS", "cohort_line", "onboard_demo_cohort"]

JOINERS = 3  # of the organisation's mentees; a fourth joiner is not in the directory yet


def cohort_csv(org: DemoOrg, now: datetime) -> str:
    """The HR list: the three mentees before the tour's own newcomer, and a new starter without an account,
    all starting on the Monday a week after `now`."""
    picked = org.mentees[-1 - JOINERS : -1]
    domain = picked[0].upn.split("@", 1)[1]
    monday = (now.date() + timedelta(days=7 - now.weekday())).isoformat()
    lines = ["upn,start_date,skills"]
    lines += [f"{p.upn},{monday},{';'.join(p.skills)}" for p in picked]
    lines.append(f"new.starter@{domain},{monday},")
    return "\n".join(lines) + "\n"


async def _attend(admin: httpx.AsyncClient, result: OnboardingResult) -> int:
    """Everyone joins each booked session for its whole length (Teams attendance records)."""
    played = 0
    for joiner in result.joiners:
        for planned in joiner.sessions:
            session = planned.session
            if session is None or not session.join_url:
                continue
            span = {"join": iso_z(session.start), "leave": iso_z(session.end - timedelta(seconds=30))}
            records = [{"upn": upn, "intervals": [span]} for upn in (session.mentor, *session.mentees)]
            body = {"joinUrl": session.join_url, "start": span["join"], "end": span["leave"], "records": records}
            (await admin.post("/meetings/attendance", json=body)).raise_for_status()
            played += 1
    return played


async def onboard_demo_cohort(
    graph: GraphGateway,
    admin: httpx.AsyncClient,
    store: Store,
    policy: TenantPolicy,
    org: DemoOrg,
    *,
    now: datetime,
    public_url: str,
    say: Callable[[str], None],
) -> OnboardingResult:
    began = time.perf_counter()
    joiners = parse_joiners_csv(cohort_csv(org, now), "demo joiners")
    catalogue = parse_catalogue(
        [{"upn": m.upn, "skills": list(m.skills)} for m in org.mentors if m.skills], "demo organisation"
    )
    result = await onboard_cohort(
        graph, store, policy, catalogue, joiners, now=now, public_url=public_url,
        progress=lambda line: say(f"onboarding: {line}"),
    )  # fmt: skip
    seconds = time.perf_counter() - began
    await _attend(admin, result)
    say(f"{cohort_line(result)} in {seconds:.1f} s")
    return result


def cohort_line(result: OnboardingResult) -> str:
    """The demo summary's onboarding line: who was placed, with how many mentors, and who not and why."""
    placed = [j for j in result.joiners if j.placed]
    sessions = sum(len(j.sessions) for j in result.joiners)
    mentors = len({s.mentor for j in result.joiners for s in j.sessions})
    line = (
        f"onboarding: {len(placed)} of {len(result.joiners)} joiners placed, {sessions} flash sessions booked "
        f"with {mentors} mentors"
    )
    return "; ".join([line, *(f"not placed: {j.upn}: {j.reason}" for j in result.unplaced)])
