"""The session page's series section (issue 16): the series a session belongs to (cadence, sessions so
far, the next session or its target, the alternatives offered for an occurrence without a slot) with a
form to stop it; or, for a 1:1 session in no series, a form to repeat it every N days.

Forms post to the page's own URL with `do` = stop-series or repeat, like the page's other forms; every
outside value is escaped.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from core.model import SessionState
from core.series import DEFAULT_INTERVAL_DAYS, MAX_INTERVAL_DAYS, MIN_INTERVAL_DAYS, SeriesState
from core.session_claims import moved_to
from core.timefmt import iso_z
from services.series_page import offers_repeat
from services.session_page import SessionView

__all__ = ["STOPPED_WHY", "series_section"]

# Why a series stopped, by `StopReason` value; {who} is the person who stopped it.
STOPPED_WHY = {
    "stopped_by_mentor": "{who}, the mentor, stopped it",
    "stopped_by_mentee": "{who}, the mentee, stopped it",
    "mentor_declined": "the mentor answered no to another session on this skill",
    "two_no_shows": "two sessions in a row were missed",
}


def _moment(when: datetime) -> str:
    return f'<time datetime="{iso_z(when)}" data-moment>{when:%a %d %b %Y %H:%M} UTC</time>'


def _state_line(view: SessionView) -> str:
    panel = view.series
    assert panel is not None
    series = panel.series
    if series.state is SeriesState.ACTIVE:
        return "This series is running."
    if series.state is SeriesState.COMPLETED:
        return "This series is complete: every session it planned was held or is over."
    why = STOPPED_WHY.get(series.stop_reason.value if series.stop_reason else "", "it was stopped")
    who = series.stopped_by or ""
    stopped_at = f" on {_moment(series.stopped_at)}" if series.stopped_at is not None else ""
    text = why.format(who=escape(who))
    return f"This series was stopped{stopped_at}: {text}."


def _sessions(view: SessionView) -> str:
    panel = view.series
    assert panel is not None
    states = {
        SessionState.SCHEDULED: "booked",
        SessionState.PENDING_ATTENDANCE: "attendance being checked",
        SessionState.COMPLETED: "held",
        SessionState.NO_SHOW: "missed",
        SessionState.CANCELLED: "cancelled",
    }
    items = []
    for number, session in enumerate(panel.sessions, start=1):
        this = " (this one)" if session.id == view.session.id else ""
        state = "moved" if moved_to(session) is not None else states[session.state]
        items.append(
            f'<li data-series-session="{escape(session.id)}">{number}. {_moment(session.start)}: {state}{this}</li>\n'
        )
    return f'<ul class="series-sessions" id="series-sessions">\n{"".join(items)}</ul>\n'


def _next(view: SessionView) -> str:
    panel = view.series
    assert panel is not None
    if panel.next_session is not None:
        return f'<p id="series-next"><strong>Next session:</strong> {_moment(panel.next_session.start)}.</p>\n'
    if panel.next_target is not None:
        return (
            f'<p id="series-next"><strong>Next session:</strong> around {_moment(panel.next_target)}, at the valid '
            "time nearest it within two working days; it is booked once the last one is over.</p>\n"
        )
    return ""


def _alternatives(view: SessionView) -> str:
    panel = view.series
    assert panel is not None
    parts = []
    book = (
        f' <a class="series-book" href="{escape(panel.booking_link)}">Book one of them on your mentor\'s page</a>.'
        if panel.booking_link
        else ""
    )
    for offer in panel.alternatives:
        times = "".join(f"<li>{_moment(start)}</li>\n" for start in offer.starts)
        mail = (
            "These were also sent to you by e-mail."
            if offer.mailed
            else "An e-mail with these times follows in your working hours."
        )
        parts.append(
            f'<div class="notice" id="series-alternatives-{offer.occurrence}">\n'
            "<p>No time suited you both within two working days of a session's usual date, so it was "
            f"skipped. The nearest times that do:</p>\n<ul>{times}</ul>\n<p>{mail}{book} The series goes on "
            "as usual.</p>\n</div>\n"
        )
    return "".join(parts)


def _stop_form() -> str:
    return (
        '<form method="post" action="" data-form="stop-series">\n'
        '<input type="hidden" name="do" value="stop-series">\n'
        '<label class="check"><input type="checkbox" name="confirm" value="yes"> '
        "Yes, stop the series for both of us</label>\n"
        '<button type="submit" class="quiet">Stop the series</button>\n'
        '<p class="note">Sessions already booked stay booked; cancel them like any session.</p>\n</form>\n'
    )


def _repeat_form(view: SessionView, value: str | None) -> str:
    session = view.session
    if not offers_repeat(session) or view.moved_to is not None:
        return ""
    days = escape(value if value is not None else str(DEFAULT_INTERVAL_DAYS))
    return (
        '<h2 id="series">Meet again regularly</h2>\n'
        '<form method="post" action="" data-form="repeat">\n<input type="hidden" name="do" value="repeat">\n'
        f'<label for="interval_days">Repeat every N days ({MIN_INTERVAL_DAYS} to {MAX_INTERVAL_DAYS})</label>\n'
        f'<input type="text" inputmode="numeric" id="interval_days" name="interval_days" maxlength="3" '
        f'value="{days}">\n'
        '<p class="note">Each next session is booked on its own, at the valid time nearest the same local '
        "time N days later (within two working days), once the previous one is over.</p>\n"
        '<button type="submit">Repeat this session</button>\n</form>\n'
    )


def series_section(view: SessionView, *, interval_value: str | None = None) -> str:
    """The section for `view`; `interval_value` refills a refused repeat form."""
    panel = view.series
    if panel is None:
        return _repeat_form(view, interval_value)
    series = panel.series
    count = f"{series.count} sessions" if series.count is not None else "open-ended"
    return (
        '<h2 id="series">Series</h2>\n'
        f'<p id="series-cadence">Every {series.interval_days} days, {series.minutes} minutes, {count}.</p>\n'
        f'<p class="notice" id="series-state">{_state_line(view)}</p>\n'
        f'<p id="series-count">Sessions so far: {panel.booked} booked, {panel.held} held.</p>\n'
        + _sessions(view)
        + (_next(view) if panel.active else "")
        + (_alternatives(view) if panel.active else "")
        + (_stop_form() if panel.active else "")
    )
