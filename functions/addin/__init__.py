"""GET /api/addin/{file} and /api/addin/{folder}/{file}: the Outlook add-in's task pane, served by the
function app itself, so that the add-in and the API share one origin (no CORS, one TLS name).

Two fixed-depth routes rather than Azure's catch-all `{*path}`: every file sits at most one folder deep,
and both forms route the same way on Azure and in the local host. Only names made of letters, digits,
`-`, `_` and inner dots are served, only from the add-in folder and its `vendor/` and `assets/`
folders, only with a known extension, and never the npm files: `..`, hidden files, other folders and
symlinks out of the folder are all refused. `config.json` is generated from the settings (the app's
client id, authority and API scope for sign-in)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from pathlib import Path

import azure.functions as func

from core.errors import NotFound
from functions.http import error_response
from micromentor.bootstrap import runtime

__all__ = ["ADDIN_ROOT", "CONTENT_TYPES", "bp", "resolve_asset"]

bp = func.Blueprint()  # type: ignore[no-untyped-call]

ADDIN_ROOT = Path(__file__).resolve().parents[2] / "addin"
FOLDERS = frozenset({"vendor", "assets"})
PRIVATE = frozenset({"package.json", "package-lock.json"})
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".xml": "application/xml",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
}
_NAME = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
# The task pane may load Office.js from Microsoft's CDN (Microsoft's supported source for it) and talk
# to Entra ID when MSAL runs outside Outlook; everything else comes from this origin.
TASKPANE_CSP = (
    "default-src 'self'; script-src 'self' https://appsforoffice.microsoft.com; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' https://login.microsoftonline.com; "
    "frame-src 'self' https://login.microsoftonline.com; base-uri 'none'; form-action 'none'; object-src 'none'"
)


def resolve_asset(folder: str | None, name: str, root: Path = ADDIN_ROOT) -> Path | None:
    """The file to serve for `folder/name`, or None when it is not one of the add-in's public files."""
    if folder is not None and folder not in FOLDERS:
        return None
    if not _NAME.fullmatch(name) or name in PRIVATE:
        return None
    if Path(name).suffix.lower() not in CONTENT_TYPES:
        return None
    base = root.resolve()
    candidate = (base / folder / name) if folder else (base / name)
    try:
        real = candidate.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, OSError):
        return None
    if not real.is_relative_to(base) or not real.is_file():
        return None
    return real


def _config() -> bytes:
    settings = runtime().settings
    graph = settings.graph
    config = {
        "clientId": graph.client_id if graph else None,
        "authority": graph.authority_url if graph else None,
        "scopes": [f"{settings.api_audience.rstrip('/')}/access_as_user"],
    }
    return json.dumps(config).encode("utf-8")


def _not_found(name: str) -> func.HttpResponse:
    return error_response(NotFound("path", f"no add-in file {name!r}"))


async def _serve(req: func.HttpRequest, folder: str | None) -> func.HttpResponse:
    name = req.route_params.get("file", "")
    shown = f"{folder}/{name}" if folder else name
    if folder is None and name == "config.json":
        content, suffix = _config(), ".json"
    else:
        path = resolve_asset(folder, name)
        if path is None:
            return _not_found(shown)
        content, suffix = await asyncio.to_thread(path.read_bytes), path.suffix.lower()
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if suffix == ".html":
        headers["Content-Security-Policy"] = TASKPANE_CSP
    if etag in {tag.strip() for tag in (req.headers.get("If-None-Match") or "").split(",")}:
        return func.HttpResponse(status_code=304, headers=headers)
    # Like the Functions worker, the local host adds `; charset=utf-8` to text/* types only.
    return func.HttpResponse(content, status_code=200, mimetype=CONTENT_TYPES[suffix], charset="utf-8", headers=headers)


@bp.route(route="addin/{file}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def addin_file(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(req, None)


@bp.route(route="addin/{folder}/{file}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def addin_folder_file(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(req, req.route_params.get("folder", ""))
