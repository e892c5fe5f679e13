"""Viva Learning records for completed sessions, pure: what a self-initiated course activity and its learning
content say (Graph v1.0, resources/learningselfinitiatedcourse.md and resources/learningcontent.md).

One learning content per skill (its `externalId` is stable, so the provider upserts it), and one
self-initiated course activity per mentee whose directory object id is known: Viva Learning names learners
by user id only (`learnerUserId`, required), so a mentee known only by address gets no Viva record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from core.attendance import participants_of
from core.model import Session, SessionState
from core.timefmt import iso_z
from core.xapi import ACTIVITY_PREFIX, GENERAL_SKILL, statement_id

__all__ = ["VivaRecord", "content_external_id", "viva_records"]


def content_external_id(skill: str) -> str:
    return "micro-mentoring-" + quote(skill.strip().casefold(), safe="")


@dataclass(frozen=True, slots=True)
class VivaRecord:
    """One course activity to create, and the content it refers to (created first if absent)."""

    external_course_activity_id: str  # the xAPI statement id: one stable id per session and mentee
    content_external_id: str
    content_title: str
    learner_user_id: str
    started: str  # ISO 8601 UTC
    completed: str

    def to_json(self) -> dict[str, Any]:
        return {
            "externalCourseActivityId": self.external_course_activity_id,
            "contentExternalId": self.content_external_id,
            "contentTitle": self.content_title,
            "learnerUserId": self.learner_user_id,
            "startedDateTime": self.started,
            "completedDateTime": self.completed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VivaRecord:
        return cls(
            external_course_activity_id=str(data["externalCourseActivityId"]),
            content_external_id=str(data["contentExternalId"]),
            content_title=str(data["contentTitle"]),
            learner_user_id=str(data["learnerUserId"]),
            started=str(data["startedDateTime"]),
            completed=str(data["completedDateTime"]),
        )


def viva_records(session: Session, skill: str | None = None) -> list[VivaRecord]:
    if session.state != SessionState.COMPLETED:
        return []
    name = (skill or session.topic or GENERAL_SKILL).strip() or GENERAL_SKILL
    _, *mentees = participants_of(session)
    return [
        VivaRecord(
            external_course_activity_id=statement_id(session.id, m.address),
            content_external_id=content_external_id(name),
            content_title=ACTIVITY_PREFIX + name,
            learner_user_id=m.object_id,
            started=iso_z(session.start),
            completed=iso_z(session.end),
        )
        for m in mentees
        if m.object_id
    ]
