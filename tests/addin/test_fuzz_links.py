"""Fuzz the link and add-in routes: whatever the token, body or file name, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import LiveApi
from tests.reliability.test_fuzz_http import FUZZ, assert_clean, json_values, people

# Path segments as a client sends them: printable, without the characters that end or split a segment.
segments = st.text(
    st.characters(min_codepoint=0xA1, max_codepoint=0x2FFF) | st.characters(min_codepoint=33, max_codepoint=126),
    min_size=1,
    max_size=120,
).filter(lambda t: not set(t) & set("/?#%\\") and t not in (".", ".."))
link_bodies = st.fixed_dictionaries(
    {"mentor": people},
    optional={"mentee": people, "ttlHours": st.integers(-10, 3000) | st.floats(allow_nan=False) | st.text(max_size=5)},
)


@FUZZ
@given(body=link_bodies | json_values)
def test_post_links_never_500(live_api: LiveApi, body: Any) -> None:
    assert_clean(live_api.client.post("/links", json=body, timeout=60))


@FUZZ
@given(token=segments)
def test_link_page_never_500(live_api: LiveApi, token: str) -> None:
    answer = httpx.get(f"{live_api.url}/links/{token}", timeout=60)
    assert answer.status_code in (400, 404, 410), (token, answer.status_code)
    if answer.status_code == 400:
        assert answer.headers["content-type"] == "text/html; charset=utf-8"


@FUZZ
@given(folder=st.none() | segments, name=segments)
def test_addin_files_never_500(live_api: LiveApi, folder: str | None, name: str) -> None:
    path = f"{folder}/{name}" if folder else name
    answer = httpx.get(f"{live_api.url}/addin/{path}", timeout=30)
    assert answer.status_code in (200, 404), (path, answer.status_code)
