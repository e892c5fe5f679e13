"""The HTML of a booking link's page: the mentor's next free times, or why the link cannot be used.

Self-contained (no external resources): one inline style sheet and one inline script, both allowed by
their SHA-256 in the Content-Security-Policy, so nothing else can run. Every value from outside is
escaped. The server writes UTC times into `<time datetime=…>`; the script rewrites their text in the
reader's own time zone with `Intl.DateTimeFormat` (without script the page reads in UTC)."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from core.timefmt import iso_z
from services.links import MentorAvailability

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "PAGE_SCRIPT",
    "PAGE_STYLE",
    "availability_page",
    "book_href",
    "csp_hash",
    "refusal_page",
]

_STYLE = """
:root { color-scheme: light dark; --fg: #242424; --muted: #5c5c5c; --bg: #fafafa; --card: #fff;
  --line: #d1d1d1; --accent: #0f6cbd; --accent-fg: #fff; --warn: #b10e1c; }
@media (prefers-color-scheme: dark) { :root { --fg: #f0f0f0; --muted: #c2c2c2; --bg: #1f1f1f;
  --card: #292929; --line: #555; --accent: #479ef5; --accent-fg: #0a0a0a; --warn: #ff8c8c; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5;
  font: 16px/1.5 "Segoe UI", system-ui, -apple-system, sans-serif; }
main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem; background: var(--card);
  border: 1px solid var(--line); border-radius: 8px; }
.brand { margin: 0 0 .5rem; font-weight: 600; color: var(--accent); letter-spacing: .02em; }
h1 { font-size: 1.4rem; line-height: 1.3; margin: 0 0 .75rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
p { margin: .5rem 0; }
.note { color: var(--muted); font-size: .9rem; }
ul.times { list-style: none; padding: 0; margin: .75rem 0; }
ul.times li { padding: .5rem .75rem; border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0;
  font-variant-numeric: tabular-nums; }
a.button { display: inline-block; margin-top: 1rem; padding: .6rem 1.2rem; border-radius: 6px;
  background: var(--accent); color: var(--accent-fg); font-weight: 600; text-decoration: none; }
a.button:hover { filter: brightness(1.1); }
a:focus-visible { outline: 3px solid var(--fg); outline-offset: 2px; }
.refused h1 { color: var(--warn); }
@media (max-width: 36rem) { main { margin: 0; border: 0; border-radius: 0; } }
"""

_SCRIPT = """
(function () {
  "use strict";
  var day = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
  var clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  var full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
  function at(node) { return new Date(node.getAttribute("datetime")); }
  document.querySelectorAll("li[data-range]").forEach(function (item) {
    var times = item.querySelectorAll("time");
    var start = at(times[0]), end = at(times[1]);
    times[0].textContent = day.format(start) + ", " + clock.format(start);
    times[1].textContent = day.format(end) === day.format(start) ? clock.format(end)
      : day.format(end) + ", " + clock.format(end);
  });
  document.querySelectorAll("time[data-moment]").forEach(function (node) {
    node.textContent = full.format(at(node));
  });
  var zone = document.getElementById("zone");
  if (zone) {
    var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "long" }).formatToParts(new Date());
    var name = parts.filter(function (p) { return p.type === "timeZoneName"; }).map(function (p) {
      return p.value; })[0] || Intl.DateTimeFormat().resolvedOptions().timeZone;
    zone.textContent = "Times are shown in your time zone (" + name + ").";
  }
})();
"""


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


# Shared with the session page (functions/session_page), which adds its form styles to the same look.
PAGE_STYLE = _STYLE
PAGE_SCRIPT = _SCRIPT
csp_hash = _sha256


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_sha256(_STYLE)}; script-src {_sha256(_SCRIPT)}; "
    "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _utc_text(moment: datetime, *, with_day: bool = True) -> str:
    return moment.strftime("%a %d %b, %H:%M" if with_day else "%H:%M")


def _page(title: str, body: str, *, refused: bool = False) -> str:
    main = '<main class="refused">' if refused else "<main>"
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)} · micromentor</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{main}\n"
        f'<p class="brand">micromentor</p>\n{body}</main>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n'
    )


def _first_name(display_name: str) -> str:
    return display_name.split()[0] if display_name.split() else display_name


def availability_page(availability: MentorAvailability, *, expires: datetime, book_href: str) -> str:
    """The page of a valid link; `book_href` leads to the task pane, where the mentee signs in."""
    name = escape(availability.display_name)
    first = escape(_first_name(availability.display_name))
    minutes = availability.minutes
    if availability.ranges:
        items = "".join(
            f'<li data-range><time datetime="{iso_z(r.start)}">{_utc_text(r.start)}</time> &ndash; '
            f'<time datetime="{iso_z(r.end)}">'
            f"{_utc_text(r.end, with_day=r.end.date() != r.start.date())}</time></li>\n"
            for r in availability.ranges
        )
        times = (
            f'<ul class="times" aria-labelledby="free">\n{items}</ul>\n'
            f'<p class="note">A session lasts {minutes} minutes and can start every {availability.step_minutes} '
            f"minutes inside these times. They are {first}'s free times: once you sign in, micromentor shows "
            "the times that suit you both.</p>\n"
        )
    else:
        why = "; ".join(availability.reasons) or "no free time"
        times = (
            f"<p>{first} has no free time for a session before "
            f'<time datetime="{iso_z(availability.searched_to)}" data-moment>'
            f"{_utc_text(availability.searched_to)} UTC</time> ({escape(why)}).</p>\n"
        )
    if availability.office_hours:
        times += f'<p class="note" id="office-hours">{first} {escape(availability.office_hours)}.</p>\n'
    body = (
        f"<h1>Book a {minutes}-minute mentoring session with {name}</h1>\n"
        "<p>One skill, one question, on Teams: a short session with a 2&ndash;10&ndash;3 agenda.</p>\n"
        f'<h2 id="free">{name}\'s next free times</h2>\n'
        '<p class="note" id="zone">Times are in UTC.</p>\n'
        f"{times}"
        f'<p><a class="button" href="{escape(book_href)}">Book a time</a></p>\n'
        '<p class="note">Booking asks you to sign in with your work account.</p>\n'
        f'<p class="note">This link expires on <time datetime="{iso_z(expires)}" data-moment>'
        f"{_utc_text(expires)} UTC</time>.</p>\n"
    )
    return _page(f"Book a session with {availability.display_name}", body)


def refusal_page(title: str, message: str) -> str:
    """The page of a link that cannot be used (changed, expired, or its mentor gone), in plain words."""
    body = f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>\n"
    return _page(title, body, refused=True)


def book_href(mentor: str) -> str:
    """The task pane, relative to `/api/links/{token}` (so any route prefix works), with the mentor filled in."""
    return "../addin/taskpane.html?" + urlencode({"mentor": mentor})
