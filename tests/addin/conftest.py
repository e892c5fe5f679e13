"""Headless Chromium for the add-in tests (Python playwright driving Debian's /usr/bin/chromium), and the
test doubles that stand in for Office.js and MSAL.js: they hand the page a token the emulator signed."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("MICROMENTOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
OFFICE_CDN = "https://appsforoffice.microsoft.com/"
# Root needs --no-sandbox; /dev/shm is small in containers.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium is not installed ({CHROMIUM}): apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def office_stub(*, upn: str, token: str, nested: bool, sender: str | None) -> str:
    """Office.js as Outlook on the web presents it to a message-read task pane, reduced to what the
    task pane uses: onReady, the requirement-set check, the mailbox user and item, and SSO."""
    item = {"itemType": "message", "from": {"emailAddress": sender, "displayName": sender}} if sender else None
    return f"""
window.__officeSso = 0;
window.Office = {{
  onReady: function (callback) {{
    var info = {{ host: "Outlook", platform: "OfficeOnline" }};
    if (callback) {{ callback(info); }}
    return Promise.resolve(info);
  }},
  context: {{
    requirements: {{
      isSetSupported: function (name) {{ return name === "NestedAppAuth" ? {json.dumps(nested)} : true; }}
    }},
    mailbox: {{ userProfile: {{ emailAddress: {json.dumps(upn)} }}, item: {json.dumps(item)} }}
  }},
  auth: {{ getAccessToken: function () {{ window.__officeSso += 1; return Promise.resolve({json.dumps(token)}); }} }}
}};
"""


def msal_stub(*, upn: str, token: str, silent: bool = True) -> str:
    """MSAL.js's nestable public client: records its configuration and scopes, returns the token.
    With `silent=False` the silent call fails and only the (click-started) popup signs in."""
    return f"""
window.__msal = {{ config: null, scopes: null, popups: 0 }};
window.msal = {{
  createNestablePublicClientApplication: function (config) {{
    window.__msal.config = config;
    var account = null;
    var result = {{ accessToken: {json.dumps(token)}, account: {{ username: {json.dumps(upn)} }} }};
    return Promise.resolve({{
      getActiveAccount: function () {{ return account; }},
      getAllAccounts: function () {{ return account ? [account] : []; }},
      setActiveAccount: function (chosen) {{ account = chosen; }},
      acquireTokenSilent: function (request) {{
        window.__msal.scopes = request.scopes;
        return {json.dumps(silent)} || account ? Promise.resolve(result) : Promise.reject(new Error("no account"));
      }},
      acquireTokenPopup: function (request) {{
        window.__msal.popups += 1;
        window.__msal.scopes = request.scopes;
        return Promise.resolve(result);
      }}
    }});
  }}
}};
"""


class Network:
    """Routes a browser context: loopback passes, the Office CDN gets `office` (or fails, as when the
    CDN is unreachable), MSAL.js gets `msal`; anything else is refused and remembered."""

    def __init__(self, context: Any, *, office: str | None, msal: str | None) -> None:
        self.external: list[str] = []
        self.office, self.msal = office, msal
        context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(OFFICE_CDN):
            if self.office is None:
                route.abort()
            else:
                route.fulfill(status=200, content_type="text/javascript", body=self.office)
        elif url.split("?")[0].endswith("/api/addin/vendor/msal-browser.min.js") and self.msal is not None:
            route.fulfill(status=200, content_type="text/javascript", body=self.msal)
        elif urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.external.append(url)
            route.abort()


_NO_STRING_EVAL = (
    "wait_for_function is refused in the add-in tests: the pages' CSP has no 'unsafe-eval', and Playwright "
    "polls a string predicate with eval after its first check, so it passes only when the predicate is "
    "already true on the first check (a race with the page's sign-in: the old 1-in-4 failure). Wait on a "
    "locator (locator.wait_for, expect(...).to_have_text/value) instead."
)


@pytest.fixture(autouse=True)
def _no_wait_for_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the flaky pattern fail every time instead of one run in four."""
    try:
        from playwright.sync_api import Frame, Page
    except ImportError:
        return

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError(_NO_STRING_EVAL)

    monkeypatch.setattr(Page, "wait_for_function", refuse)
    monkeypatch.setattr(Frame, "wait_for_function", refuse)
