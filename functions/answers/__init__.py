"""Answer links of the outcome messages: GET /api/answers/{token} records the one-click answer and shows a
small page; POST /api/answers/{token} adds the optional line (check-in) or the next step and success
indicator (mentor follow-up). No sign-in: the signature is the authority (services/answer_links.py)."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from urllib.parse import parse_qs

import azure.functions as func

from core.errors import InputError
from micromentor.bootstrap import runtime
from services.answer_links import AnswerLinkExpired, record_answer, record_next_step
from services.links import LinkInvalid
from services.outcome_catalogue import language_of, text
from store.outbox import MessageKind

__all__ = ["bp"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}
_MAX_FORM_BYTES = 8192


def _language(req: func.HttpRequest) -> str:
    return language_of((req.headers.get("Accept-Language") or "").split(",", 1)[0].strip())


def _page(language: str, body: str, status: int) -> func.HttpResponse:
    html = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>micromentor</title></head>'
        f"<body>{body}</body></html>"
    )
    return func.HttpResponse(html, status_code=status, mimetype="text/html", charset="utf-8", headers=_HEADERS)


def _form(language: str, question: MessageKind) -> str:
    if question is MessageKind.MENTEE_CHECKIN:
        fields = f'<label>{escape(text(language, "page.note"))} <input name="note" maxlength="500"></label>'
    elif question is MessageKind.MENTOR_FOLLOWUP:
        fields = (
            f'<p><label>{escape(text(language, "page.next_step"))} <input name="next_step" maxlength="500"></label></p>'
            f"<p><label>{escape(text(language, 'page.success_indicator'))} "
            '<input name="success_indicator" maxlength="500"></label></p>'
        )
    else:
        return ""
    return f'<form method="post">{fields} <button>{escape(text(language, "page.save"))}</button></form>'


def _refused(language: str, exc: Exception) -> func.HttpResponse:
    if isinstance(exc, AnswerLinkExpired):
        return _page(language, f"<p>{escape(text(language, 'page.expired'))}</p>", 410)
    return _page(language, f"<p>{escape(text(language, 'page.tampered'))}</p>", 400)


@bp.route(route="answers/{token}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def answer(req: func.HttpRequest) -> func.HttpResponse:
    language = _language(req)
    rt = runtime()
    try:
        claims = await asyncio.to_thread(
            record_answer, rt.outbox, req.route_params.get("token", ""), secret=rt.settings.link_secret, now=rt.clock()
        )
    except (LinkInvalid, AnswerLinkExpired) as exc:
        log.info("refused answer link: %s", exc)
        return _refused(language, exc)
    label = claims.choice.replace("_", " ")
    body = f"<p>{escape(text(language, 'page.recorded', choice=label))}</p>{_form(language, claims.question)}"
    return _page(language, body, 200)


@bp.route(route="answers/{token}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def answer_details(req: func.HttpRequest) -> func.HttpResponse:
    language = _language(req)
    rt = runtime()
    token = req.route_params.get("token", "")
    raw = req.get_body()
    try:
        if len(raw) > _MAX_FORM_BYTES:
            raise InputError("body", f"at most {_MAX_FORM_BYTES} bytes")
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", errors="strict")).items()}
        unknown = set(form) - {"note", "next_step", "success_indicator"}
        if unknown:
            raise InputError(sorted(unknown)[0], "unknown field")
        now, secret = rt.clock(), rt.settings.link_secret
        if "next_step" in form or "success_indicator" in form:
            await asyncio.to_thread(
                record_next_step, rt.outbox, token, secret=secret, now=now,
                next_step=form.get("next_step"), success_indicator=form.get("success_indicator"),
            )  # fmt: skip
        else:
            await asyncio.to_thread(record_answer, rt.outbox, token, secret=secret, now=now, note=form.get("note"))
    except (LinkInvalid, AnswerLinkExpired) as exc:
        return _refused(language, exc)
    except (InputError, UnicodeDecodeError) as exc:
        field = exc.field if isinstance(exc, InputError) else "body"
        message = exc.message if isinstance(exc, InputError) else "not UTF-8"
        return _page(language, f"<p>{escape(field)}: {escape(message)}</p>", 400)
    return _page(language, f"<p>{escape(text(language, 'page.saved'))}</p>", 200)
