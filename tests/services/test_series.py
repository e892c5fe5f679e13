"""Series through the real adapters: msgraph-sdk against the emulator, SQLite in a temp folder.

People (tests/data/tenant.json): Maya (mentor) in London (GMT = UTC in December), Mon-Thu 07:30-15:30;
Ravi (mentee) in India (UTC+05:30), Mon-Fri 10:00-19:00 = 04:30-13:30Z. Default policy: day window
08:00-18:00 in each person's zone (Ravi: 02:30-12:30Z), buffer 5 minutes around Maya's events, horizon
14 days, 15-minute grid. So a 20-minute session fits Mon-Thu with a start from 08:00Z to 12:00Z.

The first session: Tue 1 Dec 2026 10:00Z, booked on Mon 30 Nov 00:00Z. Occurrence 1 targets Tue 15 Dec
10:00Z. The days both work are Mon-Thu: two of them back from Tue 15 are Mon 14 and Thu 10 (Fri 11 is not
Maya's), two forward Wed 16 and Thu 17, so the window is [Thu 10 00:00Z, Fri 18 00:00Z). It is within the
14-day horizon from Fri 4 Dec 00:00Z: the next session is booked on the first run after that (BOOK_AT).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.errors import Conflict, InputError
from core.model import Session, SessionState
from core.series import PlannedSession, Series, SeriesState, StopReason
from policies import TenantPolicy
from services.outcomes import MailSettings, send_due
from services.series import SeriesDraft, Step, advance_series, series_round, start_series, stop_series
from store.outbox import Answer, MessageKind, Outbox, open_outbox
from store.series import SeriesStore, open_series_store
from store.sqlite import SqliteStore
from tests.conftest import Admin, with_graph

MAYA, RAVI = "maya@contoso.example", "ravi@contoso.example"
SENDER = "mentoring@contoso.example"
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday
FIRST = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tuesday
AFTER_FIRST = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
BOOK_AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # Friday; the horizon reaches Fri 18 Dec 09:00Z
URL = "https://mm.example"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(emulator: Any, admin: Admin, graph_settings: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    admin.post(
        "/users",
        {"userPrincipalName": SENDER, "displayName": "Micro mentoring", "mailboxSettings": {"timeZone": "UTC"}},
    )
    store = SqliteStore(tmp_path / "s.db")
    yield {"store": store, "series": open_series_store(store), "outbox": open_outbox(store), "graph": graph_settings}
    store.close()


def draft(**changes: Any) -> SeriesDraft:
    base = SeriesDraft(
        mentor=MAYA, mentee=RAVI, start=FIRST, question="How do I review a design?", created_by=RAVI,
        topic="design reviews", count=4,
    )  # fmt: skip
    return replace(base, **changes)


def start(world: dict[str, Any], **changes: Any) -> Any:
    return with_graph(
        world["graph"],
        lambda g: start_series(
            g, world["store"], world["series"], TenantPolicy(), draft(**changes), now=NOW, public_url=URL
        ),
    )


def advance(world: dict[str, Any], series_id: str, now: datetime, series_store: SeriesStore | None = None) -> Step:
    return with_graph(
        world["graph"],
        lambda g: advance_series(
            g,
            world["store"],
            series_store or world["series"],
            world["outbox"],
            TenantPolicy(),
            series_id,
            now=now,
            public_url=URL,
        ),
    )


def finish(world: dict[str, Any], session_id: str, state: SessionState = SessionState.COMPLETED) -> None:
    world["store"].update_session(session_id, lambda s: replace(s, state=state))


def busy(admin: Admin, start: str, end: str) -> None:
    admin.post(
        f"/users/{MAYA}/events",
        {
            "subject": "Offsite",
            "showAs": "busy",
            "start": {"dateTime": start, "timeZone": "UTC"},
            "end": {"dateTime": end, "timeZone": "UTC"},
        },
    )


def series_sessions(world: dict[str, Any]) -> list[Session]:
    return [s for s in world["store"].list_sessions() if s.state is not SessionState.CANCELLED]


def test_start_books_the_first_session_and_records_the_series(world: dict[str, Any]) -> None:
    started = start(world)
    assert started.created
    assert started.session.start == FIRST and started.session.minutes == 20
    assert started.session.series_id == started.series.id and started.session.event_id
    stored = world["series"].get_series(started.series.id)
    assert stored is not None
    assert (stored.anchor, stored.session_ids, stored.next_occurrence, stored.count, stored.interval_days) == (
        FIRST,
        (started.session.id,),
        1,
        4,
        14,
    )


def test_start_with_a_key_twice_is_one_series_and_another_body_is_409(world: dict[str, Any]) -> None:
    first = start(world, idempotency_key="k1")
    again = start(world, idempotency_key="k1")
    assert (again.series.id, again.session.id, again.created) == (first.series.id, first.session.id, False)
    assert len(series_sessions(world)) == 1
    same = start(world, idempotency_key="k1", question="  How do I review a design? ", topic=" design reviews")
    assert (same.series.id, same.created) == (first.series.id, False)  # trimmed as stored: the same terms
    others: list[dict[str, Any]] = [
        {"count": 6}, {"start": FIRST + timedelta(hours=1)}, {"question": "Something else?"}, {"topic": None},
        {"book_ahead_days": 7}, {"interval_days": 21}, {"minutes": 30},
    ]  # fmt: skip
    for changed in others:
        with pytest.raises(Conflict) as err:
            start(world, idempotency_key="k1", **changed)
        assert err.value.field == "Idempotency-Key"


def test_start_refuses_a_length_outside_15_20_30_naming_the_field(world: dict[str, Any]) -> None:
    with pytest.raises(InputError) as err:
        start(world, minutes=25)
    assert err.value.field == "minutes"
    assert world["series"].list_series() == []


def test_next_session_waits_for_the_first_then_books_the_target(world: dict[str, Any]) -> None:
    started = start(world)
    assert advance(world, started.series.id, BOOK_AT).outcome == "not_due"  # the first is still scheduled
    finish(world, started.session.id)
    # Over, but the window's last day (Thu 17) is beyond the horizon on 1 Dec: not yet.
    assert advance(world, started.series.id, AFTER_FIRST).outcome == "not_due"
    step = advance(world, started.series.id, BOOK_AT)
    assert step.outcome == "booked" and step.session is not None
    # Nothing in the way: exactly the target, Tue 15 Dec 10:00Z (10:00 London, as the first one).
    assert step.session.start == utc(15, 10) and step.session.series_id == started.series.id
    assert step.series.session_ids == (started.session.id, step.session.id)
    assert step.series.next_occurrence == 2
    # The next one waits for this one: nothing more is booked.
    assert advance(world, started.series.id, BOOK_AT).outcome == "not_due"
    assert len(series_sessions(world)) == 2


def test_the_nearest_valid_slot_within_two_working_days(world: dict[str, Any], admin: Admin) -> None:
    started = start(world)
    finish(world, started.session.id)
    # Maya is away Mon 14 and Tue 15 Dec; Wed 16 08:00Z is 22 hours after the target, Thu 10 12:00Z
    # (the latest start before) is 4 days 22 hours before: Wed 16 08:00Z is nearest.
    busy(admin, "2026-12-14T00:00:00", "2026-12-16T00:00:00")
    step = advance(world, started.series.id, BOOK_AT)
    assert step.outcome == "booked" and step.session is not None
    assert step.session.start == utc(16, 8)


def test_no_slot_skips_the_occurrence_and_mails_both_the_three_nearest(world: dict[str, Any], admin: Admin) -> None:
    started = start(world)
    finish(world, started.session.id)
    # Maya is away from Wed 9 Dec 12:00Z to Fri 18 Dec 00:00Z: the window [Thu 10, Fri 18) is full, and
    # up to the horizon (Fri 18 09:00Z) there is nothing after it (Maya does not work Fridays). The valid
    # starts nearest before, with the 5-minute buffer: Wed 9 at 11:00, 11:15, 11:30Z (11:45 ends 12:05).
    busy(admin, "2026-12-09T12:00:00", "2026-12-18T00:00:00")
    step = advance(world, started.series.id, BOOK_AT)
    assert step.outcome == "skipped"
    assert (step.series.skipped, step.series.next_occurrence, step.series.plan) == ((1,), 2, None)
    messages = world["outbox"].list_messages([MessageKind.SERIES_NO_SLOT])
    assert sorted(m.person for m in messages) == [MAYA, RAVI]
    assert all(m.slots == (utc(9, 11), utc(9, 11, 15), utc(9, 11, 30)) for m in messages)
    assert all(m.session_id == f"{started.series.id}|1" for m in messages)
    # Run again: the same occurrence is not searched or mailed twice.
    assert advance(world, started.series.id, BOOK_AT).outcome == "not_due"  # occurrence 2 is beyond the horizon
    assert len(world["outbox"].list_messages([MessageKind.SERIES_NO_SLOT])) == 2
    # The quiet-hours outbox sends them: not on Friday to Maya (no working day), Ravi at once (14:30 India);
    # Maya on her next working day, Monday 7 Dec.
    mail = MailSettings(sender=SENDER, secret="s" * 32, public_url=URL)
    store, outbox = world["store"], world["outbox"]
    first = with_graph(world["graph"], lambda g: send_due(g, outbox, TenantPolicy(), mail, BOOK_AT, store=store))
    assert (first.sent, first.postponed) == (1, 1)
    later = with_graph(world["graph"], lambda g: send_due(g, outbox, TenantPolicy(), mail, utc(7, 9), store=store))
    assert later.sent == 1
    mails = {m["toRecipients"][0]["emailAddress"]["address"]: m for m in admin.get("/mail")["value"]}
    maya_body = mails[MAYA]["body"]["content"]
    assert mails[MAYA]["subject"] == "No time found for your next micro session on design reviews"
    assert "Wed 2026-12-09 11:30 (Europe/London)" in maya_body and "/api/links/" not in maya_body
    assert "17:00" in mails[RAVI]["body"]["content"]  # 11:30Z is 17:00 in India
    assert f"{URL}/api/links/" in mails[RAVI]["body"]["content"]  # the mentee may book one of them


class CrashOnRecord:
    """A series store whose update that records a booked session fails once: a crash between the
    booking and its record."""

    def __init__(self, inner: SeriesStore) -> None:
        self.inner, self.crashed = inner, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def update_series(self, series_id: str, change: Callable[[Series], Series]) -> Series:
        current = self.inner.get_series(series_id)
        assert current is not None
        if not self.crashed and len(change(current).session_ids) > len(current.session_ids):
            self.crashed = True
            raise RuntimeError("host died")
        return self.inner.update_series(series_id, change)


def test_a_crash_after_booking_books_nothing_twice(world: dict[str, Any]) -> None:
    started = start(world)
    finish(world, started.session.id)
    crashing = CrashOnRecord(world["series"])
    with pytest.raises(RuntimeError):
        advance(world, started.series.id, BOOK_AT, series_store=crashing)
    planned = world["series"].get_series(started.series.id)
    assert planned is not None and planned.plan == PlannedSession(1, 0, utc(15, 10)) and len(planned.session_ids) == 1
    step = advance(world, started.series.id, BOOK_AT + timedelta(minutes=5))
    assert step.outcome == "booked" and step.session is not None and step.session.start == utc(15, 10)
    assert len(series_sessions(world)) == 2  # the first and one at 15 Dec: the retry found its booking
    assert step.series.session_ids == (started.session.id, step.session.id) and step.series.plan is None


def test_a_planned_slot_taken_meanwhile_is_searched_again_under_a_new_key(world: dict[str, Any], admin: Admin) -> None:
    started = start(world)
    finish(world, started.session.id)
    world["series"].update_series(started.series.id, lambda s: replace(s, plan=PlannedSession(1, 0, utc(15, 10))))
    busy(admin, "2026-12-15T10:00:00", "2026-12-15T11:00:00")  # someone took 10:00 after it was planned
    retry = advance(world, started.series.id, BOOK_AT)
    assert retry.outcome == "retry" and retry.series.plan == PlannedSession(1, 1, None)
    step = advance(world, started.series.id, BOOK_AT)
    # Nearest to 10:00 now: 09:30 (ends 09:50, buffer to 09:55) is 30 minutes before; 11:15 (buffer from
    # 11:10) is 75 minutes after.
    assert step.outcome == "booked" and step.session is not None and step.session.start == utc(15, 9, 30)


def test_the_mentor_saying_no_to_repeating_stops_the_series(world: dict[str, Any]) -> None:
    started = start(world)
    finish(world, started.session.id)
    outbox: Outbox = world["outbox"]
    outbox.record_answer(Answer(started.session.id, MAYA, MessageKind.MENTOR_FOLLOWUP, "no", AFTER_FIRST))
    step = advance(world, started.series.id, AFTER_FIRST)
    assert (step.outcome, step.series.state, step.series.stop_reason) == (
        "stopped",
        SeriesState.STOPPED,
        StopReason.MENTOR_DECLINED,
    )
    assert len(series_sessions(world)) == 1
    assert advance(world, started.series.id, AFTER_FIRST).outcome == "closed"


def test_two_no_shows_in_a_row_stop_the_series(world: dict[str, Any]) -> None:
    started = start(world)
    finish(world, started.session.id, SessionState.NO_SHOW)
    second = advance(world, started.series.id, BOOK_AT)
    assert second.outcome == "booked" and second.session is not None  # one no-show: go on
    finish(world, second.session.id, SessionState.NO_SHOW)
    step = advance(world, started.series.id, utc(15, 11))
    assert step.series.stop_reason is StopReason.TWO_NO_SHOWS and step.outcome == "stopped"


def test_either_person_stops_it(world: dict[str, Any]) -> None:
    started = start(world)
    stopped = with_graph(world["graph"], lambda g: stop_series(world["series"], started.series.id, by=RAVI, now=NOW))
    assert stopped.stop_reason is StopReason.STOPPED_BY_MENTEE and stopped.stopped_by == RAVI
    with pytest.raises(Conflict):
        with_graph(world["graph"], lambda g: stop_series(world["series"], started.series.id, by=MAYA, now=NOW))


def test_a_counted_series_completes_after_its_last_session(world: dict[str, Any]) -> None:
    started = start(world, count=2)
    finish(world, started.session.id)
    second = advance(world, started.series.id, BOOK_AT)
    assert second.session is not None
    assert advance(world, started.series.id, utc(15, 11)).outcome == "waiting"
    finish(world, second.session.id)
    done = advance(world, started.series.id, utc(15, 11))
    assert (done.outcome, done.series.state) == ("completed", SeriesState.COMPLETED)


def test_the_round_books_ahead_when_asked(world: dict[str, Any]) -> None:
    started = start(world, book_ahead_days=14)
    # The first is still scheduled (nobody decided its attendance), but the series books 14 days ahead
    # (from 1 Dec 10:00Z) and the window is within the horizon from 4 Dec 00:00Z.
    counts = with_graph(
        world["graph"], lambda g: series_round(g, world["store"], TenantPolicy(), now=utc(4, 0), public_url=URL)
    )
    assert counts == {"booked": 1}
    stored = world["series"].get_series(started.series.id)
    assert stored is not None and len(stored.session_ids) == 2


def test_a_window_gone_by_is_skipped_without_a_message(world: dict[str, Any]) -> None:
    started = start(world)
    finish(world, started.session.id)
    # Nothing ran until Sun 20 Dec 09:00Z (an outage): occurrence 1's window [Thu 10, Fri 18) is over.
    # Occurrence 2 targets Tue 29 Dec 10:00Z; its window [Thu 24 00:00Z, Fri 1 Jan 00:00Z) is within the
    # horizon (Sun 3 Jan 09:00Z) and empty of meetings: booked at the target.
    step = advance(world, started.series.id, utc(20, 9))
    assert step.outcome == "booked" and step.session is not None and step.session.start == utc(29, 10)
    assert (step.series.skipped, step.series.next_occurrence) == ((1,), 3)
    assert world["outbox"].list_messages([MessageKind.SERIES_NO_SLOT]) == []


def test_the_round_counts_a_failing_series_and_goes_on(world: dict[str, Any]) -> None:
    first = start(world)
    finish(world, first.session.id)
    # A second series whose mentee was deleted from the directory: its step fails (404), the other books.
    broken = replace(first.series, id="broken", session_ids=(), mentee="gone@contoso.example")
    world["series"].add_series(broken)
    counts = with_graph(
        world["graph"], lambda g: series_round(g, world["store"], TenantPolicy(), now=BOOK_AT, public_url=URL)
    )
    assert counts == {"booked": 1, "failed": 1}
