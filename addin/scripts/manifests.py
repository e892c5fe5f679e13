"""The add-in's two manifests from one source: the XML manifest (`addin/manifest.xml`, the template, with
placeholders) and the unified app manifest for Microsoft 365 (`addin/manifest.json`), both for one public
URL and one client id, plus the app package (manifest.json, color.png 192 px, outline.png 32 px).

    python addin/scripts/manifests.py                              # rewrite addin/manifest.json (placeholders)
    python addin/scripts/manifests.py --public-url https://<app>.azurewebsites.net --client-id <id> --out dist/addin

The unified manifest takes its id, version, names, description and URLs from manifest.xml, so the two
cannot drift; tests/addin/test_manifests.py validates it against the vendored JSON schema of its version.
Standard library only."""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ADDIN = Path(__file__).resolve().parent.parent
PLACEHOLDER_ORIGIN = "https://localhost:3000"
PLACEHOLDER_CLIENT_ID = "00000000-0000-0000-0000-000000000000"
MANIFEST_VERSION = "1.24"  # addin/schema/MicrosoftTeams.schema.v1.24.json, from npm @microsoft/app-manifest
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = "#0F6CBD"  # make_icons.BLUE
_NS = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1"}
RUNTIME_ID = "TaskPaneRuntime"
SHOW_TASKPANE = "ShowTaskPane"


def _origin(public_url: str) -> str:
    parsed = urlparse(public_url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise ValueError(f"the add-in needs an https:// public URL, not {public_url!r}")
    return f"https://{parsed.netloc}"


def xml_manifest(public_url: str = PLACEHOLDER_ORIGIN, client_id: str = PLACEHOLDER_CLIENT_ID) -> str:
    """manifest.xml with the function app's origin and the app registration's client id."""
    origin = _origin(public_url)
    text = (ADDIN / "manifest.xml").read_text(encoding="utf-8")
    text = text.replace(PLACEHOLDER_ORIGIN, origin)
    text = text.replace("api://localhost:3000/", f"api://{urlparse(origin).netloc}/")
    return text.replace(PLACEHOLDER_CLIENT_ID, client_id)


def _xml_facts(xml: str) -> dict[str, str]:
    root = ET.fromstring(xml)

    def value(tag: str, attribute: str | None = "DefaultValue") -> str:
        element = root.find(f"o:{tag}", _NS)
        if element is None:
            raise ValueError(f"manifest.xml has no {tag}")
        return (element.get(attribute) if attribute else element.text) or ""

    return {
        "id": value("Id", None),
        "version": value("Version", None),
        "provider": value("ProviderName", None),
        "name": value("DisplayName"),
        "description": value("Description"),
        "support": value("SupportUrl"),
    }


def _icons(origin: str) -> list[dict[str, Any]]:
    return [{"size": size, "url": f"{origin}/api/addin/assets/icon-{size}.png"} for size in (16, 32, 80)]


def unified_manifest(public_url: str = PLACEHOLDER_ORIGIN, client_id: str = PLACEHOLDER_CLIENT_ID) -> dict[str, Any]:
    """The unified app manifest for Microsoft 365 of the same add-in (Outlook: read and compose)."""
    origin = _origin(public_url)
    facts = _xml_facts(xml_manifest(public_url, client_id))
    host = urlparse(origin).netloc
    version = ".".join(facts["version"].split(".")[:3])  # 1.0.0.0 in XML; semantic version here
    button = {
        "type": "button",
        "label": "Book a mentor",
        "icons": _icons(origin),
        "supertip": {"title": "Book a mentor", "description": "Find a time with a mentor and book a session."},
        "actionId": SHOW_TASKPANE,
    }
    mailbox = [{"name": "Mailbox", "minVersion": "1.3"}]
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": facts["id"],
        "localizationInfo": {"defaultLanguageTag": "en-us"},
        "developer": {
            "name": facts["provider"],
            "websiteUrl": facts["support"],
            "privacyUrl": facts["support"],
            "termsOfUseUrl": facts["support"],
        },
        "name": {"short": facts["name"], "full": f"{facts['name']}: micro mentoring in Outlook"},
        "description": {"short": facts["description"][:80], "full": facts["description"]},
        "icons": {"outline": "outline.png", "color": "color.png"},
        "accentColor": ACCENT,
        "validDomains": [host],
        "webApplicationInfo": {"id": client_id, "resource": f"api://{host}/{client_id}"},
        "authorization": {
            "permissions": {"resourceSpecific": [{"name": "MailboxItem.Read.User", "type": "Delegated"}]}
        },
        "extensions": [
            {
                "requirements": {"scopes": ["mail"], "capabilities": mailbox},
                "runtimes": [
                    {
                        "requirements": {"capabilities": mailbox},
                        "id": RUNTIME_ID,
                        "type": "general",
                        "code": {"page": f"{origin}/api/addin/taskpane.html"},
                        "lifetime": "short",
                        "actions": [{"id": SHOW_TASKPANE, "type": "openPage", "pinnable": False}],
                    }
                ],
                "ribbons": [
                    {
                        "contexts": ["mailRead", "mailCompose"],
                        "tabs": [
                            {
                                "builtInTabId": "TabDefault",
                                "groups": [
                                    {
                                        "id": "micromentorGroup",
                                        "label": facts["name"],
                                        "icons": _icons(origin),
                                        "controls": [{"id": "micromentorShowTaskPane", **button}],
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }


def render(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def write_package(out: Path, public_url: str, client_id: str) -> Path:
    """manifest.xml, manifest.json and the app package zip (what the admin center uploads) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.xml").write_text(xml_manifest(public_url, client_id), encoding="utf-8")
    manifest = render(unified_manifest(public_url, client_id))
    (out / "manifest.json").write_text(manifest, encoding="utf-8")
    package = out / "micromentor-addin.zip"
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest)
        for icon in ("color.png", "outline.png"):  # drawn by make_icons.py
            archive.write(ADDIN / "assets" / icon, icon)
    return package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--public-url", default=PLACEHOLDER_ORIGIN, help="the function app's https:// URL")
    parser.add_argument("--client-id", default=PLACEHOLDER_CLIENT_ID, help="the app registration's client id")
    parser.add_argument("--out", type=Path, help="folder for both manifests and the app package")
    args = parser.parse_args(argv)
    if args.out is None:
        (ADDIN / "manifest.json").write_text(
            render(unified_manifest(args.public_url, args.client_id)), encoding="utf-8"
        )
        return 0
    print(write_package(args.out, args.public_url, args.client_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
