"""The few Kubernetes semantics a local run must reproduce: env resolution and $(VAR) expansion."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")


@dataclass
class ObjectStore:
    """ConfigMaps and Secrets the local run provides, by name."""

    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)

    def data(self, kind: str, name: str) -> dict[str, str]:
        store = self.config_maps if kind == "configMap" else self.secrets
        if name not in store:
            raise KeyError(f"{kind} '{name}' is not available locally")
        return store[name]


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: known names are replaced, unknown ones kept, `$$` escapes."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _REF.sub(replace, text)


def container_env(container: dict[str, Any], objects: ObjectStore) -> dict[str, str]:
    """The environment a container sees: envFrom first, then env in order (later wins)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        kind = "configMap" if "configMapRef" in source else "secret"
        ref = source.get("configMapRef") or source.get("secretRef")
        for key, value in objects.data(kind, ref["name"]).items():
            env[source.get("prefix", "") + key] = value
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = expand(item["value"], env)
            continue
        ref = item["valueFrom"]
        kind = "configMap" if "configMapKeyRef" in ref else "secret"
        key_ref = ref.get("configMapKeyRef") or ref.get("secretKeyRef")
        env[item["name"]] = objects.data(kind, key_ref["name"])[key_ref["key"]]
    return env


def command_of(container: dict[str, Any], env: dict[str, str]) -> list[str]:
    return [expand(arg, env) for arg in [*container.get("command", []), *container.get("args", [])]]
