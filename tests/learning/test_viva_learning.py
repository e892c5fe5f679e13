"""Viva Learning course activities through the real adapter (msgraph-sdk) against the emulator's
employee-experience learning routes, which follow the v1.0 pages (emulator/routes_learning.py)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from core.model import Participant, Session, SessionState
from core.viva import VivaRecord, viva_records
from core.xapi import XapiConfig, statement_id
from emulator.identity import DEFAULT_APP_ROLES
from graph.config import GraphSettings
from graph.gateway import GraphGateway
from graph.learning import VivaLearning
from learning.errors import DeliveryError
from services.learning import deliver_learning_records, enqueue_learning_records, learning_health
from store.learning_outbox import SqliteOutbox
from store.sqlite import SqliteStore
from tests.conftest import Admin

T = TypeVar("T")
ANA, RAVI, MAYA = (f"8b7a2c2e-000{n}-4b0e-9e8e-00000000000{n}" for n in (1, 2, 3))
VIVA_ROLES = ["LearningContent.ReadWrite.All", "LearningSelfInitiatedCourse.ReadWrite.All"]
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
CONTENT_URL = "https://mm.example.com/xapi"


def grant(admin: Admin, roles: list[str]) -> None:
    admin.client.put(f"{admin.url}/apps/micromentor-local/roles", json={"roles": roles}).raise_for_status()


def provider(admin: Admin, *, enabled: bool = True) -> str:
    made = admin.post("/learningProviders", {"displayName": "micromentor", "isCourseActivitySyncEnabled": enabled})
    return str(made["id"])


def learning(admin: Admin) -> list[dict[str, Any]]:
    return list(admin.get("/learningProviders")["value"])


def with_viva(settings: GraphSettings, provider_id: str, body: Callable[[VivaLearning], Awaitable[T]]) -> T:
    async def main() -> T:
        graph = GraphGateway(settings)
        try:
            return await body(VivaLearning(graph, provider_id, CONTENT_URL))
        finally:
            await graph.aclose()

    return asyncio.run(main())


def record(mentee: str = ANA, address: str = "ana@contoso.example", session_id: str = "s-1") -> VivaRecord:
    return VivaRecord(
        external_course_activity_id=statement_id(session_id, address),
        content_external_id="micro-mentoring-excel",
        content_title="micro mentoring: Excel",
        learner_user_id=mentee,
        started="2026-11-20T10:00:00Z",
        completed="2026-11-20T10:30:00Z",
    )


def test_viva_records_only_for_mentees_with_a_directory_id() -> None:
    session = Session(
        "s-1", "maya@contoso.example", ("ana@contoso.example", "guest@fabrikam.example"), START,
        START + timedelta(minutes=30), "How?", START, SessionState.COMPLETED, topic="Excel",
        people=(Participant("ana@contoso.example", ANA),),
    )  # fmt: skip
    [only] = viva_records(session)
    assert only == record()
    assert viva_records(replace(session, state=SessionState.NO_SHOW)) == []


def test_a_completed_course_activity_is_created_once(admin: Admin, graph_settings: GraphSettings) -> None:
    grant(admin, [*DEFAULT_APP_ROLES, *VIVA_ROLES])
    registration = provider(admin)

    async def twice(viva: VivaLearning) -> list[str]:
        return [await viva.record_course_activity(record()), await viva.record_course_activity(record())]

    assert with_viva(graph_settings, registration, twice) == ["stored", "already stored"]
    [registered] = learning(admin)
    [content] = registered["learningContents"]
    assert (content["externalId"], content["title"], content["contentWebUrl"], content["languageTag"]) == (
        "micro-mentoring-excel", "micro mentoring: Excel", CONTENT_URL, "en-us",
    )  # fmt: skip
    [activity] = registered["learningCourseActivities"]
    assert activity["@odata.type"] == "#microsoft.graph.learningSelfInitiatedCourse"
    assert activity["learnerUserId"] == ANA
    assert activity["learningContentId"] == content["id"]
    assert activity["status"] == "completed"
    assert activity["completionPercentage"] == 100
    assert activity["externalcourseActivityId"] == statement_id("s-1", "ana@contoso.example")  # msgraph-sdk's spelling
    assert activity["completedDateTime"].startswith("2026-11-20T10:30:00")
    assert activity["learningProviderId"] == registration


def test_without_the_learning_roles_graph_refuses_and_it_is_retried(
    admin: Admin, graph_settings: GraphSettings
) -> None:
    registration = provider(admin)  # the default app holds none of the Viva Learning roles

    async def once(viva: VivaLearning) -> str:
        return await viva.record_course_activity(record())

    with pytest.raises(DeliveryError) as caught:
        with_viva(graph_settings, registration, once)
    assert caught.value.status == 403 and not caught.value.permanent
    assert learning(admin)[0]["learningCourseActivities"] == []


@pytest.mark.parametrize(
    ("enabled", "registration", "expected"),
    [
        (False, None, "This provider isn't enabled for the given tenant."),
        (True, "00000000-0000-0000-0000-000000000000", "Make sure the registrationId you entered is valid"),
    ],
)
def test_a_provider_not_enabled_or_unknown_is_refused(
    admin: Admin, graph_settings: GraphSettings, enabled: bool, registration: str | None, expected: str
) -> None:
    grant(admin, [*DEFAULT_APP_ROLES, *VIVA_ROLES])
    made = provider(admin, enabled=enabled)

    async def once(viva: VivaLearning) -> str:
        return await viva.record_course_activity(record())

    with pytest.raises(DeliveryError) as caught:
        with_viva(graph_settings, registration or made, once)
    assert caught.value.status == 400
    assert expected in str(caught.value)


def _raw(emulator: Any, settings: GraphSettings, roles: list[str], admin: Admin) -> httpx.Client:
    grant(admin, roles)

    async def token() -> str:
        graph = GraphGateway(settings)
        try:
            return await graph.token()
        finally:
            await graph.aclose()

    return httpx.Client(
        base_url=settings.graph_url,
        headers={"Authorization": f"Bearer {asyncio.run(token())}"},
        verify=ssl.create_default_context(cafile=emulator.ca_cert_path),
        trust_env=False,
    )


def test_the_emulator_validates_course_activities_as_the_pages_say(
    emulator: Any, admin: Admin, graph_settings: GraphSettings
) -> None:
    registration = provider(admin)
    base = f"/employeeExperience/learningProviders/{registration}"
    content = {"title": "micro mentoring: Excel", "contentWebUrl": CONTENT_URL, "languageTag": "en-us"}
    activity = {
        "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
        "externalCourseActivityId": "ext-1",
        "learnerUserId": RAVI,
        "status": "completed",
    }
    with _raw(
        emulator, graph_settings, ["LearningContent.ReadWrite.All", "LearningAssignedCourse.ReadWrite.All"], admin
    ) as graph:
        upserted = graph.patch(f"{base}/learningContents(externalId='excel')", json=content)
        assert upserted.status_code == 202
        content_id = upserted.json()["id"]
        again = graph.patch(f"{base}/learningContents(externalId='excel')", json={**content, "title": "Excel 2"})
        assert (again.status_code, again.json()["id"], again.json()["title"]) == (202, content_id, "Excel 2")
        missing_title = graph.patch(f"{base}/learningContents(externalId='x')", json={**content, "title": ""})
        assert missing_title.status_code == 400 and "'title'" in missing_title.json()["error"]["message"]
        # A self-initiated course needs its own role; the assigned-course role is not enough.
        denied = graph.post(f"{base}/learningCourseActivities", json={**activity, "learningContentId": content_id})
        assert (denied.status_code, denied.json()["error"]["code"]) == (403, "Forbidden")
    with _raw(emulator, graph_settings, ["LearningSelfInitiatedCourse.ReadWrite.All"], admin) as graph:
        no_content_role = graph.patch(f"{base}/learningContents(externalId='excel')", json=content)
        assert no_content_role.status_code == 403
        unknown_content = graph.post(f"{base}/learningCourseActivities", json={**activity, "learningContentId": "nope"})
        assert unknown_content.status_code == 404
        for broken in ({"status": "done"}, {"completionPercentage": 101}, {"learnerUserId": ""}, {"@odata.type": None}):
            answer = graph.post(
                f"{base}/learningCourseActivities", json={**activity, "learningContentId": content_id, **broken}
            )
            assert answer.status_code == 400, broken
        unknown_learner = graph.post(
            f"{base}/learningCourseActivities", json={**activity, "learningContentId": content_id, "learnerUserId": "x"}
        )
        assert unknown_learner.status_code == 400
        made = graph.post(f"{base}/learningCourseActivities", json={**activity, "learningContentId": content_id})
        assert made.status_code == 201 and made.json()["id"].startswith(RAVI + ":")
        duplicate = graph.post(f"{base}/learningCourseActivities", json={**activity, "learningContentId": content_id})
        assert duplicate.status_code == 409
        # Only the documented key (learningcourseactivity-get.md, quoted since docs-contrib PR #9411) finds it;
        # a bare value, msgraph-sdk's externalcourseActivityId spelling or another key name is a bad request.
        found = graph.get(f"{base}/learningCourseActivities(externalCourseActivityId='ext-1')")
        assert (found.status_code, found.json()["id"]) == (200, made.json()["id"])
        for key in ("externalCourseActivityId=ext-1", "externalcourseActivityId='ext-1'", "courseId='ext-1'"):
            refused = graph.get(f"{base}/learningCourseActivities({key})")
            assert (refused.status_code, refused.json()["error"]["code"]) == (400, "BadRequest"), key
            assert key in refused.json()["error"]["message"]
        assert graph.get(f"{base}/learningCourseActivities(externalCourseActivityId='ext-2')").status_code == 404
    with _raw(emulator, graph_settings, DEFAULT_APP_ROLES, admin) as graph:
        assert graph.get(f"{base}/learningCourseActivities(externalCourseActivityId='ext-1')").status_code == 403


def test_completed_sessions_reach_viva_once_through_the_outbox(
    admin: Admin, graph_settings: GraphSettings, tmp_path: Path
) -> None:
    grant(admin, [*DEFAULT_APP_ROLES, *VIVA_ROLES])
    registration = provider(admin)
    store = SqliteStore(tmp_path / "store.db")
    people = (Participant("ana@contoso.example", ANA), Participant("ravi@contoso.example", RAVI))
    store.add_session(
        Session("s-1", "maya@contoso.example", ("ana@contoso.example", "ravi@contoso.example"), START,
                START + timedelta(minutes=30), "How?", START, SessionState.COMPLETED, topic="Excel", people=people)
    )  # fmt: skip
    outbox = SqliteOutbox(store)
    now = START + timedelta(days=1)
    xapi = XapiConfig(CONTENT_URL)
    assert enqueue_learning_records(store, outbox, xapi, now, lrs=False, viva=True) == 2
    assert enqueue_learning_records(store, outbox, xapi, now, lrs=False, viva=True) == 0

    async def deliver(viva: VivaLearning) -> tuple[int, int]:
        first = await deliver_learning_records(outbox, now, viva=viva)
        # A crash after Graph created the activities but before the outbox noted it: sent again.
        await asyncio.to_thread(_forget_sent, store)
        second = await deliver_learning_records(outbox, now, viva=viva)
        return first.sent, second.sent

    assert with_viva(graph_settings, registration, deliver) == (2, 2)
    [registered] = learning(admin)
    assert sorted(a["learnerUserId"] for a in registered["learningCourseActivities"]) == sorted([ANA, RAVI])
    assert len(registered["learningContents"]) == 1
    items = [outbox.get(f"viva:{statement_id('s-1', a)}") for a in ("ana@contoso.example", "ravi@contoso.example")]
    assert [i.outcome if i else None for i in items] == ["already stored"] * 2  # the second pass found them
    assert learning_health(outbox)["sent"] == 2
    store.close()


def _forget_sent(store: SqliteStore) -> None:
    with store._transaction() as conn:
        conn.execute('UPDATE learning_outbox SET "state" = \'pending\', "sent_at" = NULL')
