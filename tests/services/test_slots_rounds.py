"""A slot search in one round of Graph requests, and what it does when getSchedule is less helpful:
working hours written as a customTimeZone or left out (emulator/freebusy.py), a mentee whose mail is not
their UPN, people unknown or without a mailbox."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import NotFound
from graph.config import GraphSettings
from graph.errors import GraphError, GraphRequestError, GraphUnavailable
from graph.gateway import GraphGateway
from policies import parse_policy
from services.slots import SlotAnswer, SlotQuery, gather_attendees, search_slots
from tests.conftest import with_graph

MAYA, RAVI, SITA, LEO = "maya@contoso.example", "ravi@contoso.example", "sita@contoso.example", "leo@contoso.example"
KIM_UPN, KIM_MAIL = "kim@contoso.example", "kim.lee@contoso.example"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday
POLICY = parse_policy({})


def routes(admin: Any) -> Counter[str]:
    """Graph requests since the last reset, by route; `$batch` items marked."""
    log = admin.requests()
    return Counter(f"{e['route']}{' (in $batch)' if e.get('batch') else ''}" for e in log["requests"])


def reset(admin: Any) -> None:
    admin.post("/requests/reset", {})


def starts(answer: SlotAnswer) -> list[datetime]:
    return [slot.start for slot in answer.slots]


async def searches(
    settings: GraphSettings, mentees: tuple[str, ...], admin: Any
) -> list[tuple[Any, Counter[str], int]]:
    """A search on a fresh gateway whose token is held (cold), then the same again (warm), each with the
    requests it made and the most Outlook requests the emulator saw at once."""
    graph = GraphGateway(settings)
    try:
        await graph.token()
        found = []
        for _ in range(2):
            reset(admin)  # the request log and the concurrency peaks
            answer = await search_slots(graph, POLICY, SlotQuery(mentor=MAYA, mentees=mentees, now=NOW))
            found.append((answer, routes(admin), max(admin.get("/concurrency")["peak"].values(), default=0)))
        return found
    finally:
        await graph.aclose()


EXTRA = tuple(f"mentee{n}@contoso.example" for n in range(1, 4))


@pytest.mark.parametrize("mentees", [(RAVI,), (RAVI, SITA), (RAVI, SITA, *EXTRA)])
def test_a_cold_search_sends_everything_at_once_within_the_apps_four(
    graph_settings: GraphSettings, admin: Any, mentees: tuple[str, ...]
) -> None:
    for upn in EXTRA:
        admin.post("/users", {
            "userPrincipalName": upn, "mail": upn, "displayName": upn.split("@")[0],
            "mailboxSettings": {"timeZone": "W. Europe Standard Time"},
        })  # fmt: skip
    admin.post("/config", {"latencyMs": 400})  # long enough that requests sent together overlap
    (cold, cold_routes, peak), (warm, warm_routes, _) = asyncio.run(searches(graph_settings, mentees, admin))
    assert starts(cold) and starts(cold) == starts(warm)
    # The mailbox settings of the mentor and of each mentee (their local day is their mailbox zone),
    # getSchedule for the mentees and the mentor's calendar, plus the directory entries of all: no $batch.
    people = 1 + len(mentees)
    assert cold_routes == Counter({
        "GET /users/{user}/mailboxSettings": people,
        "GET /users/{user}": people,
        "POST /users/{user}/calendar/getSchedule": 1,
        "GET /users/{user}/calendarView": 1,
    })  # fmt: skip
    # Outlook requests: 4 with one mentee, all in flight together (one round); 5 with two and 8 with five,
    # of which the app's lane lets 4 run at once (two waves). Never more than 4.
    assert peak == 4
    assert warm_routes == Counter({"POST /users/{user}/calendar/getSchedule": 1, "GET /users/{user}/calendarView": 1})


def test_working_hours_as_a_custom_time_zone_give_the_same_slots(graph_settings: GraphSettings, admin: Any) -> None:
    (named, _, _), _ = asyncio.run(searches(graph_settings, (RAVI, SITA), admin))
    admin.post("/config", {"freeBusyWorkingHours": "customTimeZone"})

    async def custom() -> tuple[Any, Any]:
        graph = GraphGateway(graph_settings)
        try:
            answer = await search_slots(graph, POLICY, SlotQuery(mentor=MAYA, mentees=(RAVI, SITA), now=NOW))
            _, mentees = await gather_attendees(graph, POLICY.effective(MAYA), MAYA, (RAVI, SITA), NOW)
            return answer, mentees
        finally:
            await graph.aclose()

    answer, (ravi, sita) = asyncio.run(custom())
    assert starts(answer) == starts(named)
    # Ravi works 10:00-19:00 India time (UTC+05:30), Sita in Nepal (UTC+05:45): read from the rules.
    monday = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert monday.astimezone(ravi.tz).utcoffset() == timedelta(hours=5, minutes=30)
    assert monday.astimezone(sita.tz).utcoffset() == timedelta(hours=5, minutes=45)
    assert ravi.working_hours is not None and ravi.working_hours.start.hour == 10


def test_working_hours_left_out_of_getschedule_change_nothing(graph_settings: GraphSettings, admin: Any) -> None:
    (named, _, _), _ = asyncio.run(searches(graph_settings, (RAVI,), admin))
    admin.post("/config", {"freeBusyWorkingHours": "omitted"})
    (cold, cold_routes, _), (warm, warm_routes, _) = asyncio.run(searches(graph_settings, (RAVI,), admin))
    assert starts(cold) == starts(named) == starts(warm)
    assert cold_routes["GET /users/{user}/mailboxSettings"] == 2  # the mentor's and Ravi's, in the one round
    assert warm_routes["GET /users/{user}/mailboxSettings"] == 0  # both cached


def test_a_mentee_whose_mail_is_not_their_upn_is_asked_for_again_by_mail(
    graph_settings: GraphSettings, admin: Any
) -> None:
    admin.post("/users", {
        "userPrincipalName": KIM_UPN,
        "mail": KIM_MAIL,
        "displayName": "Kim Lee",
        "mailboxSettings": {"timeZone": "W. Europe Standard Time"},
    })  # fmt: skip
    (cold, cold_routes, _), (warm, warm_routes, _) = asyncio.run(searches(graph_settings, (KIM_UPN,), admin))
    assert starts(cold) and starts(cold) == starts(warm)
    # getSchedule by the UPN, which Exchange does not resolve, then by the directory's mail; later only by mail.
    assert cold_routes["POST /users/{user}/calendar/getSchedule"] == 2
    assert warm_routes["POST /users/{user}/calendar/getSchedule"] == 1


def search(settings: GraphSettings, mentor: str, mentee: str) -> None:
    """One slot search on a fresh gateway (the errors are what these tests look at)."""
    query = SlotQuery(mentor=mentor, mentees=(mentee,), now=NOW)
    with_graph(settings, lambda graph: search_slots(graph, POLICY, query))


@pytest.mark.parametrize(
    ("mentor", "mentee", "field"),
    [
        (MAYA, "nobody@contoso.example", "mentee"),
        (MAYA, LEO, "mentee"),  # in the directory, no Exchange mailbox: no free/busy
        ("nobody@contoso.example", RAVI, "mentor"),
    ],
)
def test_unknown_people_and_people_without_a_mailbox_are_named(
    graph_settings: GraphSettings, mentor: str, mentee: str, field: str
) -> None:
    with pytest.raises(NotFound) as raised:
        search(graph_settings, mentor, mentee)
    assert raised.value.field == field


def test_working_hours_in_a_zone_no_table_knows_are_read_with_the_mailbox_zone(
    graph_settings: GraphSettings, admin: Any
) -> None:
    # Real mailboxes carry "tzone://Microsoft/Custom" (graph/mapping.py): the hours are read in the
    # mailbox zone, from the mailbox settings the search reads anyway.
    admin.post("/users", {
        "userPrincipalName": "noor@contoso.example",
        "mail": "noor@contoso.example",
        "displayName": "Noor",
        "mailboxSettings": {
            "timeZone": "India Standard Time",
            "workingHours": {"daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                             "startTime": "10:00:00.0000000", "endTime": "18:00:00.0000000",
                             "timeZone": {"name": "tzone://Microsoft/Custom"}},
        },
    })  # fmt: skip

    async def gather() -> tuple[Any, Counter[str]]:
        graph = GraphGateway(graph_settings)
        try:
            await graph.token()
            reset(admin)
            _, (noor,) = await gather_attendees(graph, POLICY.effective(MAYA), MAYA, ("noor@contoso.example",), NOW)
            return noor, routes(admin)
        finally:
            await graph.aclose()

    noor, used = asyncio.run(gather())
    assert used["GET /users/{user}/mailboxSettings"] == 2  # the mentor's and Noor's
    monday = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert monday.astimezone(noor.tz).utcoffset() == timedelta(hours=5, minutes=30)
    hours = noor.working_hours
    assert hours is not None and hours.start.hour == 10
    # 10:00 India time on a Monday is 04:30Z: the hours are read in the mailbox zone, not in UTC.
    assert datetime(2026, 11, 30, 10, 0, tzinfo=hours.tz).astimezone(UTC) == datetime(2026, 11, 30, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "raised"),
    [("ErrorMailboxStoreUnavailable", GraphUnavailable), ("ErrorNoFreeBusyAccess", GraphRequestError)],
)
def test_a_free_busy_error_other_than_not_found_is_a_graph_error_naming_the_mentee(
    graph_settings: GraphSettings, admin: Any, code: str, raised: type[Exception]
) -> None:
    # resources/freebusyerror.md: a per-schedule error carries Exchange's responseCode. Only 5009 (address
    # not resolved) means "no such mentee"; a store that is down is Graph's failure (retryable), not a 404.
    admin.post("/config", {"freeBusyErrors": {RAVI: {"responseCode": code, "message": "Mailbox store down."}}})

    with pytest.raises(raised) as caught:
        search(graph_settings, MAYA, RAVI)
    assert type(caught.value) is raised
    assert isinstance(caught.value, GraphError) and caught.value.code == code
    assert RAVI in str(caught.value) and code in str(caught.value)


def test_a_5009_free_busy_error_is_a_404_naming_the_mentee(graph_settings: GraphSettings, admin: Any) -> None:
    message = f"Unable to resolve e-mail address {RAVI} to an Active Directory object."
    admin.post("/config", {"freeBusyErrors": {RAVI: {"responseCode": "5009", "message": message}}})

    with pytest.raises(NotFound) as caught:
        search(graph_settings, MAYA, RAVI)
    assert caught.value.field == "mentee" and RAVI in str(caught.value)


def test_schedule_information_is_matched_by_schedule_id_then_by_position() -> None:
    from graph.calendar import _whose

    asked = ["ravi@contoso.example", "sita@contoso.example"]
    by_address = {"ravi.k@contoso.example": "ravi@contoso.example", "sita@contoso.example": "sita@contoso.example"}
    # By scheduleId, whatever its case and order.
    assert _whose({"scheduleId": "SITA@Contoso.Example"}, 0, asked, by_address) == "sita@contoso.example"
    assert _whose({"scheduleId": "Ravi.K@contoso.example"}, 1, asked, by_address) == "ravi@contoso.example"
    # An id that is none of the addresses asked (Graph answers one item per address, in order): by position.
    assert _whose({"scheduleId": "x500:/o=ExchangeLabs/cn=ravi"}, 0, asked, by_address) == "ravi@contoso.example"
    assert _whose({}, 1, asked, by_address) == "sita@contoso.example"
