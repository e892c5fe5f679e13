"""The HTTPS server: one thread per connection (HTTP/1.1 keep-alive), routing by surface:
`/v1.0/…` Graph (bearer token required), `/{tenantId}/…` identity, `/_emulator/…` admin."""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import sys
import threading
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from emulator.context import Context
from emulator.errors import GraphError, error_body
from emulator.graph_routes import GRAPH_ROUTER
from emulator.graphapi import error_response, serve_graph
from emulator.identity import TokenError
from emulator.routes_admin import ADMIN_ROUTER
from emulator.seed import SeedError
from emulator.wire import Request, Response, json_response

__all__ = ["EmulatorHTTPServer"]


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], ctx: Context, tls: ssl.SSLContext) -> None:
        super().__init__(address, _Handler)
        self.ctx = ctx
        self.tls = tls
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        # The handshake runs in the connection's own thread (see _Handler.setup), not in the accept loop.
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that reject the certificate or vanish mid-request are not the emulator's problem

    def track(self, sock: socket.socket, alive: bool) -> None:
        with self._open_lock:
            if alive:
                self._open.add(sock)
            else:
                self._open.discard(sock)

    def close_all(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
            self._open.clear()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer
    timeout = 120
    wbufsize = 64 * 1024  # one write per response; handle_one_request flushes after each request

    def setup(self) -> None:
        self.server.track(self.request, True)
        self.request.settimeout(self.timeout)
        # Small request/response pairs on keep-alive connections: don't let Nagle hold the last segment.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request.do_handshake()
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.request, False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # ---- plumbing --------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _request(self, prefix: str, body: bytes) -> Request:
        parts = urlsplit(self.path)
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        return Request(
            method=self.command.upper(),
            path=parts.path[len(prefix):] or "/",
            raw_path=parts.path,
            query={k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)},
            raw_query=parts.query,
            headers=headers,
            body=body,
        )

    def _send(self, response: Response) -> None:
        if response.drop:
            self.close_connection = True
            return
        payload = response.payload()
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "content-type"):
                self.send_header(name, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _handle(self) -> None:
        body = self._read_body()
        path = urlsplit(self.path).path
        ctx = self.server.ctx
        try:
            if path == "/v1.0" or path.startswith("/v1.0/"):
                response = self._graph(ctx, self._request("/v1.0", body))
            elif path == "/_emulator" or path.startswith("/_emulator/"):
                response = self._admin(ctx, self._request("/_emulator", body))
            else:
                response = self._identity(ctx, self._request("", body))
        except Exception as exc:  # an emulator bug: answer 500 rather than hang up, keep the traceback
            traceback.print_exc(file=sys.stderr)
            response = json_response({"error": {"code": "InternalServerError", "message": repr(exc)}}, 500)
        self._send(response)

    def _graph(self, ctx: Context, request: Request) -> Response:
        auth = request.header("authorization") or ""
        scheme, _, token = auth.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise TokenError("Access token is empty.")
            request.claims = ctx.identity.validate(token.strip())
        except TokenError as exc:
            ctx.log.add(request.method, unquote(request.path), 401, "auth")
            return error_response(request, GraphError(401, "InvalidAuthenticationToken", exc.message))
        return serve_graph(ctx, GRAPH_ROUTER, request)

    def _admin(self, ctx: Context, request: Request) -> Response:
        segments = [unquote(s) for s in request.path.split("/") if s]
        try:
            route, params = ADMIN_ROUTER.resolve(request.method, segments)
            return route.handler(ctx, request, params)
        except GraphError as error:
            return json_response({"error": {"code": error.code, "message": error.message}}, error.status)
        except SeedError as error:
            return json_response({"error": {"code": "SeedError", "path": error.path, "message": str(error)}}, 400)

    def _identity(self, ctx: Context, request: Request) -> Response:
        segments = [unquote(s) for s in request.path.split("/") if s]
        if not segments:
            return json_response({"graph": ctx.graph_url, "authority": ctx.identity.authority,
                                  "admin": f"{ctx.base_url}/_emulator"})
        tenant, rest = segments[0], "/".join(segments[1:]).lower()
        if tenant.lower() != ctx.state.tenant_id.lower():
            return json_response({
                "error": "invalid_tenant",
                "error_description": f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the "
                "correct tenant ID and are signing into the correct cloud.",
                "error_codes": [90002],
            }, 400)
        if request.method == "GET" and rest in ("v2.0/.well-known/openid-configuration",
                                                ".well-known/openid-configuration"):
            return json_response(ctx.identity.openid_configuration())
        if request.method == "GET" and rest in ("discovery/v2.0/keys", "discovery/keys"):
            return json_response(ctx.identity.jwks())
        if request.method == "POST" and rest == "oauth2/v2.0/token":
            form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
            status, body = ctx.identity.token_endpoint(form, _basic(request), lambda key: _who(ctx, key))
            return json_response(body, status, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})
        request_id = str(uuid.uuid4())
        return json_response(error_body("NotFound", f"No such endpoint: {request.raw_path}", request_id,
                                        request_id), 404)


def _basic(request: Request) -> tuple[str, str] | None:
    auth = request.header("authorization") or ""
    if not auth.lower().startswith("basic "):
        return None
    try:
        user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return unquote(user), unquote(secret)


def _who(ctx: Context, key: str) -> dict[str, Any] | None:
    user = ctx.state.find_user(key)
    if user is None:
        return None
    return {"id": user.id, "upn": user.upn, "name": user.display_name}

