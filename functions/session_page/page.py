"""The HTML of a session page: the 2-10-3 agenda with each attendee's local times, the join link, the
checklist form, the series section (functions/session_page/series_section.py), and cancel / move forms.

Like the booking link's page (functions/links/page.py, whose style and script it reuses): self-contained,
one inline style sheet and one inline script allowed by their SHA-256, every outside value escaped.
Forms post to this page's own URL (`form-action 'self'`) with `do` = checklist, cancel, move, stop-series or
repeat, so the page works without script; the script only rewrites UTC `<time>` texts in the reader's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from html import escape

from core.agenda import DASH, QUESTION_MAX_CHARS, split_minutes
from core.checklist import MAX_OPTIONS, NEXT_STEP_MAX_CHARS, OPTION_MAX_CHARS, SUCCESS_MAX_CHARS
from core.model import Checklist, SessionState
from core.timefmt import iso_z
from functions.links.page import PAGE_SCRIPT, PAGE_STYLE, csp_hash, refusal_page
from functions.session_page.series_section import series_section
from services.session_page import PagePerson, SessionView

__all__ = ["CONTENT_SECURITY_POLICY", "FormValues", "refusal_page", "session_page"]

_FORM_STYLE = """
form { margin: .75rem 0; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
input[type=text], textarea { width: 100%; padding: .45rem .6rem; font: inherit; color: var(--fg);
  background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
textarea { min-height: 4rem; resize: vertical; }
[aria-invalid=true] { border-color: var(--warn); }
.field-error { color: var(--warn); font-size: .9rem; margin: .25rem 0; }
button { font: inherit; font-weight: 600; padding: .55rem 1.1rem; border-radius: 6px; margin-top: .75rem;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-fg); cursor: pointer; }
button.quiet { background: transparent; color: var(--fg); border-color: var(--line); }
.notice { padding: .6rem .8rem; border-radius: 6px; border: 1px solid var(--line); margin: .75rem 0; }
.notice.ok { border-color: var(--accent); }
.notice.bad { border-color: var(--warn); color: var(--warn); }
.slot { display: flex; gap: .5rem; align-items: baseline; font-weight: 400; margin: .3rem 0; }
.slot input { margin: 0; }
ul.people { padding-left: 1.1rem; }
ul.people li { margin: .35rem 0; overflow-wrap: anywhere; }
.check { display: flex; gap: .5rem; align-items: baseline; font-weight: 400; }
.theirs { border-left: 3px solid var(--line); padding-left: .6rem; margin: .5rem 0; }
ul.series-sessions { list-style: none; padding-left: 0; }
"""
_STYLE = PAGE_STYLE + _FORM_STYLE

CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {csp_hash(_STYLE)}; script-src {csp_hash(PAGE_SCRIPT)}; "
    "img-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# What a failed checklist save sends back into the form, so the reader's text is never lost.
FormValues = Mapping[str, object]


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)} · micromentor</title>\n<style>{_STYLE}</style>\n</head>\n"
        f'<body>\n<main>\n<p class="brand">micromentor</p>\n{body}</main>\n'
        f"<script>{PAGE_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _zone_name(person: PagePerson) -> str:
    key = getattr(person.tz, "key", None)
    return key if isinstance(key, str) else "UTC"


def _agenda(view: SessionView) -> str:
    session = view.session
    context, work, next_steps = split_minutes(session.minutes)
    t1 = session.start + timedelta(minutes=context)
    t2 = t1 + timedelta(minutes=work)
    phases = ((session.start, t1, "Context"), (t1, t2, "Work"), (t2, session.end, "Next steps"))
    rows = []
    for person in view.people:
        local = session.start.astimezone(person.tz)
        parts = " · ".join(
            f"{a.astimezone(person.tz):%H:%M}{DASH}{b.astimezone(person.tz):%H:%M} {label}" for a, b, label in phases
        )
        you = " (you)" if person.upn == view.viewer else ""
        rows.append(
            f'<li data-person="{escape(person.upn)}"><strong>{escape(person.display_name)}</strong>{you}, '
            f"{person.role}, {escape(_zone_name(person))}: {local:%a %d %b}: {escape(parts)}</li>\n"
        )
    return (
        f"<h2>Plan: {context}{DASH}{work}{DASH}{next_steps} ({session.minutes} minutes)</h2>\n"
        "<ol>\n"
        f"<li><strong>Context ({context} min)</strong>: the situation, the outcome wanted, the help needed.</li>\n"
        f"<li><strong>Work ({work} min)</strong>: two or three options, risks, what worked elsewhere.</li>\n"
        f"<li><strong>Next steps ({next_steps} min)</strong>: one action and its success indicator.</li>\n"
        "</ol>\n"
        "<h2>Each attendee's local time</h2>\n"
        f'<ul class="people">\n{"".join(rows)}</ul>\n'
    )


def _field(name: str, label: str, value: str, limit: int, errors: Mapping[str, str], *, area: bool = False) -> str:
    error = errors.get(name)
    invalid = ' aria-invalid="true"' if error else ""
    described = f' aria-describedby="{name}-error"' if error else ""
    control = (
        f'<textarea id="{name}" name="{name}" maxlength="{limit}"{invalid}{described}>{escape(value)}</textarea>'
        if area
        else f'<input type="text" id="{name}" name="{name}" maxlength="{limit}" value="{escape(value)}"'
        f"{invalid}{described}>"
    )
    note = f'<p class="field-error" id="{name}-error">{escape(error)}</p>' if error else ""
    return f'<label for="{name}">{label}</label>\n{control}\n{note}\n'


def _text(values: FormValues, name: str, default: str) -> str:
    value = values.get(name, default)
    return value if isinstance(value, str) else default


def _checklist_form(
    checklist: Checklist, values: FormValues, errors: Mapping[str, str], theirs: Checklist | None
) -> str:
    question = _text(values, "question", checklist.question)
    given = values.get("options")
    options = list(given) if isinstance(given, list | tuple) else list(checklist.options)
    options = [o if isinstance(o, str) else "" for o in options][:MAX_OPTIONS]
    options += [""] * (MAX_OPTIONS - len(options))
    option_fields = "".join(
        _field(f"option{i + 1}", f"Option {i + 1}", text, OPTION_MAX_CHARS, errors) for i, text in enumerate(options)
    )
    if "options" in errors:
        option_fields += f'<p class="field-error" id="options-error">{escape(errors["options"])}</p>\n'
    version = theirs.version if theirs is not None else checklist.version
    saved = ""
    if checklist.updated_at is not None and theirs is None:
        saved = (
            f'<p class="note">Last saved by {escape(checklist.updated_by or "someone")} on '
            f'<time datetime="{iso_z(checklist.updated_at)}" data-moment>'
            f"{checklist.updated_at:%d %b %Y %H:%M} UTC</time>.</p>\n"
        )
    return (
        '<h2 id="checklist">Checklist</h2>\n'
        f"{saved}"
        '<form method="post" action="" data-form="checklist" novalidate>\n'
        '<input type="hidden" name="do" value="checklist">\n'
        f'<input type="hidden" name="version" value="{version}">\n'
        + _field("question", "The question, in one sentence", question, QUESTION_MAX_CHARS, errors, area=True)
        + option_fields
        + _field("next_step", "Next step", _text(values, "next_step", checklist.next_step), NEXT_STEP_MAX_CHARS, errors)
        + _field(
            "success_indicator",
            "Success indicator",
            _text(values, "success_indicator", checklist.success_indicator),
            SUCCESS_MAX_CHARS,
            errors,
        )
        + '<button type="submit">Save the checklist</button>\n</form>\n'
    )


def _theirs(theirs: Checklist) -> str:
    options = "".join(f"<li>{escape(o)}</li>" for o in theirs.options) or "<li>(none)</li>"
    return (
        '<div class="notice bad" role="alert" id="conflict">\n'
        f"<p>{escape(theirs.updated_by or 'Someone')} saved the checklist while you were editing it. Your text "
        "is still in the form below; their saved answers are here. Merge what you want to keep and save "
        "again.</p>\n"
        '<div class="theirs">\n'
        f"<p><strong>Question:</strong> {escape(theirs.question)}</p>\n"
        f"<p><strong>Options:</strong></p><ul>{options}</ul>\n"
        f"<p><strong>Next step:</strong> {escape(theirs.next_step)}</p>\n"
        f"<p><strong>Success indicator:</strong> {escape(theirs.success_indicator)}</p>\n"
        "</div>\n</div>\n"
    )


def _changes(view: SessionView) -> str:
    if not view.changeable:
        return ""
    if view.free:
        choices = "".join(
            f'<label class="slot"><input type="radio" name="start" value="{iso_z(s.start)}"> '
            f'<time datetime="{iso_z(s.start)}" data-moment>{s.start:%a %d %b %H:%M} UTC</time></label>\n'
            for s in view.free
        )
        move = (
            '<form method="post" action="" data-form="move">\n<input type="hidden" name="do" value="move">\n'
            f"<fieldset><legend>Another time that suits everyone</legend>\n{choices}</fieldset>\n"
            '<button type="submit">Move the session</button>\n</form>\n'
        )
    else:
        move = f"<p>No other time to move to: {escape(view.free_note or 'none found')}.</p>\n"
    return (
        '<h2 id="change">Move or cancel</h2>\n'
        f"{move}"
        '<form method="post" action="" data-form="cancel">\n<input type="hidden" name="do" value="cancel">\n'
        '<label class="check"><input type="checkbox" name="confirm" value="yes"> '
        "Yes, cancel this session for everyone</label>\n"
        '<button type="submit" class="quiet">Cancel the session</button>\n</form>\n'
    )


def session_page(
    view: SessionView,
    *,
    notice: str | None = None,
    values: FormValues | None = None,
    errors: Mapping[str, str] | None = None,
    theirs: Checklist | None = None,
    problem: str | None = None,
    interval_value: str | None = None,
) -> str:
    """The page of `view.viewer`'s link. `values`/`errors` refill a refused checklist form; `theirs` is
    the checklist someone else saved meanwhile (a version conflict); `problem` a refused move or cancel;
    `interval_value` refills a refused "repeat every N days" form."""
    session = view.session
    title = session.topic or session.question
    state = {
        SessionState.SCHEDULED: "",
        SessionState.CANCELLED: "This session was cancelled.",
        SessionState.COMPLETED: "This session took place.",
        SessionState.NO_SHOW: "This session was missed.",
        SessionState.PENDING_ATTENDANCE: "This session is over; attendance is being checked.",
    }[session.state]
    moved = ""
    if view.moved_to is not None:
        state = ""
        went = view.moved_to
        moved = (
            f'<p class="notice" id="state">This session was moved to <time datetime="{iso_z(went)}" data-moment>'
            f"{went:%a %d %b %Y %H:%M} UTC</time>."
            + (
                f' <a id="moved" href="{escape(view.successor_link)}">Open the session at its new time</a>.'
                if view.successor_link
                else ""
            )
            + "</p>\n"
        )
    join = ""
    if session.join_url and session.join_url.lower().startswith("https://") and view.changeable:
        join = f'<p><a class="button" id="join" href="{escape(session.join_url)}">Join on Teams</a></p>\n'
    body = (
        f"<h1>Micro mentoring: {escape(title)}</h1>\n"
        + (f'<p class="notice ok" role="status" id="notice">{escape(notice)}</p>\n' if notice else "")
        + (f'<p class="notice bad" role="alert" id="problem">{escape(problem)}</p>\n' if problem else "")
        + (f'<p class="notice" id="state">{escape(state)}</p>\n' if state else "")
        + moved
        + f"<p><strong>Question:</strong> {escape(session.question)}</p>\n"
        f'<p><strong>When:</strong> <time datetime="{iso_z(session.start)}" data-moment>'
        f"{session.start:%a %d %b %Y %H:%M} UTC</time> ({session.minutes} minutes)</p>\n"
        '<p class="note" id="zone">Times are in UTC.</p>\n'
        f"{join}"
        f"{_agenda(view)}"
        + (_theirs(theirs) if theirs is not None else "")
        + _checklist_form(view.checklist, values or {}, errors or {}, theirs)
        + series_section(view, interval_value=interval_value)
        + _changes(view)
    )
    return _document(f"Micro mentoring: {title}", body)
