"""A Starlette application whose POST inference routes skip the router and the middleware stack.

A profile of the runtime around a do-nothing function put about a tenth of its time in
Starlette's per-request machinery: the error and exception middleware (two wrappers each with
their own ``send``), and a router that tries every route's regular expression and copies the
scope for each. The inference endpoints need none of it: they turn every error into their own
answer (``app._instrumented``). So ``POST`` to a route whose endpoint is marked ``fast`` goes
straight to it: an exact path in a dict, or the route's own regular expression for paths with
``{parameters}`` (string parameters only). Everything else — other methods (405 with ``Allow``),
unknown paths (404), health, metrics, lifespan — goes through Starlette as before.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.convertors import StringConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def fast(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint that answers every error itself, so it may skip the middleware."""
    endpoint.mlcc_fast = True  # type: ignore[attr-defined]
    return endpoint


class FastStarlette(Starlette):
    _exact: dict[str, Endpoint] | None = None
    _patterns: list[tuple[re.Pattern, Endpoint]] = []

    def _table(self) -> dict[str, Endpoint]:
        exact: dict[str, Endpoint] = {}
        patterns = []
        for route in self.routes:
            if not isinstance(route, Route) or not getattr(route.endpoint, "mlcc_fast", False):
                continue
            if route.methods is None or "POST" not in route.methods:
                continue
            if not route.param_convertors:
                exact[route.path] = route.endpoint
            elif all(isinstance(c, StringConvertor) for c in route.param_convertors.values()):
                patterns.append((route.path_regex, route.endpoint))
        self._patterns = patterns
        self._exact = exact
        return exact

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            exact = self._exact if self._exact is not None else self._table()
            path = scope["path"]
            endpoint = exact.get(path)
            params: dict[str, str] = {}
            if endpoint is None:
                for regex, candidate in self._patterns:
                    match = regex.match(path)
                    if match is not None:
                        endpoint, params = candidate, match.groupdict()
                        break
            if endpoint is not None:
                scope["app"] = self
                scope["path_params"] = params
                response = await endpoint(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
