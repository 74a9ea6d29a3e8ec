"""Every rendered object is checked before anything is written.

Kubernetes objects against the OpenAPI schemas of a pinned Kubernetes version
(strict: unknown fields fail), custom objects against their vendored upstream
CRD schemas made strict the same way (kubeconform's strict mode), pods against
Pod Security "restricted". A failure here is a bug in mlcc, reported as MLCC901
at the manifest that produced the object.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from mlcc.diagnostics import Diagnostic
from mlcc.k8s.objects import Emitted
from mlcc.k8s.pss import pod_spec_of, violations

KUBERNETES_VERSION = "1.31.0"
# kubernetes-validate's strict (no unknown fields) schemas of that version.
_SCHEMA_DIR = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"
CRD_SCHEMAS = {
    ("argoproj.io/v1alpha1", "Application"): "argoproj.io/application_v1alpha1.json",
    ("objectbucket.io/v1alpha1", "ObjectBucketClaim"): "objectbucket.io/objectbucketclaim_v1alpha1.json",
    ("external-secrets.io/v1", "ExternalSecret"): "external-secrets.io/externalsecret_v1.json",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "gateway.networking.k8s.io/httproute_v1.json",
    ("bitnami.com/v1alpha1", "SealedSecret"): "bitnami.com/sealedsecret_v1alpha1.json",
    ("gateway.envoyproxy.io/v1alpha1", "SecurityPolicy"): "gateway.envoyproxy.io/securitypolicy_v1alpha1.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh/scaledobject_v1alpha1.json",
    ("http.keda.sh/v1alpha1", "HTTPScaledObject"): "http.keda.sh/httpscaledobject_v1alpha1.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "monitoring.coreos.com/podmonitor_v1.json",
}
# Custom kinds and versions a current controller no longer serves: the API server would answer 404.
UNSERVED = {
    # External Secrets Operator 0.17.0 stopped serving v1beta1 ("v0.17.0 Stops serving v1beta1
    # apis", its release notes); mlcc's own ExternalSecrets are v1, so clusters run 0.16 or later.
    ("external-secrets.io/v1beta1", "ExternalSecret"): "external-secrets.io/v1",
}


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
    elif key in UNSERVED:
        problems = [f"{key[0]} {key[1]} is no longer served by its controller; use apiVersion {UNSERVED[key]}"]  # type: ignore[index]
    else:
        problems = _kubernetes_errors(obj)
    problems += _api_server_errors(obj)
    pod = pod_spec_of(obj)
    if pod is not None:
        problems += [f"Pod Security restricted: {v}" for v in violations(pod)]
    return problems


# --- what the API server checks beyond the OpenAPI schema ------------------------------

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
# Kinds whose names become DNS labels (Service: DNS-1035, a letter first).
_LABEL_NAMED = {"Namespace": _DNS_LABEL, "Service": _DNS_1035_LABEL}


def _api_server_errors(obj: dict[str, Any]) -> list[str]:
    """Names, labels and references that pass the schema but that the API server rejects."""
    problems: list[str] = []
    metadata, spec = _mapping(obj.get("metadata")), _mapping(obj.get("spec"))  # the schema check reports other types
    name = str(metadata.get("name", ""))
    pattern = _LABEL_NAMED.get(str(obj.get("kind")))
    if pattern is not None and not (len(name) <= 63 and pattern.match(name)):
        problems.append(f"metadata.name '{name}' is not a valid {obj.get('kind')} name (a DNS label of at most 63 characters)")
    elif pattern is None and name and not (len(name) <= 253 and _DNS_SUBDOMAIN.match(name)):
        problems.append(f"metadata.name '{name}' is not a DNS subdomain")
    problems += _label_errors("metadata", metadata)
    if obj.get("kind") == "Service":
        problems += _map_errors("spec.selector", _mapping(spec.get("selector")))
    template = spec.get("template")
    if isinstance(template, dict) and "spec" in template:
        problems += _label_errors("spec.template.metadata", _mapping(template.get("metadata")))
        wanted = _mapping(_mapping(spec.get("selector")).get("matchLabels"))
        problems += _map_errors("spec.selector.matchLabels", wanted)
        have = _mapping(_mapping(template.get("metadata")).get("labels"))
        if any(have.get(k) != v for k, v in wanted.items()):
            problems.append("spec.selector.matchLabels does not match spec.template.metadata.labels")
    pod = pod_spec_of(obj)
    if pod is not None:
        problems += _pod_errors(pod)
    return problems


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _label_errors(where: str, metadata: dict[str, Any]) -> list[str]:
    problems = _map_errors(f"{where}.labels", _mapping(metadata.get("labels")))
    for key in _mapping(metadata.get("annotations")):
        problems += [f"{where}.annotations: {p}" for p in _key_errors(key)]
    return problems


def _map_errors(where: str, labels: dict[str, Any]) -> list[str]:
    problems = []
    for key, value in labels.items():
        problems += [f"{where}: {p}" for p in _key_errors(key)]
        if not (isinstance(value, str) and len(value) <= 63 and _LABEL_VALUE.match(value)):
            problems.append(f"{where}['{key}']: '{value}' is not a valid label value (at most 63 of [-A-Za-z0-9_.])")
    return problems


def _key_errors(key: Any) -> list[str]:
    if not isinstance(key, str):
        return [f"key {key!r} is not a string"]
    prefix, _, name = key.rpartition("/")
    if prefix and not (len(prefix) <= 253 and _DNS_SUBDOMAIN.match(prefix)):
        return [f"key '{key}' has an invalid prefix"]
    if not (len(name) <= 63 and _QUALIFIED_NAME.match(name)):
        return [f"key '{key}' is not a qualified name"]
    return []


def _pod_errors(pod: dict[str, Any]) -> list[str]:
    problems = []
    volumes = [v.get("name", "") for v in pod.get("volumes", [])]
    containers = [*pod.get("initContainers", []), *pod.get("containers", [])]
    names = [c.get("name", "") for c in containers]
    for kind, found in (("container", names), ("volume", volumes)):
        for name in found:
            if not (len(name) <= 63 and _DNS_LABEL.match(name)):
                problems.append(f"{kind} name '{name}' is not a DNS label of at most 63 characters")
        for name in sorted({n for n in found if found.count(n) > 1}):
            problems.append(f"{kind} name '{name}' is used twice")
    for container in containers:
        for mount in container.get("volumeMounts", []):
            if mount.get("name") not in volumes:
                problems.append(f"container '{container.get('name')}' mounts the undeclared volume '{mount.get('name')}'")
        paths = [m.get("mountPath") for m in container.get("volumeMounts", [])]
        for path in sorted({p for p in paths if paths.count(p) > 1}):
            problems.append(f"container '{container.get('name')}' mounts two volumes at '{path}'")
        for port in container.get("ports", []):
            if "name" in port and not (len(port["name"]) <= 15 and _PORT_NAME.match(port["name"])):
                problems.append(f"container '{container.get('name')}': port name '{port['name']}' is not an IANA service name")
    return problems


def _kubernetes_errors(obj: dict[str, Any]) -> list[str]:
    kind = _kubernetes_validator(str(obj.get("apiVersion")), str(obj.get("kind")))
    if kind is None:
        return [f"no Kubernetes {KUBERNETES_VERSION} schema for {obj.get('apiVersion')} {obj.get('kind')}"]
    key = json.dumps(_skeleton(obj, kind.enum_values), sort_keys=True) if kind.enum_values is not None else None
    if key is not None and key in kind.valid_skeletons:
        return []
    errors = _errors(kind.validator, obj)
    if key is not None and not errors:
        kind.valid_skeletons.add(key)
    return errors


class _KindSchema:
    """A kind's validator, and what lets equal-shaped objects share one validation.

    Validity under these schemas depends on an object's keys, its numbers and
    the types of its values, and on strings only where an `enum` lists them.
    So the skeleton — strings replaced by "" unless they are one of the kind's
    enum values — is valid exactly when the object is: objects rendered from
    different modules mostly share skeletons. `enum_values` is None for a
    schema with any other string constraint; those objects are always validated.
    Invalid objects are always validated in full, so messages show real values.
    """

    def __init__(self, validator, schema: dict[str, Any]) -> None:
        self.validator = validator
        self.enum_values = _enum_values(schema)
        self.valid_skeletons: set[str] = set()


# Keywords whose verdict can hang on a string's value. `format` is not among them: like
# kubernetes-validate, the validator has no format checker, so formats are not asserted.
_VALUE_DEPENDENT = ("pattern", "minLength", "maxLength", "const", "oneOf", "anyOf", "allOf", "not", "if")


def _type_only(branches: Any) -> bool:
    """oneOf/anyOf over bare types (int-or-string): decided by the type, which skeletons keep."""
    return isinstance(branches, list) and all(isinstance(b, dict) and set(b) == {"type"} for b in branches)


def _enum_values(schema: Any) -> frozenset[str] | None:
    values: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if any(k in node and not (k in ("oneOf", "anyOf") and _type_only(node[k])) for k in _VALUE_DEPENDENT):
                return None
            for value in node.get("enum", ()):
                if not isinstance(value, str) or value == "":
                    return None
                values.add(value)
            stack.extend(v for k, v in node.items() if k != "enum")
    return frozenset(values)


def _skeleton(value: Any, keep: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _skeleton(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(v, keep) for v in value]
    if isinstance(value, str):
        return value if value in keep else ""
    return value


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
    if not re.fullmatch(r"[A-Za-z0-9]+", kind) or not re.fullmatch(r"[a-z0-9-]+", group_version):
        return None  # no schema file can be named so (and the name must not reach the file system)
    folder = f"kubernetes-json-schema/v{_schema_version()}-local-strict"
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", KUBERNETES_VERSION)
    except (FileNotFoundError, utils.VersionNotSupportedError):
        return None
    definitions = utils.schema_contents(f"{folder}/_definitions.json", KUBERNETES_VERSION)
    try:
        # References resolved once, up front: validation is then ~3x faster than
        # looking each one up in a registry on every object.
        inlined = _inline(schema, definitions["$defs"], ())
        return _KindSchema(jsonschema.Draft202012Validator(inlined), inlined)
    except RecursionError:  # a self-referencing type: keep the references
        registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
        return _KindSchema(jsonschema.Draft202012Validator(schema, registry=registry), {"not": "inspected"})


def _inline(node: Any, definitions: dict[str, Any], trail: tuple[str, ...]) -> Any:
    """`node` with every `$ref` replaced by its definition (descriptions dropped)."""
    if isinstance(node, list):
        return [_inline(item, definitions, trail) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in trail:
            raise RecursionError(name)
        rest = {k: _inline(v, definitions, trail) for k, v in node.items() if k not in ("$ref", "description")}
        return {**_inline(definitions[name], definitions, (*trail, name)), **rest}
    return {k: _inline(v, definitions, trail) for k, v in node.items() if k != "description"}


@lru_cache(maxsize=1)
def _schema_version() -> str:
    from kubernetes_validate import utils

    wanted = utils.major_minor(KUBERNETES_VERSION)
    return [v for v in utils.all_versions() if utils.major_minor(v) <= wanted][-1]


def _errors(validator, obj: dict[str, Any]) -> list[str]:
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
    return [f"{e.message} (at {'/'.join(str(p) for p in e.path) or 'top level'})" for e in errors]


def _crd_errors(obj: dict[str, Any], schema_file: str) -> list[str]:
    return _errors(_crd_validator(schema_file), obj) or _shape_errors(obj)


@lru_cache(maxsize=None)
def _crd_validator(schema_file: str):
    import jsonschema

    text = resources.files("mlcc").joinpath("data", "crd-schemas", schema_file).read_text()
    schema = json.loads(text)
    # Every object carries these, whatever its CRD lists (the API server checks them for all
    # kinds; metadata here is checked by _api_server_errors): a strict top level must admit them.
    properties = {**_OBJECT_FIELDS, **schema.get("properties", {})}
    schema = strict_schema({**schema, "properties": properties})
    return jsonschema.validators.validator_for(schema)(schema)


_OBJECT_FIELDS = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}


_COMBINATORS = ("allOf", "anyOf", "oneOf")


def strict_schema(schema: Any) -> Any:
    """`schema` with `additionalProperties: false` on every object schema that lists `properties`
    and says nothing about other fields (no `additionalProperties`, no
    `x-kubernetes-preserve-unknown-fields`): what kubeconform's strict mode does to the lenient
    catalog schemas. A field at the wrong level then fails here instead of being pruned by the
    API server. Schemas whose properties are split over allOf/anyOf/oneOf branches stay open (a
    strict branch would refuse the other branches' fields). Only schema positions are walked, so
    a field that happens to be named `properties` is not mistaken for a schema."""
    if not isinstance(schema, dict):
        return schema
    strict = dict(schema)
    for key in ("properties", "patternProperties"):
        if isinstance(schema.get(key), dict):
            strict[key] = {name: strict_schema(sub) for name, sub in schema[key].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            strict[key] = strict_schema(schema[key])
    if isinstance(schema.get("items"), list):
        strict["items"] = [strict_schema(sub) for sub in schema["items"]]
    for key in _COMBINATORS:
        if isinstance(schema.get(key), list):
            strict[key] = [strict_schema(sub) for sub in schema[key]]
    split = any(isinstance(b, dict) and "properties" in b for k in _COMBINATORS for b in schema.get(k, ()) or ())
    if (
        isinstance(schema.get("properties"), dict)
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
        and not split
    ):
        strict["additionalProperties"] = False
    return strict


def _shape_errors(obj: dict[str, Any]) -> list[str]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        return ["metadata.name is missing"]
    if not isinstance(obj.get("spec"), dict):
        return ["spec is missing or not a mapping"]
    return []
