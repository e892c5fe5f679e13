"""The meeting invitation for a micro mentoring session: subject and HTML body with the 2-10-3 plan.

Pure: values in, an `Agenda` out. Every piece of user text that reaches the HTML body (question,
topic, names, the session link) goes through `html.escape`; the subject is plain text (Graph does
not render it as HTML) and only has its whitespace and control characters tidied.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from urllib.parse import urlsplit

from core.errors import InputError
from core.model import MENTORING_CATEGORY
from core.text import check_text

__all__ = [
    "DASH",
    "LINKS_BY_MAIL_NOTE",
    "QUESTION_MAX_CHARS",
    "SUBJECT_MAX_CHARS",
    "SUBJECT_PREFIX",
    "Agenda",
    "AgendaPerson",
    "build_agenda",
    "invitation_subject",
    "personal_link_mail",
    "split_minutes",
    "validate_question",
]

QUESTION_MAX_CHARS = 300
SUBJECT_PREFIX = "Micro mentoring: "
# Outlook accepts 255 characters; a subject longer than a notification line helps nobody.
SUBJECT_MAX_CHARS = 100
_ELLIPSIS = "\u2026"
# Clock ranges read "10:00\u201310:02": an en dash, as in print.
DASH = "\u2013"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class AgendaPerson:
    upn: str
    display_name: str
    tz: tzinfo


@dataclass(frozen=True, slots=True)
class Agenda:
    subject: str
    body_html: str
    categories: tuple[str, ...] = (MENTORING_CATEGORY,)
    reminder_minutes: int = 10
    allow_new_time_proposals: bool = False


def validate_question(text: str) -> str:
    """The mentee's one-sentence question, trimmed; raises `InputError("question", …)` when it is
    empty or blank, longer than `QUESTION_MAX_CHARS` characters after trimming, or holds a control
    character (newlines and tabs included: the question is one sentence)."""
    trimmed = text.strip()
    if not trimmed:
        raise InputError("question", "must not be empty")
    if len(trimmed) > QUESTION_MAX_CHARS:
        raise InputError("question", f"must be at most {QUESTION_MAX_CHARS} characters, got {len(trimmed)}")
    return check_text("question", trimmed)


def split_minutes(total: int) -> tuple[int, int, int]:
    """Minutes of (context, work, next steps) for a session of `total` minutes.

    The 2-10-3 proportions of a 15 minute session, scaled: context = round(total * 2/15),
    next steps = round(total * 3/15), work = the rest, so the three always add up to `total`.
    15 → 2/10/3, 20 → 3/13/4, 25 → 3/17/5, 30 → 4/20/6, 45 → 6/30/9. (No ties can occur:
    total * 2/15 and total / 5 are never an odd multiple of one half for a whole `total`.)
    Each part is at least one minute, so `total` must be at least 3.
    """
    if total < 3:
        raise InputError("minutes", f"a session needs at least 3 minutes, got {total}")
    context = max(1, _round_half_up(total * 2, 15))
    next_steps = max(1, _round_half_up(total * 3, 15))
    return context, total - context - next_steps, next_steps


def build_agenda(
    *,
    question: str,
    topic: str | None,
    start: datetime,
    end: datetime,
    mentor: AgendaPerson,
    mentees: Sequence[AgendaPerson],
    session_url: str | None,
    links_by_mail: bool = False,
) -> Agenda:
    """Subject and HTML body of the invitation.

    The subject is `Micro mentoring: <topic>` (the question when there is no topic), at most
    `SUBJECT_MAX_CHARS` characters, cut on a word with an ellipsis. The body holds the question, the
    plan split by `split_minutes` (15 -> 2/10/3, 20 -> 3/13/4, 30 -> 4/20/6; the parts always add up
    to the session's length), each attendee's clock times in their own zone (each boundary converted
    on its own, so a session on a DST change day shows true wall times), the checklist, and a link to
    the session when `session_url` is given (absolute http(s) only, else `InputError("session_url")`).
    With `links_by_mail` the body says that each attendee gets their own session-page link by e-mail:
    the body itself never holds one, because one Graph event body is the same for every attendee (and
    travels with every forward), and a link acts in its owner's name (`personal_link_mail`).
    """
    question = validate_question(question)
    if not mentees:
        raise InputError("mentees", "at least one mentee is needed")
    clean_topic = _plain(topic) if topic is not None else ""
    minutes = _session_minutes(start, end)
    context, work, next_steps = split_minutes(minutes)
    t1 = start + timedelta(minutes=context)
    t2 = t1 + timedelta(minutes=work)
    phases = ((start, t1, "Context"), (t1, t2, "Work"), (t2, end, "Next steps"))
    link = _checked_url(session_url) if session_url is not None else None

    subject = _subject(clean_topic or question)
    e = html.escape
    people = (mentor, *mentees)
    lines = [
        '<div class="micromentor-agenda">',
        f"<h2>{e(subject)}</h2>",
    ]
    if clean_topic:
        lines.append(f"<p><strong>Skill:</strong> {e(clean_topic)}</p>")
    lines += [
        f"<p><strong>Question:</strong> {e(question)}</p>",
        f"<p><strong>Mentor:</strong> {e(_plain(mentor.display_name) or mentor.upn)}<br>"
        f"<strong>Mentee{'s' if len(mentees) > 1 else ''}:</strong> "
        f"{', '.join(e(_plain(p.display_name) or p.upn) for p in mentees)}</p>",
        f"<h3>Plan: {context}{DASH}{work}{DASH}{next_steps} ({minutes} minutes)</h3>",
        "<ol>",
        f"<li><strong>Context ({context} min)</strong>: the situation, the desired outcome, the help needed.</li>",
        f"<li><strong>Work ({work} min)</strong>: options, risks, practices that worked elsewhere.</li>",
        f"<li><strong>Next steps ({next_steps} min)</strong>: one action, one success indicator, "
        "follow-up or not.</li>",
        "</ol>",
        "<h3>Times for each attendee</h3>",
        "<ul>",
    ]
    for person in people:
        lines.append(f"<li>{_times_line(person, phases)}</li>")
    lines += [
        "</ul>",
        "<h3>Checklist</h3>",
        "<ul>",
        "<li>&#9744; The question, in one sentence</li>",
        "<li>&#9744; Two or three options discussed</li>",
        "<li>&#9744; One next step and its success indicator</li>",
        "<li>&#9744; Session logged</li>",
        "</ul>",
    ]
    if link is not None:
        lines.append(f'<p><a href="{e(link, quote=True)}">Open this session in micromentor</a></p>')
    if links_by_mail:
        lines.append(f"<p>{LINKS_BY_MAIL_NOTE}</p>")
    lines.append("</div>")
    return Agenda(subject=subject, body_html="\n".join(lines))


LINKS_BY_MAIL_NOTE = (
    "Each attendee gets their own link to this session's page in micromentor (agenda, checklist, cancel "
    "or move) in a separate e-mail. That link acts in its owner's name: please do not forward it."
)


def personal_link_mail(*, subject: str, person: AgendaPerson, start: datetime, url: str) -> tuple[str, str]:
    """Subject and HTML of the e-mail carrying `person`'s own session-page link: the start in the
    person's zone, the link, and a word that it is theirs alone."""
    link = _checked_url(url)
    e = html.escape
    local = start.astimezone(person.tz)
    d = local.date()
    day = f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"
    when = f"{day}, {local:%H:%M} ({_zone_label(person.tz, start)})"
    name = _plain(person.display_name) or person.upn
    body = "\n".join(
        [
            '<div class="micromentor-session-link">',
            f"<p>Hello {e(name)},</p>",
            f"<p>Your micro mentoring session <strong>{e(subject)}</strong> is on {e(when)}.</p>",
            f'<p><a href="{e(link, quote=True)}">Open this session in micromentor</a>: the agenda, the '
            "checklist, cancel or move.</p>",
            "<p>This link is yours alone: whoever opens it acts in your name. Please do not forward it.</p>",
            "</div>",
        ]
    )
    return f"Your link: {subject}", body


def _times_line(person: AgendaPerson, phases: Sequence[tuple[datetime, datetime, str]]) -> str:
    local_start = phases[0][0].astimezone(person.tz)
    # Each boundary converts on its own, so a session crossing a DST change shows true wall times.
    tz = person.tz
    parts = " · ".join(f"{a.astimezone(tz):%H:%M}{DASH}{b.astimezone(tz):%H:%M} {label}" for a, b, label in phases)
    name = html.escape(_plain(person.display_name) or person.upn)
    # Fixed English names: strftime's %a/%b would follow the process locale.
    d = local_start.date()
    day = f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"
    when = f"{day}, {_zone_label(person.tz, phases[0][0])}"
    return f"<strong>{name}</strong> ({html.escape(when)}): {parts}"


def _zone_label(zone: tzinfo, at: datetime) -> str:
    offset = at.astimezone(zone).utcoffset() or timedelta(0)
    sign = "+" if offset >= timedelta(0) else "-"
    total = abs(int(offset.total_seconds())) // 60
    label = f"UTC{sign}{total // 60:02d}:{total % 60:02d}"
    key = getattr(zone, "key", None)
    return f"{key}, {label}" if isinstance(key, str) else label


def _session_minutes(start: datetime, end: datetime) -> int:
    if start.tzinfo is None or end.tzinfo is None:
        raise InputError("start", "start and end must be timezone-aware")
    length = end - start
    if length <= timedelta(0):
        raise InputError("end", "must be after start")
    if length % timedelta(minutes=1):
        raise InputError("end", "the session length must be whole minutes")
    return length // timedelta(minutes=1)


def _checked_url(url: str) -> str:
    text = url.strip()
    if any(unicodedata.category(ch) == "Cc" or ch.isspace() for ch in text):
        raise InputError("session_url", "must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise InputError("session_url", "is not a valid URL") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError("session_url", "must be an absolute http(s) URL")
    return text


def _plain(text: str) -> str:
    """One line of text: control characters become spaces, runs of whitespace collapse."""
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(cleaned.split())


def invitation_subject(question: str, topic: str | None) -> str:
    """The invitation's subject, as `build_agenda` writes it."""
    return _subject(_plain(topic or "") or question)


def _subject(label: str) -> str:
    room = SUBJECT_MAX_CHARS - len(SUBJECT_PREFIX)
    return SUBJECT_PREFIX + _shorten(_plain(label), room)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - len(_ELLIPSIS)]
    # Prefer a word boundary, unless that throws away most of the room.
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + _ELLIPSIS


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)
