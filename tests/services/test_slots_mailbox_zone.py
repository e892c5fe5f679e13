"""A mentee's local day is their mailbox time zone, whatever zone their working hours are kept in and
whatever form getSchedule sends them in (first written as review tests of the one-round search)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from graph.config import GraphSettings
from graph.gateway import GraphGateway
from policies import parse_policy
from services.slots import SlotQuery, gather_attendees, search_slots

MAYA = "maya@contoso.example"
POLICY = parse_policy({})
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]


def _add(admin: Any, upn: str, zone: str, hours_zone: str, start: str, end: str) -> None:
    admin.post("/users", {
        "userPrincipalName": upn, "mail": upn, "displayName": upn.split("@")[0],
        "mailboxSettings": {"timeZone": zone, "workingHours": {
            "daysOfWeek": WEEKDAYS, "startTime": start, "endTime": end, "timeZone": {"name": hours_zone}}},
    })  # fmt: skip


async def _run(settings: GraphSettings, mentee: str, now: datetime) -> tuple[Any, Any]:
    graph = GraphGateway(settings)
    try:
        answer = await search_slots(graph, POLICY, SlotQuery(mentor=MAYA, mentees=(mentee,), now=now))
        _, (attendee,) = await gather_attendees(graph, POLICY.effective(MAYA), MAYA, (mentee,), now)
        return answer, attendee
    finally:
        await graph.aclose()


# 1. A travelling mentee: mailbox zone Tokyo (where they are, resources/workinghours.md), working hours kept in
#    their home zone (London). Their "local day" (day_start-day_end) is Tokyo's, as requests.py
#    (_Plan.mentee_tz) and the link mails have it: no slot outside 08:00-18:00 Tokyo time.
def test_a_travelling_mentees_day_is_where_their_mailbox_says_they_are(
    graph_settings: GraphSettings, admin: Any
) -> None:
    _add(
        admin,
        "tomo@contoso.example",
        "Tokyo Standard Time",
        "GMT Standard Time",
        "09:00:00.0000000",
        "17:00:00.0000000",
    )
    now = datetime(2026, 11, 30, tzinfo=UTC)
    answer, tomo = asyncio.run(_run(graph_settings, "tomo@contoso.example", now))
    tokyo = ZoneInfo("Asia/Tokyo")
    late = [s.start.astimezone(tokyo) for s in answer.slots if not 8 <= s.start.astimezone(tokyo).hour < 18]
    assert not late, f"{len(late)} of {len(answer.slots)} slots outside 08:00-18:00 where the mentee is: {late[:3]}"
    assert tomo.tz.utcoffset(now) == timedelta(hours=9), "mentee tz is the working-hours zone, not the mailbox's"
    # Worked by hand: 09:00-17:00 London in winter is 18:00-02:00 Tokyo, outside 08:00-18:00 Tokyo: no slot
    # at all, and the answer says why (with London as the day, 208 slots came back).
    assert answer.slots == () and "no overlap of working hours within day_start-day_end" in answer.search.reasons


# 2. Across DST: getSchedule's customTimeZone form must give the same slots as the named zone.
@pytest.mark.parametrize(
    ("zone", "start", "end", "now"),
    [
        ("W. Europe Standard Time", "09:00:00.0000000", "17:00:00.0000000", datetime(2026, 10, 19, tzinfo=UTC)),
        ("AUS Eastern Standard Time", "09:00:00.0000000", "19:00:00.0000000", datetime(2026, 9, 28, tzinfo=UTC)),
        ("Eastern Standard Time", "06:00:00.0000000", "14:00:00.0000000", datetime(2026, 10, 26, tzinfo=UTC)),
    ],
)
def test_custom_time_zone_form_gives_the_same_slots_across_dst(
    graph_settings: GraphSettings, admin: Any, zone: str, start: str, end: str, now: datetime
) -> None:
    _add(admin, "dst@contoso.example", zone, zone, start, end)
    named, _ = asyncio.run(_run(graph_settings, "dst@contoso.example", now))
    admin.post("/config", {"freeBusyWorkingHours": "customTimeZone"})
    custom, _ = asyncio.run(_run(graph_settings, "dst@contoso.example", now))
    assert [s.start for s in named.slots], "no slots: the scenario tests nothing"
    assert [s.start for s in custom.slots] == [s.start for s in named.slots]


# 3. The invitation body labels each mentee's clock times with their zone. With getSchedule's documented
#    customTimeZone form (api/calendar-getschedule.md, second person) too, the label keeps the zone name
#    ("Asia/Kolkata, UTC+05:30", not only "UTC+05:30"): the zone is the mailbox's.
@pytest.mark.parametrize("form", ["mailbox", "customTimeZone"])
def test_invitation_names_the_mentees_zone_whatever_form_getschedule_sends(
    graph_settings: GraphSettings, admin: Any, form: str
) -> None:
    from core.agenda import AgendaPerson, build_agenda

    admin.post("/config", {"freeBusyWorkingHours": form})
    now = datetime(2026, 11, 30, tzinfo=UTC)

    async def gather() -> Any:
        graph = GraphGateway(graph_settings)
        try:
            return await gather_attendees(graph, POLICY.effective(MAYA), MAYA, ("ravi@contoso.example",), now)
        finally:
            await graph.aclose()

    mentor, (ravi,) = asyncio.run(gather())
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    agenda = build_agenda(
        question="How do I plan a sprint?",
        topic=None,
        start=start,
        end=start + timedelta(minutes=30),
        mentor=AgendaPerson(MAYA, MAYA, mentor.tz),
        mentees=[AgendaPerson(ravi.upn, ravi.upn, ravi.tz)],
        session_url=None,
    )
    import re

    # "(Tue 1 Dec 2026, Asia/Calcutta, UTC+05:30)" in both forms
    assert re.search(
        r"<strong>ravi@contoso.example</strong> \(Tue 1 Dec 2026, Asia/\w+, UTC\+05:30\)", agenda.body_html
    ), [line for line in agenda.body_html.splitlines() if "ravi" in line]
