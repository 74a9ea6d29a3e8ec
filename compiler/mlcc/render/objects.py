"""What an emitter returns: a Kubernetes object, where it came from, when Argo CD applies it."""

from __future__ import annotations

import hashlib
import json
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
    ROUTE = 3


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
        NAME: name,
        COMPONENT: component,
        PART_OF: module,
        MANAGED_BY: "mlcc",
    }


def selector(name: str, component: str) -> dict[str, str]:
    return {NAME: name, COMPONENT: component}


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
