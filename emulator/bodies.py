"""Event bodies as Graph returns them: HTML, with the Teams join block appended to online meetings."""

from __future__ import annotations

import html
import re
from functools import lru_cache

__all__ = ["body_preview", "html_body", "join_block", "stored_body", "with_join_block"]

_TAGS = re.compile(r"<[^>]+>")


def join_block(join_url: str) -> str:
    return (
        '<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36">'
        "________________________________________________________________________________</span></div>"
        '<div class="me-email-text" lang="en-US" style="color:#252424">'
        '<div style="margin-top:24px;margin-bottom:20px"><span style="font-size:24px;color:#252424">'
        "Microsoft Teams meeting</span></div>"
        '<div style="margin-bottom:20px"><div style="margin-top:0px;margin-bottom:0px;font-weight:bold">'
        '<span style="font-size:14px;color:#252424">Join on your computer, mobile app or room device</span>'
        f'</div><a class="me-email-headline" href="{html.escape(join_url)}" target="_blank" '
        'rel="noreferrer noopener" style="font-size:14px;text-decoration:underline;color:#6264a7">'
        "Click here to join the meeting</a></div></div>"
    )


def html_body(body_type: str, content: str) -> str:
    if body_type == "html":
        if "<html" in content.lower():
            return content
        return f"<html><head></head><body>{content}</body></html>"
    return f"<html><head></head><body>{html.escape(content)}</body></html>"


def stored_body(body_type: str, content: str) -> str:
    # Graph returns bodies as HTML unless asked otherwise; an empty body stays empty.
    return html_body(body_type, content) if content else ""


def with_join_block(content: str, join_url: str) -> str:
    block = join_block(join_url)
    lower = content.lower()
    at = lower.rfind("</body>")
    if at < 0:
        return content + block
    return content[:at] + block + content[at:]


@lru_cache(maxsize=4096)
def body_preview(content: str) -> str:
    text = html.unescape(_TAGS.sub(" ", content))
    return " ".join(text.split())[:255]

