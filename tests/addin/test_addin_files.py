"""The add-in's files: served by GET /api/addin/... with the right types and nothing else; the manifest
carries what Outlook needs, in the schema's order; the vendored MSAL.js is the pinned npm build."""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from functions.addin import resolve_asset
from tests.conftest import LiveApi

ADDIN = Path(__file__).resolve().parents[2] / "addin"
NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    "ov": "http://schemas.microsoft.com/office/mailappversionoverrides",
    "ov11": "http://schemas.microsoft.com/office/mailappversionoverrides/1.1",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
XSI_TYPE = f"{{{NS['xsi']}}}type"
PLACEHOLDER_ORIGIN = "https://localhost:3000"


# --- the static route ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("taskpane.html", "text/html; charset=utf-8"),
        ("taskpane.js", "text/javascript; charset=utf-8"),
        ("taskpane.css", "text/css; charset=utf-8"),
        ("manifest.xml", "application/xml"),
        ("vendor/msal-browser.min.js", "text/javascript; charset=utf-8"),
        ("assets/icon-80.png", "image/png"),
    ],
)
def test_files_are_served_with_their_type(live_api: LiveApi, path: str, content_type: str) -> None:
    answer = httpx.get(f"{live_api.url}/addin/{path}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == content_type
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.content == (ADDIN / path).read_bytes()


def test_html_carries_a_content_security_policy_and_etags_revalidate(live_api: LiveApi) -> None:
    answer = httpx.get(f"{live_api.url}/addin/taskpane.html")
    csp = answer.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self' https://appsforoffice.microsoft.com" in csp
    again = httpx.get(f"{live_api.url}/addin/taskpane.html", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_config_json_comes_from_the_settings(live_api: LiveApi) -> None:
    config = httpx.get(f"{live_api.url}/addin/config.json").json()
    graph = live_api.runtime.settings.graph
    assert graph is not None
    assert config == {
        "clientId": graph.client_id,
        "authority": graph.authority_url,
        "scopes": ["api://micromentor/access_as_user"],
    }


@pytest.mark.parametrize(
    "path",
    [
        "package.json",
        "package-lock.json",
        "scripts/vendor.mjs",
        "node_modules/@azure/msal-browser/package.json",
        ".gitignore",
        "README.md",
        "..%2F..%2Fpyproject.toml",
        "%2e%2e/pyproject.toml",
        "vendor/..%2Fpackage.json",
        "vendor/%2e%2e",
        "assets/.hidden.png",
        "nothing.html",
        "taskpane.html.bak",
    ],
)
def test_other_files_and_traversal_are_refused(live_api: LiveApi, path: str) -> None:
    answer = httpx.get(f"{live_api.url}/addin/{path}")
    assert answer.status_code == 404, path
    assert b"[project]" not in answer.content and b"msal" not in answer.content


def test_resolve_asset_stays_inside_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "addin"
    (root / "vendor").mkdir(parents=True)
    (root / "taskpane.html").write_text("<p>hi</p>")
    (root / "vendor" / "lib.js").write_text("1")
    (tmp_path / "secret.js").write_text("secret")
    (root / "vendor" / "escape.js").symlink_to(tmp_path / "secret.js")
    (root / "link.html").symlink_to(root / "taskpane.html")  # a link inside the folder is fine

    assert resolve_asset(None, "taskpane.html", root) == (root / "taskpane.html").resolve()
    assert resolve_asset("vendor", "lib.js", root) == (root / "vendor" / "lib.js").resolve()
    assert resolve_asset(None, "link.html", root) == (root / "taskpane.html").resolve()
    for folder, name in [
        ("vendor", "escape.js"),
        (None, "../secret.js"),
        (None, ".."),
        ("..", "secret.js"),
        ("other", "lib.js"),
        (None, "missing.html"),
        (None, "vendor"),
        (None, "Taskpane.exe"),
        (None, "a\x00.html"),
        (None, ""),
    ]:
        assert resolve_asset(folder, name, root) is None, (folder, name)


# --- the task pane's own files ------------------------------------------------------------------------


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [value for name, value in attrs if name in {"src", "href"} and value]


@pytest.mark.parametrize("page", ["taskpane.html", "commands.html", "support.html", "auth-redirect.html"])
def test_pages_load_nothing_from_outside_but_office_js(page: str) -> None:
    parser = _Refs()
    parser.feed((ADDIN / page).read_text(encoding="utf-8"))
    for ref in parser.refs:
        if ref.startswith("https://"):
            assert ref == "https://appsforoffice.microsoft.com/lib/1/hosted/office.js", ref
        else:
            assert (ADDIN / ref.split("?")[0]).is_file(), ref
    for script in ("taskpane.js", "taskpane.css", "commands.js", "auth-redirect.js"):
        assert not re.search(r"https?://", (ADDIN / script).read_text(encoding="utf-8")), script


def test_vendored_msal_is_the_pinned_npm_build() -> None:
    pinned = json.loads((ADDIN / "package.json").read_text())["dependencies"]["@azure/msal-browser"]
    locked = json.loads((ADDIN / "package-lock.json").read_text())["packages"]["node_modules/@azure/msal-browser"]
    assert locked["version"] == pinned
    bundle = (ADDIN / "vendor" / "msal-browser.min.js").read_text(encoding="utf-8")
    assert bundle.startswith(f"/*! @azure/msal-browser v{pinned} ")
    assert "createNestablePublicClientApplication" in bundle
    installed = ADDIN / "node_modules" / "@azure" / "msal-browser"
    if not installed.is_dir():
        pytest.skip("addin/node_modules is not installed (npm ci in addin/ checks the vendored copy)")
    assert bundle.encode() == (installed / "lib" / "msal-browser.min.js").read_bytes()
    bridge = installed / "lib" / "redirect-bridge" / "msal-redirect-bridge.min.js"
    assert (ADDIN / "vendor" / "msal-redirect-bridge.min.js").read_bytes() == bridge.read_bytes()


# --- the manifest -------------------------------------------------------------------------------------


def manifest() -> ET.Element:
    return ET.parse(ADDIN / "manifest.xml").getroot()


def local(tag: str) -> str:
    return tag.split("}")[-1]


def test_manifest_is_a_mail_app_with_the_required_elements_in_schema_order() -> None:
    root = manifest()
    assert root.tag == f"{{{NS['o']}}}OfficeApp" and root.get(XSI_TYPE) == "MailApp"
    order = [
        "Id", "Version", "ProviderName", "DefaultLocale", "DisplayName", "Description", "IconUrl",
        "HighResolutionIconUrl", "SupportUrl", "AppDomains", "Hosts", "Requirements", "FormSettings",
        "Permissions", "Rule", "DisableEntityHighlighting", "VersionOverrides",
    ]  # fmt: skip
    assert [local(child.tag) for child in root] == order
    uuid.UUID(root.findtext("o:Id", namespaces=NS))
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", root.findtext("o:Version", namespaces=NS) or "")
    assert root.find("o:DisplayName", NS).get("DefaultValue") == "micromentor"  # type: ignore[union-attr]
    assert root.find("o:Hosts/o:Host", NS).get("Name") == "Mailbox"  # type: ignore[union-attr]
    mailbox = root.find("o:Requirements/o:Sets/o:Set", NS)
    assert mailbox is not None and mailbox.get("Name") == "Mailbox" and mailbox.get("MinVersion") == "1.1"
    assert root.findtext("o:Permissions", namespaces=NS) == "ReadItem"
    rules = {(r.get("ItemType"), r.get("FormType")) for r in root.iter(f"{{{NS['o']}}}Rule") if r.get("ItemType")}
    assert ("Message", "Read") in rules
    forms = root.findall("o:FormSettings/o:Form", NS)
    assert {f.get(XSI_TYPE) for f in forms} == {"ItemRead", "ItemEdit"}


def _surfaces(overrides: ET.Element, ns: str) -> dict[str | None, str | None]:
    """Each extension point of one VersionOverrides layer and the URL its button's task pane opens."""
    urls = {u.get("id"): u.get("DefaultValue") for u in overrides.iter(f"{{{NS['bt']}}}Url")}
    found: dict[str | None, str | None] = {}
    for point in overrides.findall(f"{{{ns}}}Hosts/{{{ns}}}Host/{{{ns}}}DesktopFormFactor/{{{ns}}}ExtensionPoint"):
        action = point.find(f".//{{{ns}}}Control/{{{ns}}}Action")
        assert action is not None and action.get(XSI_TYPE) == "ShowTaskpane"
        source = action.find(f"{{{ns}}}SourceLocation")
        found[point.get(XSI_TYPE)] = urls[source.get("resid") if source is not None else None]
    return found


def test_manifest_version_overrides_add_a_task_pane_button_to_read_and_compose() -> None:
    # Mail VersionOverrides 1.0 has no WebApplicationInfo in its schema: SSO lives in the nested 1.1
    # layer, which (not inheriting from 1.0) repeats the buttons and resources.
    outer = manifest().find("ov:VersionOverrides", NS)
    assert outer is not None and outer.get(XSI_TYPE) == "VersionOverridesV1_0"
    assert [local(child.tag) for child in outer] == ["Requirements", "Hosts", "Resources", "VersionOverrides"]
    inner = outer.find("ov11:VersionOverrides", NS)
    assert inner is not None and inner.get(XSI_TYPE) == "VersionOverridesV1_1"
    assert [local(child.tag) for child in inner] == ["Requirements", "Hosts", "Resources", "WebApplicationInfo"]
    taskpane = f"{PLACEHOLDER_ORIGIN}/api/addin/taskpane.html"
    both = {"MessageReadCommandSurface": taskpane, "MessageComposeCommandSurface": taskpane}
    for layer, ns in ((outer, NS["ov"]), (inner, NS["ov11"])):
        assert _surfaces(layer, ns) == both
        resources = layer.find(f"{{{ns}}}Resources")
        assert resources is not None
        defined = {e.get("id") for e in resources.iter() if e.get("id")}
        used = {e.get("resid") for e in layer.iter() if e.get("resid")}
        assert used <= defined, used - defined
    info = inner.find("ov11:WebApplicationInfo", NS)
    assert info is not None
    client_id = info.findtext("ov11:Id", namespaces=NS) or ""
    uuid.UUID(client_id)
    assert info.findtext("ov11:Resource", namespaces=NS) == f"api://localhost:3000/{client_id}"
    assert [s.text for s in info.findall("ov11:Scopes/ov11:Scope", NS)] == ["openid", "profile"]


def test_every_url_in_the_manifest_is_https_and_names_a_served_file() -> None:
    root = manifest()
    values = [e.get("DefaultValue") or "" for e in root.iter() if (e.get("DefaultValue") or "").startswith("http")]
    values += [e.text or "" for e in root.iter(f"{{{NS['o']}}}AppDomain")]
    assert values and all(v.startswith("https://") for v in values)
    for value in values:
        if value.startswith(f"{PLACEHOLDER_ORIGIN}/api/addin/"):
            assert (ADDIN / value.removeprefix(f"{PLACEHOLDER_ORIGIN}/api/addin/")).is_file(), value
