"""`mlcc apply --dry-run=server`: ask a real API server whether it would accept the rendered objects.

Each object is sent as a server-side apply in dry-run mode —

    PATCH /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>?dryRun=All&fieldManager=mlcc
    Content-Type: application/apply-patch+yaml

— through the official `kubernetes` client (its kubeconfig loading, auth and TLS), and every
rejection is reported at the source manifest the object was rendered from. Nothing is ever
persisted: `dryRun=All` is on every request, and there is no other mode (Argo CD applies).

Paths are built here from apiVersion and kind with a small table of plurals for the kinds mlcc
emits, so no discovery round-trips are needed. `kubernetes` is imported lazily.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlcc.diagnostics import Diagnostic, Location
from mlcc.k8s.objects import Emitted

FIELD_MANAGER = "mlcc"
CONTENT_TYPE = "application/apply-patch+yaml"
TIMEOUT = (5, 30)  # connect, read (seconds)

PLURALS = {
    "Namespace": "namespaces",
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "Service": "services",
    "ServiceAccount": "serviceaccounts",
    "PersistentVolume": "persistentvolumes",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "Deployment": "deployments",
    "NetworkPolicy": "networkpolicies",
    "Ingress": "ingresses",
    "HTTPRoute": "httproutes",
    "SecurityPolicy": "securitypolicies",
    "ObjectBucketClaim": "objectbucketclaims",
    "ExternalSecret": "externalsecrets",
    "SealedSecret": "sealedsecrets",
    "Application": "applications",
}
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass", "CustomResourceDefinition"}


class ClusterError(Exception):
    """No client package, no kubeconfig, no reachable API server: exit 1 with this message."""


def plural(kind: str) -> str:
    if kind in PLURALS:
        return PLURALS[kind]
    lower = kind.lower()
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    return lower + "s"


def resource_path(obj: dict[str, Any]) -> str:
    api_version, kind = obj["apiVersion"], obj["kind"]
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    name = obj["metadata"]["name"]
    namespace = obj["metadata"].get("namespace")
    if kind in CLUSTER_SCOPED or not namespace:
        return f"{base}/{plural(kind)}/{name}"
    return f"{base}/namespaces/{namespace}/{plural(kind)}/{name}"


def query(force_conflicts: bool) -> list[tuple[str, str]]:
    params = [("dryRun", "All"), ("fieldManager", FIELD_MANAGER)]
    if force_conflicts:
        params.append(("force", "true"))
    return params


# --- outcomes -------------------------------------------------------------------------


@dataclass
class Outcome:
    item: Emitted
    status: int
    verdict: str  # "accepted" | "rejected" | "unchecked"
    reason: str = ""
    message: str = ""
    causes: list[tuple[str, str]] = field(default_factory=list)  # (field, message)

    @property
    def label(self) -> str:
        ns = self.item.obj["metadata"].get("namespace")
        return f"{self.item.kind} {ns + '/' if ns else ''}{self.item.name}"

    @property
    def where(self) -> Location:
        return self.item.source


def interpret(item: Emitted, status: int, body: bytes | str | None) -> Outcome:
    """What one API-server answer means for one object."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else (body or "")
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if 200 <= status <= 299:
        return Outcome(item, status, "accepted")
    reason = str(data.get("reason") or _REASONS.get(status, f"HTTP {status}"))
    message = str(data.get("message") or text.strip() or f"HTTP {status}")
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    causes = [
        (str(c.get("field") or ""), str(c.get("message") or c.get("reason") or ""))
        for c in details.get("causes") or []
        if isinstance(c, dict)
    ]
    obj = item.obj
    if status == 404 and details.get("kind") == "namespaces":
        return Outcome(
            item, status, "unchecked", reason,
            f"{message}: the namespace does not exist on the cluster yet, and a dry-run cannot create it "
            "(Argo CD creates it on the first sync); this object was not checked",
        )
    if status == 404:
        message = (
            f"the API server does not serve {obj['kind']} ({obj['apiVersion']}): {message}; "
            f"is the CustomResourceDefinition for '{plural(obj['kind'])}.{_group(obj)}' installed on this cluster?"
            if "/" in obj["apiVersion"] and not details.get("name")
            else message
        )
    elif status in (401, 403):
        message = f"{message} (the kubeconfig user may not patch {plural(obj['kind'])}; a dry-run needs the same rights as a real apply)"
    elif status == 409:
        message = f"{message} (another field manager owns these fields; --force-conflicts takes them over)"
    return Outcome(item, status, "rejected", reason, message, causes)


