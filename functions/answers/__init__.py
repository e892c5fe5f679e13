"""Answer links of the outcome messages. No sign-in: the signature is the authority (services/answer_links.py).

GET (and HEAD) /api/answers/{token} never writes: link scanners (Safe Links, mail gateways) open every link of
a mail. It shows the question with the link's choice preselected in a form that records it by POST; a small
script (allowed by the page's CSP nonce) submits it at once, so a person still answers in one click, and the
visible button does it where scripts do not run. POST /api/answers/{token} (form: `choice`, and the optional
`note`, or the mentor's `next_step` and `success_indicator`) records, then offers the optional fields.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from html import escape
from urllib.parse import parse_qs

import azure.functions as func

from core.errors import InputError
from micromentor.bootstrap import Runtime, runtime
from services.answer_links import (
    CHOICES,
    AnswerClaims,
    AnswerLinkExpired,
    current_note,
    read_answer_token,
    record_answer,
    record_next_step,
)
from services.links import LinkInvalid
from services.outcome_catalogue import language_of, text
from store.outbox import MessageKind, SessionNotes

__all__ = ["bp"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)
_CSP = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}
_MAX_FORM_BYTES = 8192
_FIELDS = ("choice", "note", "next_step", "success_indicator")


def _language(req: func.HttpRequest) -> str:
    return language_of((req.headers.get("Accept-Language") or "").split(",", 1)[0].strip())


def _page(language: str, body: str, status: int, *, nonce: str | None = None) -> func.HttpResponse:
    html = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>micromentor</title></head>'
        f"<body>{body}</body></html>"
    )
    csp = _CSP if nonce is None else f"{_CSP}; script-src 'nonce-{nonce}'"
    headers = {**_HEADERS, "Content-Security-Policy": csp}
    return func.HttpResponse(html, status_code=status, mimetype="text/html", charset="utf-8", headers=headers)


def _label(choice: str) -> str:
    return choice.replace("_", " ")


def _field(language: str, key: str, name: str, value: str | None) -> str:
    shown = f' value="{escape(value)}"' if value else ""
    return f'<p><label>{escape(text(language, key))} <input name="{name}" maxlength="500"{shown}></label></p>'


def _details(language: str, claims: AnswerClaims, note: str | None, notes: SessionNotes | None) -> str:
    """The optional fields, after the answer is recorded; filled with what is saved, so sending the form
    unchanged changes nothing and emptying the line clears it."""
    if claims.question is MessageKind.MENTEE_CHECKIN:
        fields = _field(language, "page.note", "note", note)
    elif claims.question is MessageKind.MENTOR_FOLLOWUP:
        fields = _field(language, "page.next_step", "next_step", notes.next_step if notes else None) + _field(
            language, "page.success_indicator", "success_indicator", notes.success_indicator if notes else None
        )
    else:
        return ""
    hidden = f'<input type="hidden" name="choice" value="{escape(claims.choice)}">'
    return f'<form method="post">{hidden}{fields}<button>{escape(text(language, "page.save"))}</button></form>'


def _confirm(language: str, claims: AnswerClaims, nonce: str) -> str:
    """The choice preselected, recorded by POST: at once by the script, or by the button."""
    options = "".join(
        f'<label><input type="radio" name="choice" value="{escape(c)}"{" checked" if c == claims.choice else ""}>'
        f" {escape(_label(c))}</label> "
        for c in CHOICES[claims.question]
    )
    question = escape(text(language, f"{claims.question.value}.question"))
    return (
        f'<form id="answer" method="post"><p>{question}</p><p>{options}</p>'
        f'<button>{escape(text(language, "page.confirm"))}</button></form>'
        f'<script nonce="{nonce}">document.getElementById("answer").submit();</script>'
    )


def _refused(language: str, exc: Exception) -> func.HttpResponse:
    if isinstance(exc, AnswerLinkExpired):
        return _page(language, f"<p>{escape(text(language, 'page.expired'))}</p>", 410)
    return _page(language, f"<p>{escape(text(language, 'page.tampered'))}</p>", 400)


def _bad_input(language: str, field: str, message: str) -> func.HttpResponse:
    return _page(language, f"<p>{escape(field)}: {escape(message)}</p>", 400)


# GET only: HEAD reaches this same code where the host maps it to GET (the local host does), else no route.
@bp.route(route="answers/{token}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def answer(req: func.HttpRequest) -> func.HttpResponse:
    language = _language(req)
    rt = runtime()
    try:
        claims = read_answer_token(req.route_params.get("token", ""), secret=rt.settings.link_secret, now=rt.clock())
    except (LinkInvalid, AnswerLinkExpired) as exc:
        log.info("refused answer link: %s", exc)
        return _refused(language, exc)
    nonce = secrets.token_urlsafe(18)
    return _page(language, _confirm(language, claims, nonce), 200, nonce=nonce)


def _form(raw: bytes) -> dict[str, str]:
    """The POSTed form: each known field at most once; blank values kept (an emptied line clears it)."""
    if len(raw) > _MAX_FORM_BYTES:
        raise InputError("body", f"at most {_MAX_FORM_BYTES} bytes")
    try:
        text_body = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InputError("body", "not UTF-8") from None
    parsed = parse_qs(text_body, keep_blank_values=True)
    unknown = set(parsed) - set(_FIELDS)
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown field")
    repeated = sorted(k for k, v in parsed.items() if len(v) > 1)
    if repeated:
        raise InputError(repeated[0], "given more than once")
    form = {k: v[0] for k, v in parsed.items()}
    if not form.get("choice", "").strip():
        raise InputError("choice", "required: the answer to record")
    return form


def _record(rt: Runtime, token: str, form: dict[str, str]) -> tuple[AnswerClaims, str | None, SessionNotes | None]:
    now, secret = rt.clock(), rt.settings.link_secret
    claims, choice = read_answer_token(token, secret=secret, now=now), form["choice"].strip()
    if choice not in CHOICES[claims.question]:
        raise InputError("choice", f"one of {', '.join(CHOICES[claims.question])}")
    if "note" in form and claims.question is not MessageKind.MENTEE_CHECKIN:
        raise InputError("note", "only a check-in answer carries a line")
    if "next_step" in form or "success_indicator" in form:  # checked (and refused) before anything is written
        record_next_step(
            rt.outbox, token, secret=secret, now=now,
            next_step=form.get("next_step"), success_indicator=form.get("success_indicator"),
        )  # fmt: skip
    claims = record_answer(rt.outbox, token, secret=secret, now=now, choice=choice, note=form.get("note"))
    return claims, current_note(rt.outbox, claims), rt.outbox.get_notes(claims.session_id)


@bp.route(route="answers/{token}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def answer_details(req: func.HttpRequest) -> func.HttpResponse:
    language = _language(req)
    rt = runtime()
    token = req.route_params.get("token", "")
    try:
        read_answer_token(token, secret=rt.settings.link_secret, now=rt.clock())
        form = _form(req.get_body())
        claims, note, notes = await asyncio.to_thread(_record, rt, token, form)
    except (LinkInvalid, AnswerLinkExpired) as exc:
        return _refused(language, exc)
    except InputError as exc:
        return _bad_input(language, exc.field, exc.message)
    said = text(language, "page.recorded", choice=_label(claims.choice))
    if set(form) - {"choice"}:
        said = f"{text(language, 'page.saved')} {said}"
    return _page(language, f"<p>{escape(said)}</p>{_details(language, claims, note, notes)}", 200)
