"""The report's onboarding section (core/onboarding_metrics.py): the cohort `micromentor onboard` booked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reporting.formatting import count, esc

__all__ = ["onboarding_section"]


def onboarding_section(doc: Mapping[str, Any]) -> str:
    """ "" when no onboarding session starts in the period."""
    cohort = doc.get("onboarding")
    if not cohort:
        return ""
    facts = [
        ("Joiners with a session", count(cohort["joiners"])),
        ("Of them with 2 or more", count(cohort["placed"])),
        ("Sessions (held / no-shows)", f"{count(cohort['sessions'])} ({count(cohort['held'])} / "
         f"{count(cohort['noShows'])})"),
        ("Mentors", count(cohort["mentors"])),
        ("Cancelled", count(cohort["cancelled"])),
    ]  # fmt: skip
    rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in facts)
    return (
        '<section class="panel" id="onboarding" aria-labelledby="onboarding-h"><h2 id="onboarding-h">Onboarding</h2>'
        '<p class="sub">Flash sessions booked by <code>micromentor onboard</code> for new joiners, by start in the '
        "period (joiners not placed are in the onboarding run's answer, not here)</p>"
        f"<table><tbody>{rows}</tbody></table></section>"
    )
