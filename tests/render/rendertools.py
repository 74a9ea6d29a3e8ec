"""Helpers of the render tests: run `mlcc build`, lay out scratch repos, read rendered trees.

Kept out of conftest.py so that test files can import them by name
(`from rendertools import ...`); fixtures live in conftest.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import yaml
from clirun import Run, mlcc_inprocess, mlcc_subprocess  # noqa: F401  (re-exported to the render tests)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MODULES = REPO / "modules"
OVERLAYS = REPO / "overlays"
RENDERED = REPO / "rendered"

API = "unified-platform.cs.hse.ru/v1"
RUNTIME_IMAGE = "registry.example.com/platform/mlcc-runtime:0.1.0@sha256:" + "ab" * 32

# Argo CD must never prune or delete these: they hold (or scope) data.
DATA_KINDS = {"ObjectBucketClaim", "PersistentVolumeClaim", "PersistentVolume", "Namespace"}
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
WAVE_OF_KIND = {
    "storage": {"ObjectBucketClaim", "PersistentVolumeClaim", "PersistentVolume", "ExternalSecret", "SealedSecret"},
    "config": {"ConfigMap", "Service", "ServiceAccount"},
    "workload": {"Deployment"},
    "route": {"Ingress", "HTTPRoute", "SecurityPolicy"},
}


# --- scratch repositories ---------------------------------------------------------


def copy_modules(dest: Path, names: tuple[str, ...] = ("iris", "textstats")) -> Path:
    """Copy example modules to dest/modules/ (caches left behind); returns dest/modules."""
    target = dest / "modules"
    for name in names:
        shutil.copytree(MODULES / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def scratch_repo(dest: Path, names: tuple[str, ...] = ("iris",)) -> Path:
    """dest/modules/ with the example modules `names` and dest/overlays/ with the repository's
    environments: a repository to change and build. Returns dest."""
    copy_modules(dest, names)
    shutil.copytree(OVERLAYS, dest / "overlays")
    return dest


def write_env(overlays: Path, name: str, spec: dict[str, Any], folder: str | None = None) -> Path:
    path = overlays / (folder or name) / "environment.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"apiVersion": API, "kind": "Environment", "metadata": {"name": name}, "spec": spec}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def make_oidc_module(modules: Path, namespace: str = "pu-carol-pa-oidc") -> Path:
    """A copy of iris in its own namespace whose predict API uses OpenID Connect, plus an
    unpublished API and a SealedSecret the module carries itself."""
    folder = modules / "oidc"
    shutil.copytree(MODULES / "iris", folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in folder.glob("*.yaml"):
        path.write_text(path.read_text().replace("pu-alice-pa-iris", namespace))
    (folder / "iris-api.yaml").write_text(
        f"""apiVersion: {API}
kind: APIComponent
metadata:
  name: iris-api
  namespace: {namespace}
spec:
  published: true
  mlComponent:
    name: iris-mlcmp
  restfulApi:
    path: iris
    auth:
      oidc: {{}}
      identityPassThrough: true
---
apiVersion: {API}
kind: APIComponent
metadata:
  name: iris-old-api
  namespace: {namespace}
spec:
  published: false
  mlComponent:
    name: iris-mlcmp
  restfulApi:
    path: iris-old
    auth:
      basic:
        credentials: old-cred
"""
    )
    (folder / "sealed.yaml").write_text(
        f"""apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: iris-apis-cred
  namespace: {namespace}
spec:
  encryptedData:
    auth: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq
