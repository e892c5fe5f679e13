"""Signed booking links: POST /api/links (the mentor or an admin makes one) and GET /api/links/{token}
(the one route without a bearer token: a small HTML page of the mentor's next free times)."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Any

import azure.functions as func

from core.errors import NotFound
from core.timefmt import iso_z
from functions.auth import respond_as_caller
from functions.links.page import CONTENT_SECURITY_POLICY, availability_page, book_href, refusal_page
from functions.model_answers import model_response
from functions.schemas import DEFAULT_TTL_HOURS, LinkAnswer, LinkRequest, parse_body
from graph.errors import GraphError, GraphNotFound, GraphUnavailable
from identity import Caller, Forbidden
from micromentor.bootstrap import Runtime, runtime
from services.links import (
    LinkExpired,
    LinkInvalid,
    MentorAvailability,
    make_link,
    mentor_availability,
    read_link,
)
from services.people import object_ids

__all__ = ["DEFAULT_TTL_HOURS", "bp"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger(__name__)

_DEFAULT_SECRET = "change-me"
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}


def _secret(rt: Runtime) -> str:
    secret = rt.settings.link_secret
    if secret == _DEFAULT_SECRET and rt.first_time("link-secret warning"):
        # Fine against the emulator; on a real tenant anyone could forge links to read a mentor's free times.
        log.warning("MICROMENTOR_LINK_SECRET is not set: booking links are signed with the public default")
    return secret


async def _availability(rt: Runtime, mentor: str, now: datetime) -> MentorAvailability:
    """A mentor's free times, kept a minute by the runtime (`Runtime.link_availability`)."""
    found = rt.link_availability.get(mentor)
    if found is None:
        found = await mentor_availability(rt.graph, await rt.policy(), mentor, now=now)
        rt.link_availability.put(mentor, found)
    return found


@bp.route(route="links", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def create_link(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(caller: Caller) -> func.HttpResponse:
        rt = runtime()
        body = parse_body(req, LinkRequest)
        mentor, mentee, ttl = body.mentor, body.mentee, timedelta(hours=body.ttl_hours)
        now = rt.clock()
        secret = _secret(rt)
        token = make_link(mentor, secret=secret, now=now, ttl=ttl, mentee=mentee)  # validates the names
        if not (caller.is_admin or caller.oid.lower() in await object_ids(rt.graph, [mentor])):
            raise Forbidden("only the mentor or an admin may make this mentor's booking links")
        for field, person in (("mentor", mentor), ("mentee", mentee)):
            try:
                if person is not None:
                    await rt.graph.get_user(person)
            except GraphNotFound:
                raise NotFound(field, f"unknown user {person}") from None
        claims = read_link(token, secret=secret, now=now)
        answer: dict[str, Any] = {
            "url": f"{rt.settings.public_url.rstrip('/')}/api/links/{token}",
            "token": token,
            "mentor": claims.mentor,
            "expires": iso_z(claims.expires),
        }
        if claims.mentee:
            answer["mentee"] = claims.mentee
        return model_response(LinkAnswer, answer, 201)

    return await respond_as_caller(req, handle)


def _html(text: str, status: int, extra: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        text, status_code=status, mimetype="text/html", charset="utf-8", headers={**_PAGE_HEADERS, **(extra or {})}
    )


@bp.route(route="links/{token}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def link_page(req: func.HttpRequest) -> func.HttpResponse:
    """Anonymous by design: the signature is the authority, and the page shows only the mentor's free
    times (never a mentee's). Booking from it goes through the task pane and the mentee's sign-in."""
    try:
        rt = runtime()
        now = rt.clock()
        claims = read_link(req.route_params.get("token", ""), secret=_secret(rt), now=now)
        availability = await _availability(rt, claims.mentor, now)
    except LinkExpired as exc:
        log.info("expired booking link for %s", exc.mentor)
        return _html(
            refusal_page(
                "This link has expired",
                f"This booking link expired on {exc.expires:%d %B %Y at %H:%M} UTC. Ask {exc.mentor} for a new one.",
            ),
            410,
        )
    except LinkInvalid as exc:
        log.info("refused booking link: %s (%s)", exc.reason, exc.message)
        return _html(
            refusal_page(
                "This link was changed",
                "This link was changed after it was made, or part of it is missing, so it cannot be used. "
                "Ask the mentor who shared it for a new one.",
            ),
            400,
        )
    except NotFound:
        return _html(
            refusal_page("This mentor is not available", "The mentor of this link is no longer in the directory."),
            404,
        )
    except GraphUnavailable as exc:
        after = str(math.ceil(exc.retry_after)) if exc.retry_after is not None else "30"
        message = "The calendar service is busy. Please try again in a minute."
        return _html(refusal_page("Please try again shortly", message), 503, {"Retry-After": after})
    except GraphError:
        log.exception("booking link page: Graph refused")
        return _html(refusal_page("Something went wrong", "The calendar could not be read. Please try later."), 502)
    except Exception:
        log.exception("booking link page failed")
        return _html(refusal_page("Something went wrong", "This page could not be shown. Please try later."), 500)
    page = availability_page(availability, expires=claims.expires, book_href=book_href(claims.mentor))
    return _html(page, 200)