def _group(obj: dict[str, Any]) -> str:
    return obj["apiVersion"].split("/", 1)[0]


_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 422: "Invalid"}


# --- the client -----------------------------------------------------------------------


def connect(kubeconfig: Path | None, context: str | None):
    """An ApiClient for the kubeconfig context; ClusterError when there is none."""
    try:
        import kubernetes  # noqa: F401
        from kubernetes import client, config
    except ImportError as exc:
        raise ClusterError(
            "the 'kubernetes' package is not installed; install it with `pip install 'mlcc[cluster]'` "
            f"(or `pip install kubernetes`) ({exc})"
        ) from None
    configuration = client.Configuration()
    try:
        config.load_kube_config(
            config_file=str(kubeconfig) if kubeconfig else None,
            context=context,
            client_configuration=configuration,
        )
    except Exception as exc:  # ConfigException, missing file, bad YAML: all "no usable kubeconfig"
        where = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG", "~/.kube/config")
        raise ClusterError(f"cannot load the kubeconfig {where}" + (f" (context '{context}')" if context else "") + f": {exc}") from None
    configuration.retries = 0
    return client.ApiClient(configuration)


def send(api_client, obj: dict[str, Any], force_conflicts: bool = False) -> tuple[int, bytes]:
    """One dry-run server-side apply; returns the HTTP status and body (errors included)."""
    path = resource_path(obj)
    headers = {"Content-Type": CONTENT_TYPE, "Accept": "application/json"}
    body = json.dumps(obj)  # JSON is YAML: sent verbatim as application/apply-patch+yaml
    try:
        if hasattr(api_client, "param_serialize"):  # kubernetes >= 31 (openapi-generator 7)
            method, url, headers, body, _ = api_client.param_serialize(
                method="PATCH", resource_path=path, query_params=query(force_conflicts),
                header_params=headers, body=body, auth_settings=["BearerToken"],
            )
            response = api_client.call_api(method, url, header_params=headers, body=body, _request_timeout=TIMEOUT)
            response.read()
            return response.status, response.data or b""
        return _send_legacy(api_client, path, headers, body, force_conflicts)
    except Exception as exc:
        if _is_http_error(exc):
            return exc.status, (exc.body or b"")
        raise ClusterError(f"cannot reach the API server at {api_client.configuration.host}: {_short(exc)}") from None


def _send_legacy(api_client, path: str, headers: dict, body: str, force_conflicts: bool) -> tuple[int, bytes]:
    response = api_client.call_api(
        path, "PATCH", query_params=query(force_conflicts), header_params=headers, body=body,
        auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=False,
        _request_timeout=TIMEOUT,
    )
    raw = response[0] if isinstance(response, tuple) else response
    return raw.status, raw.data


def _is_http_error(exc: Exception) -> bool:
    try:
        from kubernetes.client.exceptions import ApiException
    except ImportError:
        return False
    return isinstance(exc, ApiException) and isinstance(getattr(exc, "status", None), int) and exc.status > 0


def _short(exc: Exception) -> str:
    text = str(exc)
    reason = getattr(exc, "reason", None)
    if reason is not None and str(reason) not in ("", "None"):
        text = str(reason)
    return text if len(text) < 300 else text[:297] + "…"


def dry_run(items: list[Emitted], api_client, force_conflicts: bool = False) -> list[Outcome]:
    outcomes = []
    for item in sorted(items, key=lambda e: (int(e.wave), e.kind, e.name)):
        status, body = send(api_client, item.obj, force_conflicts)
        outcomes.append(interpret(item, status, body))
    return outcomes


# --- reporting ------------------------------------------------------------------------

_HINTS = {
    "NotFound": "the kind's CRD or the namespace is missing on this cluster",
    "Forbidden": "your credentials may not write this kind here; ask for the RBAC, or use another --context",
    "Conflict": "another field manager owns these fields; see --force-conflicts",
}


def as_diagnostic(outcome: Outcome) -> Diagnostic:
    """A rejection (or an object the server could not check) as a diagnostic at its source manifest."""
    rejected = outcome.verdict == "rejected"
    verdict = "rejected by" if rejected else "not checked by"
    return Diagnostic(
        "MLCC801" if rejected else "MLCC802",
        f"{outcome.label} {verdict} the API server ({outcome.status} {outcome.reason}): {outcome.message}",
        outcome.where,
        hint=_HINTS.get(outcome.reason),
        notes=tuple(f"field {name}: {message}" if name else message for name, message in outcome.causes),
    )
