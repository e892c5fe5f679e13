"""xAPI (Experience API 1.0.3) statements for completed sessions: one per mentee, built from the session alone.

Pure: no clock, no I/O. The statement id is a UUID derived (uuid5) from the session id and the mentee, so
building it again gives the same id, and an LRS that already holds it answers a resend without storing a
second copy (xAPI 1.0.3, Data 2.4.1 and Communication 2.1.1: PUT with an existing id is a no-op or a 409).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from core.attendance import participants_of
from core.errors import InputError
from core.model import Participant, Session, SessionState
from core.timefmt import iso_z

__all__ = [
    "ACTIVITY_TYPE",
    "VERB_COMPLETED",
    "XapiConfig",
    "activity_id",
    "completed_statements",
    "iso_duration",
    "statement_id",
]

VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/meeting"  # ADL vocabulary: a gathering of people
# Fixed namespaces: changing either would give every statement a new id and the LRS a second copy.
_STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:micromentor:xapi:statement")
_REGISTRATION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:micromentor:xapi:registration")
ACTIVITY_PREFIX = "micro mentoring: "
GENERAL_SKILL = "general"


@dataclass(frozen=True, slots=True)
class XapiConfig:
    """`activity_base`: the IRI every activity, and the session-id extension, sit under (http/https).
    `account_home_page`: the system people's object ids belong to (for Entra ID,
    https://login.microsoftonline.com/<tenant id>); None: actors are identified by mailbox only."""

    activity_base: str
    account_home_page: str | None = None
    language: str = "en-US"

    def __post_init__(self) -> None:
        for field, value in (("activity_base", self.activity_base), ("account_home_page", self.account_home_page)):
            if value is not None and not value.lower().startswith(("https://", "http://")):
                raise InputError(field, f"expected an http(s) IRI, got {value!r}")

    @property
    def base(self) -> str:
        return self.activity_base.rstrip("/")

    @property
    def session_extension(self) -> str:
        return f"{self.base}/extensions/session-id"


def statement_id(session_id: str, mentee: str) -> str:
    """Stable per session and mentee (case-folded address): the same statement on every resend."""
    return str(uuid.uuid5(_STATEMENT_NAMESPACE, f"{session_id}\n{mentee.strip().casefold()}"))


def activity_id(config: XapiConfig, skill: str) -> str:
    """One activity per skill: the case-folded skill, percent-encoded, under the configured base."""
    return f"{config.base}/micro-mentoring/{quote(skill.strip().casefold(), safe='')}"


def iso_duration(length: timedelta) -> str:
    """An ISO 8601 duration in whole seconds, e.g. PT30M, PT1H5M, PT0S."""
    seconds = max(0, int(length.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    return "PT" + (text or "0S")


def _agent(person: Participant, config: XapiConfig) -> dict[str, Any]:
    # Exactly one inverse functional identifier (Data 2.4.2.1): the directory account when known.
    if person.object_id and config.account_home_page:
        return {"objectType": "Agent", "account": {"homePage": config.account_home_page, "name": person.object_id}}
    return {"objectType": "Agent", "mbox": "mailto:" + person.address.strip().lower()}


def completed_statements(session: Session, config: XapiConfig, skill: str | None = None) -> list[dict[str, Any]]:
    """One `completed` statement per mentee of a completed session; none for any other state.

    `skill` is the request's skill when the session came from a request; else the session's topic names
    the activity, else "general"."""
    if session.state != SessionState.COMPLETED:
        return []
    name = (skill or session.topic or GENERAL_SKILL).strip() or GENERAL_SKILL
    mentor, *mentees = participants_of(session)
    activity = {
        "objectType": "Activity",
        "id": activity_id(config, name),
        "definition": {"name": {config.language: ACTIVITY_PREFIX + name}, "type": ACTIVITY_TYPE},
    }
    context = {
        "instructor": _agent(mentor, config),
        "registration": str(uuid.uuid5(_REGISTRATION_NAMESPACE, session.id)),
        "platform": "micromentor",
        "language": config.language,
        "extensions": {config.session_extension: session.id},
    }
    return [
        {
            "id": statement_id(session.id, mentee.address),
            "actor": _agent(mentee, config),
            "verb": {"id": VERB_COMPLETED, "display": {config.language: "completed"}},
            "object": activity,
            "result": {"completion": True, "duration": iso_duration(session.end - session.start)},
            "context": context,
            "timestamp": iso_z(session.end),
        }
        for mentee in mentees
    ]
