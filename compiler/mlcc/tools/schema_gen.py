"""JSON Schemas (draft 2020-12, for editors) and CRDs (for clusters) from the one model.

Both are generated, committed under schema/, and a test keeps them current.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from mlcc import API_GROUP
from mlcc.model import KINDS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://mlcc.dev/schema/"


def json_schema(kind: str) -> dict[str, Any]:
    schema = _models()[kind].model_json_schema(by_alias=True)
    return {"$schema": DRAFT, "$id": f"{SCHEMA_BASE}{kind.lower()}.json", **schema}


def crd(kind: str) -> dict[str, Any]:
    """A CustomResourceDefinition whose schema Kubernetes accepts as structural."""
    schema = KINDS[kind].model_json_schema(by_alias=True)
    spec = _structural(_inline(schema["properties"]["spec"], schema.get("$defs", {})))
    plural = kind.lower() + ("es" if kind.endswith(("x", "s")) else "s")
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{API_GROUP}"},
        "spec": {
            "group": API_GROUP,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec,
                            },
                            **({"required": ["spec"]} if "spec" in schema.get("required", []) else {}),
                        }
                    },
                }
            ],
        },
    }


def _models() -> dict[str, Any]:
    from mlcc.model.environment import Environment

    return {**KINDS, "Environment": Environment}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _structural(node: dict[str, Any]) -> dict[str, Any]:
    """Kubernetes wants a type on every node, no $ref/const/null branches, RE2 patterns."""
    node = copy.deepcopy(node)
    branches = [b for b in node.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        node = {**branches[0], **node}
    elif branches:  # quantities: a string or a number
        node.update({"x-kubernetes-int-or-string": True})
    node.pop("title", None)
    if node.get("additionalProperties") is False:
        node.pop("additionalProperties")  # not allowed beside `properties`; the API server prunes instead
    node.pop("propertyNames", None)  # not in Kubernetes' OpenAPI subset; mlcc lint checks key names
    if "properties" in node and isinstance(node.get("additionalProperties"), dict):
        # Named fields plus free ones (resourceLimits: cpu, memory and any <domain>/<name>): a
        # structural schema cannot say both; keep the named ones and the rest as they come.
        node.pop("additionalProperties")
        node["x-kubernetes-preserve-unknown-fields"] = True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "(?" in node.get("pattern", ""):
        node.pop("pattern")  # look-aheads are not RE2; mlcc lint checks them
    if node.get("default", 0) is None:
        node.pop("default")
    if "properties" in node:
        node["properties"] = {k: _structural(v) for k, v in node["properties"].items()}
    if isinstance(node.get("items"), dict):
        node["items"] = _structural(node["items"])
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _structural(node["additionalProperties"])
    return node


def render_files() -> dict[str, str]:
    """Relative path → file content for everything under schema/."""
    from mlcc.syntax.yamlio import dump_yaml

    files = {}
    for kind in sorted(_models()):
        files[f"{kind.lower()}.json"] = json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n"
        if kind in KINDS:  # environments live in Git only, never in the cluster
            files[f"crds/{kind.lower()}.yaml"] = dump_yaml(crd(kind))
    return files


def write(out: Path) -> list[Path]:
    written = []
    for rel, content in render_files().items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
            written.append(path)
    return written


def stale(out: Path) -> list[str]:
    return [rel for rel, content in render_files().items()
            if not (out / rel).exists() or (out / rel).read_text() != content]
