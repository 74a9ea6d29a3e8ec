"""Every rendered object is checked before anything is written.

Kubernetes objects against the OpenAPI schemas of a pinned Kubernetes version
(strict: unknown fields fail), custom objects against their vendored CRD
schemas, pods against Pod Security "restricted". A failure here is a bug in
mlcc, reported as MLCC901 at the manifest that produced the object.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from mlcc.diagnostics import Diagnostic
from mlcc.pss import pod_spec_of, violations
from mlcc.render.objects import Emitted

KUBERNETES_VERSION = "1.31.0"
# kubernetes-validate's strict (no unknown fields) schemas of that version.
_SCHEMA_DIR = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"
CRD_SCHEMAS = {
    ("argoproj.io/v1alpha1", "Application"): "argoproj.io/application_v1alpha1.json",
    ("objectbucket.io/v1alpha1", "ObjectBucketClaim"): "objectbucket.io/objectbucketclaim_v1alpha1.json",
    ("external-secrets.io/v1", "ExternalSecret"): "external-secrets.io/externalsecret_v1.json",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "gateway.networking.k8s.io/httproute_v1.json",
    ("bitnami.com/v1alpha1", "SealedSecret"): "bitnami.com/sealedsecret_v1alpha1.json",
}
# Custom kinds without a published schema here: checked for shape only.
SHAPE_ONLY = {("gateway.envoyproxy.io/v1alpha1", "SecurityPolicy"), ("external-secrets.io/v1beta1", "ExternalSecret")}


def verify(items: list[Emitted]) -> list[Diagnostic]:
    problems = []
    for item in items:
        for message in check_object(item.obj):
            problems.append(
                Diagnostic(
                    "MLCC901",
                    f"rendered {item.kind} '{item.name}' is invalid: {message}",
                    item.source,
                    hint="this is a bug in mlcc; please report it with the module that triggers it",
                )
            )
    return problems


def check_object(obj: dict[str, Any]) -> list[str]:
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in CRD_SCHEMAS:
        problems = _crd_errors(obj, CRD_SCHEMAS[key])  # type: ignore[index]
    elif key in SHAPE_ONLY:
        problems = _shape_errors(obj)
    else:
        problems = _kubernetes_errors(obj)
    pod = pod_spec_of(obj)
    if pod is not None:
        problems += [f"Pod Security restricted: {v}" for v in violations(pod)]
    return problems


def _kubernetes_errors(obj: dict[str, Any]) -> list[str]:
    validator = _kubernetes_validator(str(obj.get("apiVersion")), str(obj.get("kind")))
    if validator is None:
        return [f"no Kubernetes {KUBERNETES_VERSION} schema for {obj.get('apiVersion')} {obj.get('kind')}"]
    return _errors(validator, obj)


@lru_cache(maxsize=None)
def _kubernetes_validator(api_version: str, kind: str):
    """One compiled validator per kind, from kubernetes-validate's strict schemas.

    kubernetes_validate.validate() re-reads the (large) schema files on every call;
    loading them once per kind made `mlcc build` several times faster.
    """
    import re

    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{_schema_version()}-local-strict"
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", KUBERNETES_VERSION)
    except FileNotFoundError:
        return None
    definitions = utils.schema_contents(f"{folder}/_definitions.json", KUBERNETES_VERSION)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


@lru_cache(maxsize=1)
def _schema_version() -> str:
    from kubernetes_validate import utils

    wanted = utils.major_minor(KUBERNETES_VERSION)
    return [v for v in utils.all_versions() if utils.major_minor(v) <= wanted][-1]


def _errors(validator, obj: dict[str, Any]) -> list[str]:
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
    return [f"{e.message} (at {'/'.join(str(p) for p in e.path) or 'top level'})" for e in errors]


def _crd_errors(obj: dict[str, Any], schema_file: str) -> list[str]:
    return _errors(_crd_validator(schema_file), obj) + _shape_errors(obj)


@lru_cache(maxsize=None)
def _crd_validator(schema_file: str):
    import jsonschema

    text = resources.files("mlcc").joinpath("data", "crd-schemas", schema_file).read_text()
    schema = json.loads(text)
    return jsonschema.validators.validator_for(schema)(schema)


def _shape_errors(obj: dict[str, Any]) -> list[str]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        return ["metadata.name is missing"]
    if not isinstance(obj.get("spec"), dict):
        return ["spec is missing"]
    return []
