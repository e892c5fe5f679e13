"""Viva Learning through Graph's employee-experience learning APIs, with msgraph-sdk's request builders.

A completed session becomes, for each mentee with a directory id, a self-initiated course activity with
status `completed` (api/employeeexperienceuser-post-learningcourseactivities.md), on learning content for
its skill that the provider upserts by external id first (api/learningcontent-update.md). Idempotent: the
activity is looked up by its `externalCourseActivityId` (api/learningcourseactivity-get.md, secondary key)
before it is created, and that id is the session+mentee's stable id; if two workers race past the lookup,
the loser's create is refused with a conflict and counts as done once a second lookup finds the activity.

Application permissions: LearningContent.ReadWrite.All and LearningSelfInitiatedCourse.ReadWrite.All; the
provider must have `isCourseActivitySyncEnabled` set.
"""

from __future__ import annotations

from datetime import datetime

from msgraph.generated.employee_experience.learning_providers.item.learning_provider_item_request_builder import (
    LearningProviderItemRequestBuilder,
)
from msgraph.generated.models.course_status import CourseStatus
from msgraph.generated.models.learning_content import LearningContent
from msgraph.generated.models.learning_self_initiated_course import LearningSelfInitiatedCourse

from core.viva import VivaRecord
from graph.errors import GraphError, GraphNotFound, GraphRequestError
from graph.gateway import GraphGateway
from learning.errors import DeliveryError

__all__ = ["VivaLearning"]

_SELF_INITIATED = "#microsoft.graph.learningSelfInitiatedCourse"


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class VivaLearning:
    """Records course activities for one learning provider (its registration id)."""

    def __init__(self, graph: GraphGateway, provider_id: str, content_url: str, language: str = "en-us") -> None:
        self.graph = graph
        self.provider_id = provider_id
        self.content_url = content_url
        self.language = language
        self._content_ids: dict[str, str] = {}  # content external id → Viva Learning id, for the process

    def _provider(self) -> LearningProviderItemRequestBuilder:
        return self.graph._client.employee_experience.learning_providers.by_learning_provider_id(self.provider_id)

    async def _find_activity(self, external_id: str) -> bool:
        builder = self._provider().learning_course_activities_with_externalcourse_activity_id(external_id)
        info = builder.to_get_request_information()
        # The documented key (api/learningcourseactivity-get.md): externalCourseActivityId='{id}'; msgraph-sdk's
        # template spells it externalcourseActivityId (from the metadata). Only the literal key name changes.
        info.url_template = str(info.url_template).replace(
            "(externalcourseActivityId=", "(externalCourseActivityId=", 1
        )
        try:
            await self.graph._json("GET learningCourseActivities by external id", info)
        except GraphNotFound:
            return False
        return True

    async def _content_id(self, record: VivaRecord) -> str:
        known = self._content_ids.get(record.content_external_id)
        if known is not None:
            return known
        content = LearningContent(
            external_id=record.content_external_id,
            title=record.content_title,
            content_web_url=self.content_url,
            language_tag=self.language,
            format="Course",
            source_name="micromentor",
        )
        builder = self._provider().learning_contents_with_external_id(record.content_external_id)
        answer = await self.graph._json("PATCH learningContents", builder.to_patch_request_information(content))
        content_id = str(answer.get("id") or "")
        if not content_id:
            raise DeliveryError("Viva Learning answered the content upsert without an id")
        self._content_ids[record.content_external_id] = content_id
        return content_id

    async def record_course_activity(self, record: VivaRecord) -> str:
        """Create the completed course activity unless it exists; "stored" or "already stored"."""
        try:
            if await self._find_activity(record.external_course_activity_id):
                return "already stored"
            activity = LearningSelfInitiatedCourse(
                odata_type=_SELF_INITIATED,
                externalcourse_activity_id=record.external_course_activity_id,
                learning_content_id=await self._content_id(record),
                learner_user_id=record.learner_user_id,
                learning_provider_id=self.provider_id,
                started_date_time=_moment(record.started),
                completed_date_time=_moment(record.completed),
                completion_percentage=100,
                status=CourseStatus.Completed,
            )
            info = self._provider().learning_course_activities.to_post_request_information(activity)
            try:
                await self.graph._json("POST learningCourseActivities", info)
            except GraphRequestError as exc:
                if exc.status == 409 and await self._find_activity(record.external_course_activity_id):
                    return "already stored"  # another worker created it between our lookup and create
                raise
        except GraphError as exc:
            # Retried later with backoff: a missing role or a provider not enabled yet is fixed by an admin.
            raise DeliveryError(f"Viva Learning: {exc}", status=exc.status) from exc
        return "stored"
