"""The Graph adapter through msgraph-sdk and msal over real HTTPS against the emulator."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from graph.config import GraphSettings
from graph.errors import GraphAuthError, GraphUnavailable
from graph.gateway import GraphGateway
from graph.values import EventDraft
from tests.conftest import with_graph

T = TypeVar("T")
ANA, RAVI, MAYA, SITA = (
    "ana@contoso.example",
    "ravi@contoso.example",
    "maya@contoso.example",
    "sita@contoso.example",
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def draft(transaction_id: str = "tx-1", start: str = "2026-12-03T17:00:00") -> EventDraft:
    begin = utc(start)
    return EventDraft(
        subject="Micro mentoring: test",
        body_html="<p>agenda</p>",
        start=begin,
        end=begin + timedelta(minutes=15),
        zone=ZoneInfo("America/Los_Angeles"),
        attendees=((RAVI, "Ravi Menon"),),
        transaction_id=transaction_id,
        categories=("Micro-mentoring",),
    )


def graph_requests(admin: Any, method: str, fragment: str) -> int:
    log = admin.requests()
    entries = log["requests"] if isinstance(log, dict) else log
    return sum(1 for e in entries if e["method"] == method and fragment in e["path"])


def test_get_schedule_pacific_mentor_and_india_mentee(graph_settings: GraphSettings) -> None:
    # Seed (hand-converted to UTC):
    #   Ana (PST, UTC-8): stand-up Mon/Wed/Fri 09:00-09:15 -> 17:00-17:15Z on 11-30, 12-02, 12-04;
    #     Focus time Tue 12-01 08:00-10:00 -> 16:00-18:00Z; Micro-mentoring Wed 12-02 07:30-07:45 -> 15:30-15:45Z
    #   Ravi (IST, UTC+5:30): tentative Tue 12-01 18:00-19:00 -> 12:30-13:30Z
    async def body(g: GraphGateway) -> Any:
        return await g.get_schedules(ANA, [ANA, RAVI], utc("2026-11-30T00:00:00"), utc("2026-12-05T00:00:00"), 15)

    schedules = with_graph(graph_settings, body)
    ana = sorted((i.start, i.end, i.show_as) for i in schedules[ANA].items)
    assert (utc("2026-12-01T16:00:00"), utc("2026-12-01T18:00:00"), "busy") in ana
    stand_ups = [(s, e) for s, e, _ in ana if (e - s) == timedelta(minutes=15) and s.hour == 17]
    assert stand_ups == [
        (utc("2026-11-30T17:00:00"), utc("2026-11-30T17:15:00")),
        (utc("2026-12-02T17:00:00"), utc("2026-12-02T17:15:00")),
        (utc("2026-12-04T17:00:00"), utc("2026-12-04T17:15:00")),
    ]
    ravi = [(i.start, i.end, i.show_as) for i in schedules[RAVI].items]
    assert ravi == [(utc("2026-12-01T12:30:00"), utc("2026-12-01T13:30:00"), "tentative")]


def test_mailboxes_map_windows_and_iana_zones(graph_settings: GraphSettings) -> None:
    async def body(g: GraphGateway) -> Any:
        return await g.get_mailboxes([ANA, MAYA, SITA, RAVI, "nobody@contoso.example"])

    boxes = with_graph(graph_settings, body)
    assert "nobody@contoso.example" not in boxes
    july = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert july.astimezone(boxes[ANA].tz).utcoffset() == timedelta(hours=-7)  # PDT
    assert july.astimezone(boxes[MAYA].tz).utcoffset() == timedelta(hours=1)  # BST
    assert july.astimezone(boxes[SITA].tz).utcoffset() == timedelta(hours=5, minutes=45)
    sita_hours = boxes[SITA].working_hours
    assert sita_hours is not None and 6 in sita_hours.days and 4 not in sita_hours.days  # Sun-Thu
    ravi_hours = boxes[RAVI].working_hours
    assert ravi_hours is not None and ravi_hours.start.hour == 10 and ravi_hours.end.hour == 19
    # Working hours come back in their own zone: 10:00 IST on a Monday is 04:30Z.
    assert datetime(2026, 11, 30, 10, 0, tzinfo=ravi_hours.tz).astimezone(UTC) == utc("2026-11-30T04:30:00")


def test_throttled_call_waits_for_retry_after_then_succeeds(graph_settings: GraphSettings, admin: Any) -> None:
    admin.fault(method="POST", path="/getSchedule", status=429, retryAfter=1, times=1)

    async def body(g: GraphGateway) -> Any:
        return await g.get_schedules(ANA, [RAVI], utc("2026-12-01T00:00:00"), utc("2026-12-02T00:00:00"), 30)

    started = time.monotonic()
    schedules = with_graph(graph_settings, body)
    waited = time.monotonic() - started
    assert RAVI in schedules
    assert waited >= 1.0  # Retry-After: 1 was honoured before the second attempt
    assert graph_requests(admin, "POST", "getSchedule") == 2


def test_route_that_stays_down_fails_clearly_after_the_budget(graph_settings: GraphSettings, admin: Any) -> None:
    admin.fault(method="POST", path="/getSchedule", status=503, retryAfter=0)
    settings = replace(graph_settings, max_attempts=3)

    async def body(g: GraphGateway) -> Any:
        return await g.get_schedules(ANA, [RAVI], utc("2026-12-01T00:00:00"), utc("2026-12-02T00:00:00"), 30)

    with pytest.raises(GraphUnavailable) as caught:
        with_graph(settings, body)
    assert "503" in str(caught.value) and "gave up after 3 attempts" in str(caught.value)
    # One retry layer: exactly max_attempts sends, not attempts x the SDK's own retries.
    assert graph_requests(admin, "POST", "getSchedule") == 3


def test_repeated_create_with_one_transaction_id_leaves_one_event(graph_settings: GraphSettings, emulator: Any) -> None:
    async def body(g: GraphGateway) -> Any:
        first = await g.create_event(ANA, draft("tx-same"))
        second = await g.create_event(ANA, draft("tx-same"))
        items = await g.calendar_items(ANA, utc("2026-12-03T00:00:00"), utc("2026-12-04T00:00:00"))
        return first, second, items

    first, second, items = with_graph(graph_settings, body)
    assert first.id == second.id and first.join_url == second.join_url
    assert first.join_url and first.join_url.startswith("https://")
    assert [i.subject for i in items if i.subject.startswith("Micro mentoring")] == ["Micro mentoring: test"]


def test_create_survives_a_connection_dropped_after_the_write(graph_settings: GraphSettings, admin: Any) -> None:
    admin.fault(method="POST", path=r"/users/[^/]+/events$", dropAfterWrite=True, times=1)

    async def body(g: GraphGateway) -> Any:
        created = await g.create_event(ANA, draft("tx-drop", "2026-12-03T18:00:00"))
        items = await g.calendar_items(ANA, utc("2026-12-03T00:00:00"), utc("2026-12-04T00:00:00"))
        mentee = await g.calendar_items(RAVI, utc("2026-12-03T00:00:00"), utc("2026-12-04T00:00:00"))
        return created, items, mentee

    created, items, mentee = with_graph(graph_settings, body)
    mine = [i for i in items if i.subject == "Micro mentoring: test"]
    assert len(mine) == 1 and mine[0].event_id == created.id
    assert len([i for i in mentee if i.subject == "Micro mentoring: test"]) == 1  # attendee copy
    assert graph_requests(admin, "POST", "/events") == 2


def test_cancel_and_get_event(graph_settings: GraphSettings) -> None:
    async def body(g: GraphGateway) -> Any:
        created = await g.create_event(ANA, draft("tx-cancel"))
        fetched = await g.get_event(ANA, created.id)
        await g.cancel_event(ANA, created.id, "sorry")
        after = await g.get_event(ANA, created.id)
        mentee = await g.calendar_items(RAVI, utc("2026-12-03T00:00:00"), utc("2026-12-04T00:00:00"))
        return created, fetched, after, mentee

    _, fetched, after, mentee = with_graph(graph_settings, body)
    assert fetched is not None and fetched.transaction_id == "tx-cancel"
    assert fetched.categories == ("Micro-mentoring",)
    assert fetched.responses.get(RAVI) is not None
    assert after is None or after.is_cancelled
    copies = [i for i in mentee if i.subject.endswith("Micro mentoring: test")]
    assert all(i.is_cancelled for i in copies)


def test_calendar_view_follows_pages_and_expands_recurrence(graph_settings: GraphSettings) -> None:
    async def body(g: GraphGateway) -> Any:
        return await g.calendar_items(ANA, utc("2026-11-30T00:00:00"), utc("2027-03-01T00:00:00"))

    items = with_graph(graph_settings, body)
    stand_ups = [i for i in items if i.subject == "Team stand-up"]
    # Mon/Wed/Fri from 2026-11-30 up to 2027-02-26: 13 weeks x 3 = 39 occurrences (more than one page of 10)
    assert len(stand_ups) == 39
    # 09:00 Pacific stays 09:00 local: 17:00Z in winter.
    assert {i.start.hour for i in stand_ups} == {17}


def test_wrong_client_secret_is_a_clear_auth_error(graph_settings: GraphSettings) -> None:
    settings = replace(graph_settings, client_secret="wrong")

    async def body(g: GraphGateway) -> Any:
        return await g.get_user(ANA)

    with pytest.raises(GraphAuthError) as caught:
        with_graph(settings, body)
    assert "invalid_client" in str(caught.value)


def test_expired_token_is_refreshed_once(graph_settings: GraphSettings, admin: Any) -> None:
    admin.post("/config", {"tokenLifetimeSeconds": 1})

    async def body(g: GraphGateway) -> Any:
        first = await g.get_user(ANA)
        await asyncio.sleep(1.5)  # the cached token is now expired at the emulator
        second = await g.get_user(RAVI)
        return first, second

    first, second = with_graph(graph_settings, body)
    assert first.display_name == "Ana Ortiz" and second.office_location == "Bengaluru"
    assert ZoneInfo  # imported for readers: zones above are zoneinfo-backed


def _refuse_the_first_token(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Entra ID's first answer carries a token Graph refuses (as after a revocation), held and handed out
    as any answer of msal's is; the list records each token fetch (True: forced, a refresh)."""
    import msal

    from graph.auth import MsalTokenProvider

    real_acquire, real_msal = MsalTokenProvider._acquire, msal.ConfidentialClientApplication.acquire_token_for_client
    fetches: list[bool] = []
    answers: list[str] = []

    def acquire(self: MsalTokenProvider, force_refresh: bool) -> str:
        fetches.append(force_refresh)
        return real_acquire(self, force_refresh)

    def first_one_refused(app: msal.ConfidentialClientApplication, *args: Any, **kwargs: Any) -> Any:
        result = real_msal(app, *args, **kwargs)
        answers.append(str(result.get("access_token")))
        if len(answers) == 1:
            result = {**result, "access_token": answers[0][:-4] + "AAAA"}
        return result

    monkeypatch.setattr(MsalTokenProvider, "_acquire", acquire)
    monkeypatch.setattr(msal.ConfidentialClientApplication, "acquire_token_for_client", first_one_refused)
    return fetches


