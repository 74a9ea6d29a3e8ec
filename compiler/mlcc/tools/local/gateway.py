"""A local stand-in for the cluster's ingress: the rendered routes, basic auth, prefix stripping.

Standard library only: it proxies one developer's requests, not production traffic.
"""

from __future__ import annotations

import base64
import hmac
import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 64 * 1024 * 1024
# A client idle this long while the gateway waits for its request line, headers or body is cut.
IDLE_TIMEOUT = 30.0
# Headers that carry who the caller is: a second copy could be checked in one place and trusted in
# another (the check reads the first, a backend may read the last), so a repeat is refused.
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "x-forwarded-user", "x-auth-request-user",
                      "x-remote-user", "remote-user")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}


@dataclass(frozen=True)
class Route:
    prefix: str           # /<namespace>/<path>[/<box>]
    internal_prefix: str  # what the backend sees instead ("" → "/")
    service: str
    port: int             # the local port of the backend process
    credentials: str | None  # basic-auth Secret name
    oidc: bool = False

    def upstream_path(self, path: str) -> str | None:
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return None
        rest = path[len(self.prefix):] or "/"
        return (self.internal_prefix + rest) if self.internal_prefix else rest


def routes_from_ingresses(ingresses: list[dict[str, Any]], ports: dict[str, int]) -> list[Route]:
    """Read routes back from rendered ingress-nginx Ingresses (path `<prefix>(/|$)(.*)`)."""
    routes = []
    for ingress in ingresses:
        annotations = ingress["metadata"].get("annotations", {})
        rewrite = annotations.get("nginx.ingress.kubernetes.io/rewrite-target", "/$2")
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                service = path["backend"]["service"]["name"]
                routes.append(
                    Route(
                        prefix=path["path"].removesuffix("(/|$)(.*)"),
                        internal_prefix=rewrite.removesuffix("/$2"),
                        service=service,
                        port=ports[service],
                        credentials=annotations.get("nginx.ingress.kubernetes.io/auth-secret"),
                        oidc="nginx.ingress.kubernetes.io/auth-url" in annotations,
                    )
                )
    return sorted(routes, key=lambda r: -len(r.prefix))  # longest prefix wins, as in nginx


class GatewayError(OSError):
    """The gateway cannot listen where it was asked to."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that resets or times out is its own business: no traceback on the console."""


class Gateway:
    """Binds its port at once (a busy port fails before anything else starts); serves on `start`."""

    def __init__(self, routes: list[Route], credentials: dict[str, dict[str, str]], port: int,
                 idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.routes, self.credentials = routes, credentials
        handler = type("Handler", (_Handler,), {"gateway": self, "timeout": idle_timeout})
        try:
            self.server = _Server(("127.0.0.1", port), handler)
        except OSError as exc:
            raise GatewayError(
                f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}; is another `mlcc run` using it? "
                "choose another port with --port"
            ) from None
        self.thread = threading.Thread(target=self.server.serve_forever, name="mlcc-gateway", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    def allowed(self, route: Route, authorization: str | None) -> bool:
        if route.credentials is None:
            return not route.oidc
        users = self.credentials.get(route.credentials, {})
        user, password = _basic(authorization)
        expected = users.get(user or "")
        return expected is not None and hmac.compare_digest(expected.encode(), (password or "").encode())


def _content_length(headers: Any) -> tuple[int, tuple[int, str] | None]:
    """The body's length, or the answer to give when it cannot be taken (status, message)."""
    if headers.get("Transfer-Encoding"):
        return 0, (411, "send the body with a Content-Length (chunked bodies are not accepted here)")
    values = headers.get_all("Content-Length") or []
    if len(set(values)) > 1:
        return 0, (400, "Content-Length is given more than once with different values")
    text = (values[0] if values else "0").strip()
    if not text.isdigit():
        return 0, (400, f"Content-Length '{text[:20]}' is not a number of bytes")
    length = int(text)
    if length > MAX_BODY:
        return 0, (413, "request body too large")
    return length, None


def _basic(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, None
    return user, password


class _Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the runtime logs requests
        pass

    def _proxy(self) -> None:
        path, _, query = self.path.partition("?")
        match = next(((r, u) for r in self.gateway.routes if (u := r.upstream_path(path)) is not None), None)
        if match is None:
            return self._answer(404, {"error": f"no route for {path}"})
        route, upstream = match
        repeated = sorted({k.lower() for k in self.headers.keys() if len(self.headers.get_all(k) or ()) > 1} & set(CREDENTIAL_HEADERS))
        if repeated:
            self.close_connection = True
            return self._answer(400, {"error": f"header {repeated[0]} is given more than once"})
        if not self.gateway.allowed(route, self.headers.get("Authorization")):
            extra = {"WWW-Authenticate": 'Basic realm="mlcc"'} if route.credentials else {}
            return self._answer(401, {"error": "authentication required"}, extra)
        length, problem = _content_length(self.headers)
        if problem is not None:
            self.close_connection = True  # the body's end is unknown: the connection cannot be reused
            return self._answer(problem[0], {"error": problem[1]})
        try:
            body = self.rfile.read(length) if length else None
        except OSError:  # the client went quiet past the idle timeout, or went away
            self.close_connection = True
            return None
        if body is not None and len(body) < length:
            self.close_connection = True
            return None  # the client closed before sending its whole body
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        connection = http.client.HTTPConnection("127.0.0.1", route.port, timeout=120)
        try:
            connection.request(self.command, upstream + (f"?{query}" if query else ""), body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError as exc:
            return self._answer(502, {"error": f"{route.service} is not answering: {exc}"})
        finally:
            connection.close()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _answer(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _proxy
