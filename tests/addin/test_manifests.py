"""The add-in's unified app manifest for Microsoft 365, generated from manifest.xml by
addin/scripts/manifests.py: in step with it, valid against the published JSON schema of its version
(vendored from npm's @microsoft/app-manifest), and packaged with the icons the admin center asks for."""

from __future__ import annotations

import copy
import json
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest

ADDIN = Path(__file__).resolve().parents[2] / "addin"
sys.path.insert(0, str(ADDIN / "scripts"))
import manifests  # noqa: E402  (a script beside the add-in, not a package)

SCHEMA_FILE = ADDIN / "schema" / f"MicrosoftTeams.schema.v{manifests.MANIFEST_VERSION}.json"
PUBLIC_URL = "https://func-mm-abc123.azurewebsites.net"
CLIENT_ID = "8a1d4c3e-5b6f-4a7b-9c8d-0e1f2a3b4c5d"


# The schema says draft-04 but uses draft-06's `const` (manifestVersion): honour it as Microsoft's tools do.
_Validator = jsonschema.validators.extend(
    jsonschema.Draft4Validator, {"const": jsonschema.Draft7Validator.VALIDATORS["const"]}
)


def validator() -> Any:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return _Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(manifest: dict[str, Any]) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator().iter_errors(manifest)]


def test_the_committed_manifest_json_is_the_one_manifest_xml_generates() -> None:
    committed = (ADDIN / "manifest.json").read_text(encoding="utf-8")
    assert committed == manifests.render(manifests.unified_manifest()), "run: python addin/scripts/manifests.py"


def test_the_manifest_validates_against_the_schema_of_its_version() -> None:
    manifest = manifests.unified_manifest(PUBLIC_URL, CLIENT_ID)
    assert errors(manifest) == []
    assert errors(json.loads((ADDIN / "manifest.json").read_text(encoding="utf-8"))) == []
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["properties"]["manifestVersion"]["const"] == manifests.MANIFEST_VERSION
    assert manifest["$schema"].endswith(f"/v{manifests.MANIFEST_VERSION}/MicrosoftTeams.schema.json")


@pytest.mark.parametrize(
    "break_it",
    [
        lambda m: m.pop("icons"),
        lambda m: m.update(manifestVersion="1.99"),
        lambda m: m.update(color="#fff"),  # no such property
        lambda m: m["extensions"][0]["requirements"].update(scopes=["calendar"]),
        lambda m: m["extensions"][0]["runtimes"][0].update(type="mailbox"),
    ],
)
def test_the_schema_refuses_a_broken_manifest(break_it: Any) -> None:
    manifest = copy.deepcopy(manifests.unified_manifest(PUBLIC_URL, CLIENT_ID))
    break_it(manifest)
    assert errors(manifest)


def test_the_vendored_schema_is_the_one_npm_ships() -> None:
    published = (
        ADDIN
        / "node_modules/@microsoft/app-manifest/build/json-schemas/teams"
        / f"v{manifests.MANIFEST_VERSION}/MicrosoftTeams.schema.json"
    )
    if not published.is_file():
        pytest.skip("addin/node_modules is not installed (npm ci in addin/)")
    assert json.loads(published.read_text(encoding="utf-8")) == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_both_manifests_name_the_same_add_in_at_the_public_url_with_the_client_id() -> None:
    manifest = manifests.unified_manifest(PUBLIC_URL, CLIENT_ID)
    xml = manifests.xml_manifest(PUBLIC_URL, CLIENT_ID)
    assert manifests.PLACEHOLDER_CLIENT_ID not in xml and "localhost" not in xml
    root = ET.fromstring(xml)
    ns = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1"}
    assert manifest["id"] == root.findtext("o:Id", namespaces=ns)
    assert manifest["version"] + ".0" == root.findtext("o:Version", namespaces=ns)
    assert manifest["webApplicationInfo"] == {
        "id": CLIENT_ID,
        "resource": f"api://{urlparse(PUBLIC_URL).netloc}/{CLIENT_ID}",
    }
    assert manifest["validDomains"] == [urlparse(PUBLIC_URL).netloc]
    text = json.dumps(manifest)
    urls = [u for u in text.split('"') if u.startswith("http") and "json-schemas" not in u]
    assert urls and all(u.startswith(PUBLIC_URL + "/api/addin/") for u in urls)
    served = {p.relative_to(ADDIN).as_posix() for p in ADDIN.rglob("*") if p.is_file()}
    assert {u.removeprefix(PUBLIC_URL + "/api/addin/") for u in urls} <= served


def test_every_ribbon_button_opens_an_action_of_a_runtime() -> None:
    [extension] = manifests.unified_manifest(PUBLIC_URL, CLIENT_ID)["extensions"]
    actions = {a["id"] for runtime in extension["runtimes"] for a in runtime["actions"]}
    controls = [c for r in extension["ribbons"] for t in r["tabs"] for g in t["groups"] for c in g["controls"]]
    assert controls and all(c["actionId"] in actions for c in controls)
    assert {"mailRead", "mailCompose"} <= set(extension["ribbons"][0]["contexts"])


def test_a_plain_http_url_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        manifests.unified_manifest("http://127.0.0.1:7071", CLIENT_ID)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _rgba_pixels(data: bytes) -> list[bytes]:
    """Pixels of make_icons.py's PNGs: one IDAT, filter 0 on every row, 8-bit RGBA."""
    width, height = _png_size(data)
    length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    raw = zlib.decompress(data[41 : 41 + length])
    rows = [raw[r * (1 + 4 * width) : (r + 1) * (1 + 4 * width)] for r in range(height)]
    assert all(row[0] == 0 for row in rows)
    return [row[1 + 4 * i : 5 + 4 * i] for row in rows for i in range(width)]


def test_the_app_package_has_the_manifest_and_its_two_icons(tmp_path: Path) -> None:
    package = manifests.write_package(tmp_path, PUBLIC_URL, CLIENT_ID)
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert errors(manifest) == []
        assert _png_size(archive.read(manifest["icons"]["color"])) == (192, 192)
        outline = archive.read(manifest["icons"]["outline"])
        assert _png_size(outline) == (32, 32)
        pixels = _rgba_pixels(outline)  # white on transparent, as Teams and Outlook ask of an outline icon
        assert all(p[:3] == b"\xff\xff\xff" for p in pixels if p[3]) and any(p[3] == 0 for p in pixels)
    assert (tmp_path / "manifest.xml").read_text(encoding="utf-8") == manifests.xml_manifest(PUBLIC_URL, CLIENT_ID)
