"""The route-provider contract: an APIComponent's route and its auth, in the environment's style.

The caller resolves what the route points at (`Target`); a provider turns it into the objects of
its controller and names the namespace that controller's proxies run in (for the NetworkPolicy
that admits them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted
from mlcc.model import APIComponent
from mlcc.model.environment import Environment, Oidc

MAX_BODY = 64 * 1024 * 1024  # the runtime's default request cap (its file API's too)


class RouteError(ValueError):
    """The environment cannot express what the APIComponent asks for."""


@dataclass(frozen=True)
class Target:
    service: str
    port: int
    external_prefix: str  # /<namespace>/<path>[/<box>]
    internal_prefix: str  # what the backend sees instead
    timeout: int | None = None  # seconds the proxy waits for the answer; None: the controller's default
    max_body: int | None = None  # bytes of the largest request body; None: the runtime's default cap
    # The backend is a Service of another namespace (an activator such as KEDA's interceptor);
    # None: the route's own namespace.
    namespace: str | None = None
    host: str | None = None  # the Host header the backend routes by; None: the caller's


class RouteProvider(Protocol):
    name: str

    def __init__(self, env: Environment) -> None: ...

    def objects(self, module: Module, api: Resource[APIComponent], target: Target) -> list[Emitted]:
        """The route and auth objects of a published API (raises RouteError)."""

    def controller_namespace(self) -> str:
        """Where the proxies that forward to the module's pods run."""


def oidc_endpoint(api: Resource[APIComponent], env: Environment) -> Oidc:
    if env.spec.auth.oidc is None:
        raise RouteError(f"APIComponent '{api.name}' asks for OIDC, but environment '{env.name}' names no auth endpoint (spec.auth.oidc)")
    return env.spec.auth.oidc
