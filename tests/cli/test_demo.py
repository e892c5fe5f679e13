"""`micromentor demo`: the generated organisation, and one simulated week through the real services.

The organisation is checked on its seed (the Graph shapes the emulator is started from); the run is
checked on what it leaves behind: the store, the HTML report, stdout and stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputError
from core.model import SessionState
from emulator.seed import load_seed
from graph.timezones import zone_from_graph, zone_from_name
from micromentor.demo import DEFAULT_NOW, REPORT_FILE, SEED_FILE, add_demo_arguments, run_demo
from micromentor.demo_org import DemoOrg, build_demo_org, overlap_minutes
from micromentor.demo_outcomes import describe_outcomes
from store.sqlite import SqliteStore

NOW = datetime(2026, 10, 19, tzinfo=UTC)  # the demo's default clock, a Monday
WINTER, SUMMER = datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="micromentor demo")
    add_demo_arguments(parser)
    return parser.parse_args(list(argv))


# --- the organisation ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def org() -> DemoOrg:
    return build_demo_org(NOW, weeks=3)


def offset(moment: datetime, zone: tzinfo) -> timedelta:
    value = moment.astimezone(zone).utcoffset()
    assert value is not None
    return value


def mailbox_zones(seed: dict[str, Any]) -> list[str]:
    return [u["mailboxSettings"]["timeZone"] for u in seed["users"]]


def test_the_organisation_has_about_thirty_people_mentors_marked_by_job_title(org: DemoOrg) -> None:
    titles = [u["jobTitle"] for u in org.seed["users"]]
    assert len(titles) == 30
    assert sum("mentor" in t for t in titles) == 8
    assert len(org.mentors) == 8 and len(org.mentees) == 22
    # Read back from the seed alone, the roles come out the same.
    again = DemoOrg.from_seed(org.seed)
    assert {p.upn for p in again.mentors} == {p.upn for p in org.mentors}


def test_the_zones_include_half_and_quarter_hour_a_southern_dst_zone_the_us_and_the_eu(org: DemoOrg) -> None:
    zones = [zone_from_name(name) for name in mailbox_zones(org.seed)]
    offsets = {offset(NOW, z) for z in zones}
    assert timedelta(hours=5, minutes=30) in offsets  # India
    assert timedelta(hours=5, minutes=45) in offsets  # Nepal
    # Southern hemisphere: summer time in January (Sydney +11:00), standard time in July (+10:00).
    southern = [z for z in zones if offset(WINTER, z) > offset(SUMMER, z)]
    assert {offset(SUMMER, z) for z in southern} == {timedelta(hours=10)}
    keys = {getattr(z, "key", None) for z in zones}
    assert {"America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin"} <= keys
    # Both spellings Graph meets: Windows names as Graph returns them, and IANA names.
    names = set(mailbox_zones(org.seed))
    assert "Pacific Standard Time" in names and "India Standard Time" in names
    assert "Asia/Kathmandu" in names and "Australia/Sydney" in names
    assert len(org.zones()) >= 6


def test_one_person_has_custom_time_zone_working_hours_and_some_work_sunday_to_thursday(org: DemoOrg) -> None:
    hours = [u["mailboxSettings"]["workingHours"] for u in org.seed["users"]]
    custom = [h["timeZone"] for h in hours if "bias" in h["timeZone"]]
    assert len(custom) == 1
    zone = zone_from_graph(custom[0])
    # bias -60 and daylightBias -60: UTC+1 in winter, UTC+2 from the last Sunday of March.
    assert offset(WINTER, zone) == timedelta(hours=1)
    assert offset(SUMMER, zone) == timedelta(hours=2)
    assert any(h["daysOfWeek"][0] == "sunday" for h in hours)


def test_calendars_hold_recurring_stand_ups_free_focus_holds_and_tentative_events(org: DemoOrg) -> None:
    events = [e for u in org.seed["users"] for e in u["events"]]
    assert any(e["subject"] == "Team stand-up" and "recurrence" in e for e in events)
    assert any(e["subject"] in ("Focus time", "Deep work") and e["showAs"] == "free" for e in events)
    assert any(e["showAs"] == "tentative" for e in events)
    departments = {u["department"] for u in org.seed["users"]}
    offices = {u["officeLocation"] for u in org.seed["users"]}
    assert len(departments) >= 4 and len(offices) >= 10


def test_the_seed_is_valid_for_the_emulator_and_deterministic(org: DemoOrg) -> None:
    load_seed(org.seed)  # raises SeedError, naming the field, if a shape is wrong
    assert build_demo_org(NOW, weeks=3).seed == org.seed
    assert build_demo_org(NOW, weeks=3, seed=8).seed != org.seed


def test_overlap_of_london_and_kolkata_grows_when_london_leaves_summer_time(org: DemoOrg) -> None:
    maya, ananya = org.by_upn["maya.lind@fabrikam.example"], org.by_upn["ananya.iyer@fabrikam.example"]
    # Ananya (Kolkata, Mon-Fri 09:00-17:00) is 03:30-11:30Z. Maya works Mon-Thu 08:00-16:30 London time.
    # Week of 19 Oct (BST, UTC+1): Maya is 07:00-15:30Z -> 07:00-11:30Z shared, 270 min x 4 days.
    assert overlap_minutes(maya, ananya, NOW, NOW + timedelta(weeks=1)) == 4 * 270
    # Week of 2 Nov (GMT): Maya is 08:00-16:30Z -> 08:00-11:30Z shared, 210 min x 4 days.
    later = NOW + timedelta(weeks=2)
    assert overlap_minutes(maya, ananya, later, later + timedelta(weeks=1)) == 4 * 210


def test_a_tenant_seed_without_mentors_is_refused() -> None:
    seed = {"tenantId": "t", "users": [{"userPrincipalName": "a@x.example", "jobTitle": "Engineer"}]}
    with pytest.raises(InputError) as caught:
        DemoOrg.from_seed(seed)
    assert caught.value.field == "--tenant"


# --- arguments --------------------------------------------------------------------------------------


def test_defaults_follow_the_spec() -> None:
    args = parse()
    assert args.store == ".micromentor/demo.db" and args.out == ".micromentor"
    assert args.now == DEFAULT_NOW == "2026-10-19T00:00:00Z" and args.weeks == 3 and args.tenant is None


def test_bad_weeks_and_a_foreign_store_are_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        run_demo(parse("--weeks", "0", "--store", str(tmp_path / "d.db"), "--out", str(tmp_path)))
    assert caught.value.field == "--weeks"
    foreign = tmp_path / "mine.db"
    foreign.write_text("my own data", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        run_demo(parse("--store", str(foreign), "--out", str(tmp_path), "--weeks", "1"))
    assert caught.value.field == "--store"
    assert foreign.read_text(encoding="utf-8") == "my own data"


# --- one simulated week -------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str
    store_path: Path
    out_dir: Path


@pytest.fixture(scope="module")
def one_week(tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("demo")
    store_path, out_dir = tmp / "demo.db", tmp / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = run_demo(parse("--weeks", "1", "--store", str(store_path), "--out", str(out_dir)))
    return Run(code, stdout.getvalue(), stderr.getvalue(), store_path, out_dir)


def test_the_week_runs_and_writes_the_html_report_with_charts(one_week: Run) -> None:
    assert one_week.code == 0, one_week.err
    report = one_week.out_dir / REPORT_FILE
    html = report.read_text(encoding="utf-8")
    assert html.count("<svg") >= 3  # completion, wait and load charts
    assert str(report) in one_week.out
    seed = json.loads((one_week.out_dir / SEED_FILE).read_text(encoding="utf-8"))
    assert len(seed["users"]) == 30


def test_the_store_has_sessions_in_several_states_tied_to_requests(one_week: Run) -> None:
    with SqliteStore(one_week.store_path) as store:
        sessions = store.list_sessions()
        requests = store.list_requests()
        marker = store.get_checkpoint("demo")
    states = {s.state for s in sessions}
    assert {SessionState.COMPLETED, SessionState.NO_SHOW, SessionState.CANCELLED} <= states
    reasons = {s.state_reason for s in sessions if s.state == SessionState.CANCELLED}
    # One cancelled in micromentor, one declined by its mentee in Outlook and picked up by sync.
    assert {"cancelled_by_request", "all_mentees_declined"} <= reasons
    # Every session but the programme patterns' (series and group sessions, not asked for) carries its ask;
    # the onboarding cohort's carry `onboard:{upn}` (no stored request).
    asked = [
        s
        for s in sessions
        if s.series_id is None and s.seats is None and not (s.request_id or "").startswith("onboard:")
    ]
    assert asked and all(s.request_id in {r.id for r in requests} for s in asked)
    assert all(NOW <= r.created_at < NOW + timedelta(weeks=1) for r in requests)
    assert marker == "micromentor demo"


def test_both_booking_paths_are_used_and_the_new_joiner_gets_three_mentors(one_week: Run) -> None:
    with SqliteStore(one_week.store_path) as store:
        requests = store.list_requests()
        sessions = store.list_sessions()
    # Asks that picked a ranked slot are recorded by the demo under its own ids; the others went through
    # the request service (services.requests), which names its requests itself.
    assert any(r.id.startswith("req-w1-") for r in requests)
    assert any(not r.id.startswith("req-w1-") for r in requests)
    [onboarding] = [r for r in requests if r.skill == "onboarding"]
    assert onboarding.sessions_wanted == 3
    first_three = sorted((s for s in sessions if s.request_id == onboarding.id), key=lambda s: s.created_at)[:3]
    assert len({s.mentor for s in first_three}) == 3


def test_the_onboarding_cohort_is_placed_and_the_new_starter_without_an_account_is_reported(one_week: Run) -> None:
    with SqliteStore(one_week.store_path) as store:
        cohort = [s for s in store.list_sessions() if (s.request_id or "").startswith("onboard:")]
    by_joiner: dict[str, list[str]] = {}
    for s in cohort:
        by_joiner.setdefault(s.request_id or "", []).append(s.mentor)
    assert len(by_joiner) == 3
    assert all(2 <= len(mentors) == len(set(mentors)) <= 3 for mentors in by_joiner.values())
    # Next week's joiners (from Monday 26 Oct): their first two weeks, within the 14-day horizon.
    assert all(NOW + timedelta(weeks=1) <= s.start < NOW + timedelta(weeks=2) for s in cohort)
    assert "demo: onboarding: 3 of 4 joiners placed" in one_week.err
    assert "not placed: new.starter@fabrikam.example: unknown user: not in the directory" in one_week.err
    # The summary (stdout) says the same, with the sessions and mentors the store holds.
    [line] = [line for line in one_week.out.splitlines() if line.startswith("onboarding:")]
    mentors = {m for ms in by_joiner.values() for m in ms}
    assert line == (
        f"onboarding: 3 of 4 joiners placed, {len(cohort)} flash sessions booked with {len(mentors)} mentors; "
        "not placed: new.starter@fabrikam.example: unknown user: not in the directory"
    )


def test_the_summary_counts_what_the_store_holds(one_week: Run) -> None:
    with SqliteStore(one_week.store_path) as store:
        week = store.list_sessions(start_from=NOW, start_to=NOW + timedelta(weeks=1))
    completed = sum(s.state == SessionState.COMPLETED for s in week)
    no_show = sum(s.state == SessionState.NO_SHOW for s in week)
    cancelled = sum(s.state == SessionState.CANCELLED for s in week)
    lines = one_week.out.splitlines()
    [total] = [line for line in lines if line.startswith("total ")]
    assert total.split()[1:5] == [str(len(week)), str(completed), str(no_show), str(cancelled)]
    [totals] = [line for line in lines if line.startswith("totals:")]
    assert f"({completed} of {completed + no_show} decided)" in totals
    assert "time to first session median" in totals and "p90" in totals
    mentors = {s.mentor for s in week}
    assert all(any(f"({m})" in line for line in lines) for m in mentors)


def test_progress_goes_to_stderr_week_by_week(one_week: Run) -> None:
    err = one_week.err
    assert "week 1: Mon 19 Oct to Sun 25 Oct 2026" in err
    # EU clocks go back on Sunday 25 October 2026; US clocks only on 1 November (not in this week).
    assert "Europe/London" in err and "+01:00→+00:00" in err
    assert "America/New_York" not in err
    assert "asks" in err and "syncs" in err and "done in" in err


def test_a_rerun_empties_the_previous_demo_store(one_week: Run, tmp_path: Path) -> None:
    from micromentor.demo import _empty_store

    copy = tmp_path / "old.db"
    copy.write_bytes(one_week.store_path.read_bytes())
    said: list[str] = []
    _empty_store(copy, said.append)
    assert not copy.exists()
    assert said == [f"removed the previous demo store {copy}"]


def test_the_demo_tenant_is_shaped_like_a_real_one(one_week: Run) -> None:
    seed = json.loads((one_week.out_dir / SEED_FILE).read_text(encoding="utf-8"))
    assert all(u["mail"].lower() != u["userPrincipalName"].lower() for u in seed["users"])
    (forgotten,) = {m["userPrincipalName"] for m in seed["users"] if "mentor" in m["jobTitle"]} - set(
        seed["emulator"]["teamsAccessPolicy"]["users"]
    )
    # The doctor names the mentor the Teams policy missed, and the fix; the demo then grants it.
    assert f"fail  teams-access-policy  {forgotten}: No application access policy" in one_week.err
    assert "Grant-CsApplicationAccessPolicy" in one_week.err
    assert "0 check(s) failing" in one_week.err
    mentor, _mentee = seed["emulator"]["attendanceWithoutEmail"]
    with SqliteStore(one_week.store_path) as store:
        theirs = [s for s in store.list_sessions() if s.mentor == mentor]
    # The mentor's records carry no e-mail, yet are matched by object id: a completed session (which needs
    # the mentor present) proves it, and no decided session names the mentor missing.
    assert any(s.state == SessionState.COMPLETED for s in theirs)
    assert all(mentor not in s.missing for s in theirs)


def test_outcome_messages_are_sent_answered_and_reported(one_week: Run) -> None:
    import asyncio

    from policies import TenantPolicy
    from services.report import build_report, render
    from store.outbox import MessageState, open_outbox

    with SqliteStore(one_week.store_path) as store:
        outbox = open_outbox(store)
        sent = [m for m in outbox.list_messages() if m.state is MessageState.SENT]
        answers = outbox.answers()
        report = asyncio.run(
            build_report(store, TenantPolicy(), period_from=NOW, period_to=NOW + timedelta(weeks=1))
        )
    data = json.loads(render(report, "json")[1])
    assert data["skillApplication"]["asked"] > 0
    assert data["mentorRepeat"]["asked"] > 0
    assert data["usefulness"]["asked"] > 0
    # Some answered, some never: fewer answers than messages sent.
    assert 0 < len(answers) < len(sent)
    [outcomes] = [line for line in one_week.out.splitlines() if line.startswith("outcomes:")]
    assert "skill applied" in outcomes and "would mentor again" in outcomes
    html = (one_week.out_dir / REPORT_FILE).read_text(encoding="utf-8")
    assert 'id="outcomes"' in html


def test_the_demo_says_answered_as_its_report_counts_it(one_week: Run) -> None:
    # One source: the progress line's "answered" is the report's responseRate.answered (the summary line).
    [said] = [line for line in one_week.err.splitlines() if "demo: outcomes:" in line]
    [summary] = [line for line in one_week.out.splitlines() if line.startswith("outcomes:")]
    answered = re.search(r"\((\d+) of \d+ answered\)", summary)
    assert answered is not None
    assert f"; {answered.group(1)} answered" in said


def test_answers_outside_the_checkin_window_are_told_apart() -> None:
    # 53 answers recorded, the report counts 52: the one check-in answered after its window is named, not added.
    played: dict[str, int | str] = {
        "sender": "m@x.example", "sent": 90, "postponed": 7, "given": 53, "late": 9, "expired": 2, "never": 20,
    }  # fmt: skip
    line = describe_outcomes(played, {"responseRate": {"asked": 90, "answered": 52, "rate": 0.58}})
    assert "; 52 answered, 1 more after their check-in window (recorded, not counted) (9 answers came late)" in line
    assert "53" not in line
    same = describe_outcomes({**played, "given": 52}, {"responseRate": {"asked": 90, "answered": 52, "rate": 0.58}})
    assert "; 52 answered (9 answers came late)" in same


# --- the programme patterns (micromentor/demo_patterns.py) ------------------------------------------------


def _line(out: str, prefix: str) -> str:
    [found] = [line for line in out.splitlines() if line.startswith(prefix)]
    return found


def test_the_week_shows_three_series_each_ending_its_own_way(one_week: Run) -> None:
    """Scripted, not drawn: Lucas and Mariana's series runs (its second session, 14 days on, lies beyond
    the week); Arjun stops his from his session page after the first; Olivia answers "no" after hers.
    Each held one session in the week, so 1.00 booked and held per series, and no series had its second
    session due before the week ended (14, 14 and 7 days after a first session on Tue 20 or Wed 21 Oct)."""
    from core.series import SeriesState, StopReason
    from store.series import open_series_store

    with SqliteStore(one_week.store_path) as store:
        series = open_series_store(store).list_series()
        sessions = {s.id: s for s in store.list_sessions()}
    by_mentee = {s.mentee: s for s in series}
    assert set(by_mentee) == {"mariana.souza@fabrikam.example", "arjun.nair@fabrikam.example",
                              "liam.walsh@fabrikam.example"}  # fmt: skip
    running = by_mentee["mariana.souza@fabrikam.example"]
    assert running.state is SeriesState.ACTIVE and (running.interval_days, running.minutes) == (14, 20)
    first, second = (sessions[i] for i in running.session_ids)
    assert first.state is SessionState.COMPLETED and second.start - first.start == timedelta(days=14)
    assert second.start >= NOW + timedelta(weeks=1) and second.series_id == running.id
    stopped = by_mentee["arjun.nair@fabrikam.example"]
    assert (stopped.stop_reason, stopped.stopped_by) == (StopReason.STOPPED_BY_MENTEE, "arjun.nair@fabrikam.example")
    declined = by_mentee["liam.walsh@fabrikam.example"]
    assert declined.stop_reason is StopReason.MENTOR_DECLINED and declined.stopped_by is None
    for one in (stopped, declined):
        [only] = one.session_ids
        assert sessions[only].state is SessionState.COMPLETED
    line = _line(one_week.out, "series:")
    assert line == (
        "series: 3 started, 1 active, 2 stopped (1 the mentor would not repeat, 1 by the mentee), 0 completed; "
        "sessions per series 1.00 booked, 1.00 held; retention after 2: n/a; after 4: n/a; after 6: n/a"
    )
    assert 'id="series"' in (one_week.out_dir / REPORT_FILE).read_text(encoding="utf-8")


def test_the_week_shows_two_group_sessions_one_full_and_a_refused_join(one_week: Run) -> None:
    """Jonas's clinics: 3 seats taken by Tom, Hannah and Felix; Siobhan is refused there and joins the 4-seat
    one with Eva (5 of 7 seats). Felix misses the first: 4 mentees present, 1 missing."""
    with SqliteStore(one_week.store_path) as store:
        week = store.list_sessions(start_from=NOW, start_to=NOW + timedelta(weeks=1))
    groups = sorted((s for s in week if s.seats is not None), key=lambda s: s.start)
    assert [(g.seats, g.mentees) for g in groups] == [
        (3, ("tom.baker@fabrikam.example", "hannah.schmidt@fabrikam.example", "felix.wagner@fabrikam.example")),
        (4, ("siobhan.kelly@fabrikam.example", "eva.novak@fabrikam.example")),
    ]
    assert [g.state for g in groups] == [SessionState.COMPLETED, SessionState.COMPLETED]
    assert groups[0].missing == ("felix.wagner@fabrikam.example",)
    one_to_one = sum(1 for s in week if s.seats is None and s.state != SessionState.CANCELLED)
    assert _line(one_week.out, "group sessions:") == (
        f"group sessions: 2 (5 of 7 seats taken; 4 mentees present, 1 missing) apart from {one_to_one} 1:1 "
        "sessions; siobhan.kelly@fabrikam.example's join to the full 3-seat clinic was refused (409) with 1 next "
        "open group session(s) of Jonas Weber"
    )
    assert 'id="groups"' in (one_week.out_dir / REPORT_FILE).read_text(encoding="utf-8")


def test_mentors_with_office_hours_are_booked_only_inside_them(one_week: Run) -> None:
    """Jonas: Tue and Thu 14:00-16:00 Berlin; Marcus: Mon and Wed 10:00-12:00 New York (checked here in
    their own zones, independently of the demo's code)."""
    from zoneinfo import ZoneInfo

    hours = {
        "jonas.weber@fabrikam.example": (ZoneInfo("Europe/Berlin"), {1, 3}, 14, 16),
        "marcus.johnson@fabrikam.example": (ZoneInfo("America/New_York"), {0, 2}, 10, 12),
    }
    told = []
    with SqliteStore(one_week.store_path) as store:
        for mentor, (zone, days, first, last) in hours.items():
            theirs = store.list_sessions(mentor=mentor, start_from=NOW, start_to=NOW + timedelta(weeks=1))
            assert theirs, mentor
            for s in theirs:
                start, end = s.start.astimezone(zone), s.end.astimezone(zone)
                assert start.weekday() in days and first <= start.hour and (end.hour, end.minute) <= (last, 0), s
            told.append(len(theirs))
    line = _line(one_week.out, "office hours:")
    assert line == (
        f"office hours: Jonas Weber Tue, Thu 14:00\u201316:00 (Europe/Berlin): {told[0]} sessions, {told[0]} inside; "
        f"Marcus Johnson Mon, Wed 10:00\u201312:00 (America/New_York): {told[1]} sessions, {told[1]} inside"
    )


def test_a_tenant_without_the_patterns_people_runs_without_the_patterns() -> None:
    from micromentor.demo_patterns import DemoPatterns

    org = build_demo_org(NOW, weeks=1)
    kwargs: dict[str, Any] = {"graph": None, "store": None, "admin": None, "names": {}, "public_url": "", "secret": "",
                              "say": print}  # fmt: skip
    assert DemoPatterns.for_people([p.upn for p in org.people], **kwargs) is not None
    without_jonas = [p.upn for p in org.people if p.upn != "jonas.weber@fabrikam.example"]
    assert DemoPatterns.for_people(without_jonas, **kwargs) is None