def test_a_refused_token_is_replaced_and_the_call_sent_again(
    graph_settings: GraphSettings, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first token handed out is one Graph refuses; the call must refresh it once and go through with
    # the new one.
    handed = _refuse_the_first_token(monkeypatch)

    async def body(g: GraphGateway) -> Any:
        return await g.get_schedules(ANA, [RAVI], utc("2026-12-01T00:00:00"), utc("2026-12-02T00:00:00"), 30)

    schedules = with_graph(graph_settings, body)
    assert RAVI in schedules
    assert handed[:2] == [False, True] and handed.count(True) == 1  # one forced refresh
    statuses = [e["status"] for e in admin.requests()["requests"] if "getSchedule" in e["path"]]
    assert statuses == [401, 200]


def test_requests_refused_at_once_share_one_token_refresh(
    graph_settings: GraphSettings, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Four requests sent at once with a token Graph refuses all answer 401: one new token serves them all,
    # as one fetch serves requests sent at once. Each refresh dropped msal's client and asked Entra ID
    # again (four refreshes and a fetch), and a refresh dropped the token the one before had just got.
    handed = _refuse_the_first_token(monkeypatch)

    async def body(g: GraphGateway) -> Any:
        return await asyncio.gather(*(g.get_user(u) for u in (ANA, MAYA, RAVI, SITA)))

    users = with_graph(graph_settings, body)
    assert [u.upn for u in users] == [ANA, MAYA, RAVI, SITA]
    statuses = sorted(e["status"] for e in admin.requests()["requests"] if e["path"].startswith("/users/"))
    assert statuses == [200] * 4 + [401] * 4
    assert handed == [False, True]  # one token, refused; one refresh for the four


def test_requests_sent_at_once_share_one_token_fetch_and_later_ones_none(
    graph_settings: GraphSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cold slot search sends six requests at once: one token request for all of them, not six; and a
    # held token is handed out without asking msal (behind a worker thread) on every request.
    from graph.auth import MsalTokenProvider

    real = MsalTokenProvider._acquire
    fetches: list[bool] = []

    def counted(self: MsalTokenProvider, force_refresh: bool) -> str:
        fetches.append(force_refresh)
        return real(self, force_refresh)

    monkeypatch.setattr(MsalTokenProvider, "_acquire", counted)

    async def body(g: GraphGateway) -> Any:
        first = await asyncio.gather(*(g.get_user(u) for u in (ANA, MAYA, RAVI, SITA)))
        await g.get_mailboxes([ANA, MAYA])
        return first

    users = with_graph(graph_settings, body)
    assert [u.upn for u in users] == [ANA, MAYA, RAVI, SITA]
    assert fetches == [False]


def test_mailbox_settings_are_read_again_once_the_cache_lifetime_has_passed(
    graph_settings: GraphSettings, admin: Any
) -> None:
    # A host lives for days: someone who changes their working hours or language must not wait for a
    # restart. Within the lifetime the cache answers; after it, Graph is asked again.
    now = [1000.0]
    settings = replace(graph_settings, mailbox_cache_seconds=600)

    async def main() -> list[int]:
        gateway = GraphGateway(settings, clock=lambda: now[0])
        counts = []
        try:
            for advance in (0.0, 599.0, 2.0):
                now[0] += advance
                before = graph_requests(admin, "GET", "/mailboxSettings")
                boxes = await gateway.get_mailboxes([ANA, MAYA])
                assert set(boxes) == {ANA, MAYA}
                counts.append(graph_requests(admin, "GET", "/mailboxSettings") - before)
        finally:
            await gateway.aclose()
        return counts

    assert asyncio.run(main()) == [2, 0, 2]
