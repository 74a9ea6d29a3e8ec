"""What an emitter returns: a Kubernetes object, where it came from, when Argo CD applies it."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from mlcc.diagnostics import Location


class Wave(IntEnum):
    """Argo CD sync waves, following the reference graph."""

    NAMESPACE = -2
    POLICY = -1
    STORAGE = 0
    CONFIG = 1
    WORKLOAD = 2
    # A route's auth policy before the route: a route synced first would serve without auth.
    AUTH = 3
    ROUTE = 4


@dataclass(frozen=True)
class Emitted:
    obj: dict[str, Any]
    source: Location
    wave: Wave
    # Data lives in it: Argo CD must never prune or delete it.
    keeps_data: bool = False
    # Output file name without `.yaml` when kind-name would not be stable (hashed names).
    stem: str | None = None

    @property
    def file_name(self) -> str:
        return f"{self.stem or self.kind.lower() + '-' + self.name}.yaml"

    @property
    def kind(self) -> str:
        return self.obj["kind"]

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]


PART_OF = "app.kubernetes.io/part-of"
MANAGED_BY = "app.kubernetes.io/managed-by"
COMPONENT = "app.kubernetes.io/component"
NAME = "app.kubernetes.io/name"
MODULE = "unified-platform.cs.hse.ru/module"


def labels(module: str, name: str, component: str) -> dict[str, str]:
    return {
        NAME: label_value(name),
        COMPONENT: component,
        PART_OF: label_value(module),
        MANAGED_BY: "mlcc",
    }


def selector(name: str, component: str) -> dict[str, str]:
    return {NAME: label_value(name), COMPONENT: component}


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def bounded(name: str, limit: int = 63) -> str:
    """A name derived from a user's one (`box-<name>`, `files-<box>`), kept within a Kubernetes
    length limit: unchanged when it fits, else a prefix plus a hash of the whole (stable, unique)."""
    if len(name) <= limit:
        return name
    return f"{name[:limit - 9].rstrip('-._')}-{_digest(name)}"


def label_value(value: str) -> str:
    """`value` as a valid label value (at most 63 of [-A-Za-z0-9_.], alphanumeric at both ends)."""
    if len(value) <= 63 and _LABEL_VALUE.match(value):
        return value
    clean = re.sub(r"[^-A-Za-z0-9_.]", "-", value).strip("-_.")
    return f"{clean[:54].rstrip('-_.')}-{_digest(value)}" if clean else _digest(value)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def meta(name: str, namespace: str | None, module: str, component: str, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = labels(module, name, component)
    metadata.update(extra)
    return metadata


def content_hash(data: Any, length: int = 10) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:length]
