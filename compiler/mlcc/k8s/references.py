"""Which Secrets an object refers to, and which it makes: read from the objects as a cluster would.

Only Secrets of the object's own namespace count: a Secret in another namespace (a CSI driver's
node credentials in kube-system) belongs to the platform, not to a module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

INGRESS_AUTH_SECRET = "nginx.ingress.kubernetes.io/auth-secret"
# cert-manager's ingress-shim makes a Certificate, and so the Secret, for each spec.tls entry of an
# Ingress annotated with an issuer (cert-manager.io/docs/usage/ingress/).
CERT_MANAGER_ISSUER = "cert-manager.io/cluster-issuer"
CERT_MANAGER_ANNOTATIONS = (CERT_MANAGER_ISSUER, "cert-manager.io/issuer")
# Controllers that create a Secret named after the object (the ObjectBucketClaim's provisioner
# writes its S3 keys there; the other two are what they are for).
CREATES_SECRET = {"ExternalSecret", "SealedSecret", "ObjectBucketClaim"}


def referenced_secrets(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(secret name, what uses it) for each Secret of its own namespace the object needs."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Ingress":
        auth = (obj["metadata"].get("annotations") or {}).get(INGRESS_AUTH_SECRET)
        if auth and "/" not in auth:
            yield auth, "basic auth"
        for tls in spec.get("tls") or []:
            if tls.get("secretName"):
                yield tls["secretName"], "TLS"
    elif kind == "SecurityPolicy":
        users = (spec.get("basicAuth") or {}).get("users") or {}
        if users.get("name") and not users.get("namespace"):
            yield users["name"], "basic auth"
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        pod = ((spec.get("template") or {}).get("spec")) or {}
        for container in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
            for var in container.get("env") or []:
                ref = (var.get("valueFrom") or {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    yield ref["name"], f"env {var['name']} of container {container['name']}"
            for source in container.get("envFrom") or []:
                ref = source.get("secretRef")
                if ref and not ref.get("optional"):
                    yield ref["name"], f"envFrom of container {container['name']}"
        for volume in pod.get("volumes") or []:
            secret = volume.get("secret")
            if secret and not secret.get("optional"):
                yield secret["secretName"], f"volume {volume['name']}"


def created_secrets(obj: dict[str, Any]) -> list[str]:
    """The Secrets the object makes appear in its namespace."""
    kind = obj.get("kind")
    if kind == "Ingress":
        annotations = obj["metadata"].get("annotations") or {}
        if any(a in annotations for a in CERT_MANAGER_ANNOTATIONS):
            return [tls["secretName"] for tls in (obj.get("spec") or {}).get("tls") or [] if tls.get("secretName")]
    made = _created_secret(obj)
    return [made] if made else []


def _created_secret(obj: dict[str, Any]) -> str | None:
    kind = obj.get("kind")
    if kind not in CREATES_SECRET:
        return None
    if kind == "ExternalSecret":
        return ((obj.get("spec") or {}).get("target") or {}).get("name") or obj["metadata"]["name"]
    if kind == "SealedSecret":
        template = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
        return template.get("name") or obj["metadata"]["name"]
    return obj["metadata"]["name"]