"""
    )
    return folder


# --- reading output ---------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple]:
    """Every file (bytes, mtime) and folder (mtime) under root, root included."""
    state: dict[str, tuple] = {".": ("dir", root.stat().st_mtime_ns)}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            state[rel] = ("dir", path.stat().st_mtime_ns)
        else:
            state[rel] = ("file", path.read_bytes(), path.stat().st_mtime_ns)
    return state


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class Tree:
    """A rendered output folder: rendered/<env>/<folder>/<file>.yaml."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._parsed: dict[Path, list[dict[str, Any]]] = {}  # the trees tests read are never rewritten

    def envs(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def folders(self, env: str | None = None) -> list[Path]:
        envs = [env] if env else self.envs()
        return sorted(f for e in envs for f in (self.root / e).iterdir() if f.is_dir())

    def objects(self, env: str | None = None, folder: str | None = None) -> list[dict[str, Any]]:
        found = []
        for path in self.yaml_files(env, folder):
            if path not in self._parsed:
                self._parsed[path] = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
            found += self._parsed[path]
        return found

    def yaml_files(self, env: str | None = None, folder: str | None = None) -> Iterator[Path]:
        for f in self.folders(env):
            if folder and f.name != folder:
                continue
            for path in sorted(f.glob("*.yaml")):
                if path.name != "kustomization.yaml":
                    yield path

    def get(self, env: str, folder: str, kind: str, name: str) -> dict[str, Any]:
        matches = [o for o in self.objects(env, folder) if o["kind"] == kind and o["metadata"]["name"] == name]
        assert len(matches) == 1, f"{kind}/{name} in {env}/{folder}: {len(matches)} found"
        return matches[0]

    def of_kind(self, kind: str, env: str | None = None, folder: str | None = None) -> list[dict[str, Any]]:
        return [o for o in self.objects(env, folder) if o["kind"] == kind]


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(deployment)
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_value(container: dict[str, Any], name: str) -> Any:
    values = [e for e in container.get("env", []) if e["name"] == name]
    assert len(values) == 1, f"{name} set {len(values)} times in container {container['name']}"
    return values[0].get("value", values[0].get("valueFrom"))


# --- environment variants: every provider, mount, injection and route style ---------

OIDC = {"oidc": {"authUrl": "https://auth.example.com/oauth2/auth", "signinUrl": "https://auth.example.com/oauth2/start"}}
EXT_AUTH = {"name": "oauth2-proxy", "namespace": "auth-system", "port": 4180}


def registry_url(env: str) -> str:
    return f"https://pypi.{env}.example.com/simple"


VARIANTS: dict[str, dict[str, Any]] = {
    "obc-sync-copy-ingress": {
        "storage": {"provider": "obc", "mount": "sync", "obc": {"storageClassName": "rook-bucket"}},
        "runtime": {"image": RUNTIME_IMAGE, "injection": "copy"},
        "routes": {"style": "ingress", "tlsSecretName": "ml-tls", "ingress": {"className": "nginx"}},
    },
    "csi-csi-pip-gateway": {
        "storage": {
            "provider": "csi-s3",
            "mount": "csi",
            "csiS3": {
                "endpoint": "https://s3.example.com",
                "bucket": "ml-csi",
                "storageClassName": "csi-s3",
                "credentials": {"secretName": "s3-creds", "remoteKey": "platform/s3"},
            },
        },
        "runtime": {"image": RUNTIME_IMAGE, "injection": "pip"},
        "routes": {"style": "gateway", "gateway": {"name": "public", "namespace": "gateway-system", "sectionName": "https", "extAuthService": EXT_AUTH}},
        "secretStore": {"kind": "ClusterSecretStore", "name": "vault"},
    },
    "csi-sync-image-ingress": {
        "storage": {"provider": "csi-s3", "mount": "sync", "csiS3": {"endpoint": "https://s3.example.com", "bucket": "ml-csi-sync"}},
        "runtime": {"image": RUNTIME_IMAGE, "injection": "image"},
        "routes": {"style": "ingress"},
        "secretStore": {"kind": "SecretStore", "name": "module-store", "keyTemplate": "ml/{namespace}/{name}"},
    },
    "ext-sync-copy-gateway": {
        "storage": {
            "provider": "external",
            "mount": "sync",
            "external": {
                "endpoint": "https://s3.ext.example.com",
                "bucket": "ml-ext",
                "region": "eu-west-1",
                "credentials": {"secretName": "ext-creds", "remoteKey": "platform/ext"},
            },
        },
        "runtime": {"image": RUNTIME_IMAGE, "injection": "copy"},
        "routes": {"style": "gateway", "gateway": {"name": "public", "namespace": "gateway-system", "extAuthService": EXT_AUTH}},
        "secretStore": {"kind": "SecretStore", "name": "module-store"},
    },
}


def variant_spec(name: str) -> dict[str, Any]:
    return {
        "domain": f"{name}.example.com",
        "packageRegistries": {"python-package-registry": registry_url(name)},
        "auth": OIDC,
        "replicas": 2,
        **VARIANTS[name],
    }


def feature(name: str, key: str) -> Any:
    """A feature of a variant: provider, mount, injection, style, store."""
    v = VARIANTS[name]
    return {
        "provider": v["storage"]["provider"],
        "mount": v["storage"]["mount"],
        "injection": v["runtime"]["injection"],
        "style": v["routes"]["style"],
        "store": "secretStore" in v,
    }[key]


def runtime_config(tree, env: str, namespace: str) -> dict:
    """The runtime's ConfigMap of a namespace's MLComponent (not its examples ConfigMap)."""
    (config,) = [c for c in tree.of_kind("ConfigMap", env, namespace) if "MLCC_FUNCTION" in c.get("data", {})]
    return config
