"""One YAML document → a typed manifest, or diagnostics that point into the file.

pydantic does the checking; this file only translates its error locations
(field paths) back to lines and columns, and its messages into ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from mlcc import API_VERSION
from mlcc.diagnostics import Diagnostic
from mlcc.diagnostics.suggest import did_you_mean
from mlcc.model import KINDS
from mlcc.syntax.source import Document, to_plain

T = TypeVar("T", bound=BaseModel)

# Kinds a module may carry besides its own: they put credentials into the
# namespace without a plaintext secret in Git, and are rendered unchanged.
PASSTHROUGH_KINDS = {
    "ExternalSecret": ("external-secrets.io/v1", "external-secrets.io/v1beta1"),
    "SealedSecret": ("bitnami.com/v1alpha1",),
}
SECRET_HINT = (
    "commit a SealedSecret or an ExternalSecret instead, or let the environment's "
    "secret store provide it"
)


@dataclass(frozen=True)
class Resource(Generic[T]):
    """A checked manifest and the document it came from (for diagnostics)."""

    doc: Document
    obj: T

    @property
    def name(self) -> str:
        return self.obj.metadata.name  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Passthrough:
    """A foreign object the module carries as it is (ExternalSecret, SealedSecret)."""

    doc: Document
    obj: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.obj.get("metadata", {}).get("name", ""))


def classify(doc: Document) -> tuple[Resource | Passthrough | None, list[Diagnostic]]:
    if not doc.is_mapping:
        return None, [_not_manifest(doc, "a YAML document here must be a mapping (a manifest)")]
    api_version, kind = doc.api_version, doc.kind
    if not isinstance(kind, str) or not isinstance(api_version, str):
        missing = "kind" if not isinstance(kind, str) else "apiVersion"
        return None, [_not_manifest(doc, f"document has no `{missing}`")]
    if kind in KINDS:
        if api_version != API_VERSION:
            return None, [
                Diagnostic(
                    "MLCC104",
                    f"{kind} has apiVersion '{api_version}'",
                    doc.locate(("apiVersion",)),
                    hint=f"use `apiVersion: {API_VERSION}`",
                )
            ]
        return validate(doc, KINDS[kind])
    if api_version == "v1" and kind == "Secret":
        return None, [_plaintext_secret(doc)]
    if api_version in PASSTHROUGH_KINDS.get(kind, ()):
        return _passthrough(doc)
    return None, [_unknown_kind(doc, api_version, kind)]


def validate(doc: Document, model: type[T]) -> tuple[Resource[T] | None, list[Diagnostic]]:
    try:
        return Resource(doc, model.model_validate(to_plain(doc.root))), []
    except ValidationError as exc:
        return None, [_diagnostic(doc, model, err) for err in exc.errors(include_url=False)]


def _passthrough(doc: Document) -> tuple[Passthrough | None, list[Diagnostic]]:
    if not isinstance(doc.name, str) or not doc.name:
        return None, [
            Diagnostic("MLCC202", "missing required field 'metadata.name'", doc.locate(("metadata",)))
        ]
    obj = to_plain(doc.root)
    from mlcc.k8s.verify import check_object  # the checks `mlcc build` applies to its output: lint and build agree

    problems = check_object(obj)
    if problems:
        return None, [
            Diagnostic(
                "MLCC208",
                f"{doc.kind} '{doc.name}' would be rejected by Kubernetes: {problem}",
                doc.locate(("kind",)),
                hint=f"mlcc deploys the {doc.kind} unchanged: fix it here, as its CRD requires",
            )
            for problem in problems
        ]
    return Passthrough(doc, obj), []


def _not_manifest(doc: Document, message: str) -> Diagnostic:
    return Diagnostic(
        "MLCC103",
        message,
        doc.locate(()),
        hint=f"manifests start with `apiVersion: {API_VERSION}` and `kind: DataBox|MLComponent|APIComponent`",
    )


def _plaintext_secret(doc: Document) -> Diagnostic:
    field = "stringData" if doc.get("stringData") is not None else "data"
    carries_data = doc.get("data") is not None or doc.get("stringData") is not None
    return Diagnostic(
        "MLCC401" if carries_data else "MLCC402",
        f"Secret '{doc.name}' holds plaintext `{field}`; secrets never go to Git in plaintext"
        if carries_data
        else f"a plain Secret '{doc.name}' does not belong in a module",
        doc.locate((field,), key=True) if carries_data else doc.locate(("kind",)),
        hint=SECRET_HINT,
    )


def _unknown_kind(doc: Document, api_version: str, kind: str) -> Diagnostic:
    if api_version == API_VERSION:
        hint = did_you_mean(kind, KINDS, "kind")
        message = f"unknown kind '{kind}'"
    else:
        hint = "a module holds DataBox, MLComponent and APIComponent manifests (plus ExternalSecret or SealedSecret)"
        message = f"mlcc does not manage {api_version} {kind}"
    return Diagnostic("MLCC104", message, doc.locate(("kind",)), hint=hint)


# --- pydantic errors → diagnostics -------------------------------------------------

# Keyed by the field name, or by (parent, field) where one name means two things.
_PATTERN_MESSAGES: dict[str | tuple[str, str], str] = {
    "existingImageName": "is not an image reference such as registry.example.com/team/app:1.2",
    "pythonFunction": "must be a dotted path such as package.module.function",
    "pythonPath": "must be a relative path inside the module, without '..'",
    "path": "must be an absolute path such as /home/app/models",
    ("restfulApi", "path"): "must be URL segments such as 'iris' or 'models/iris-v2' "
    "(lower-case letters, digits and '-', no leading '/')",
    "inferenceFilesPath": "must be an absolute path",
    "modelPath": "must be an absolute path",
    "subPath": "must be a relative object-key prefix without '..'",
    "apiVersion": f"must be {API_VERSION}",
}
_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _diagnostic(doc: Document, model: type[BaseModel], err: Any) -> Diagnostic:
    kind = err["type"]
    raw = tuple(err["loc"])
    # The last part of an unknown or missing field is the user's key, whatever it looks like.
    named = kind in ("extra_forbidden", "missing") and bool(raw)
    loc = tuple(p for p in (raw[:-1] if named else raw) if isinstance(p, int) or not _is_validator_tag(p))
    loc += raw[-1:] if named else ()
    where = field_path(loc)
    if kind == "extra_forbidden":
        field = str(loc[-1])
        parent = field_path(loc[:-1]) or "the document"
        return Diagnostic(
            "MLCC201",
            f"unknown field '{field}' in {parent}",
            doc.locate(loc, key=True),
            hint=did_you_mean(field, allowed_fields(model, loc[:-1]), "field"),
        )
    if kind == "missing":
        parent = field_path(loc[:-1]) or "the document"
        return Diagnostic(
            "MLCC202",
            f"missing required field '{loc[-1]}' in {parent}",
            doc.locate(loc, key=True),
            hint=f"add `{loc[-1]}:` here",
        )
    location = doc.locate(loc)
    if kind == "quantity":
        return Diagnostic("MLCC204", f"{where}: {err['msg']}", location, hint=(err.get("ctx") or {}).get("hint"))
    if kind == "dns_name":
        return Diagnostic("MLCC205", f"{where}: {err['msg']}", location)
    if kind == "string_pattern_mismatch":
        names = [str(p) for p in loc if isinstance(p, str)]
        detail = _PATTERN_MESSAGES.get(tuple(names[-2:]), _PATTERN_MESSAGES.get(names[-1] if names else "", ""))
        return Diagnostic("MLCC203", f"{where} '{err['input']}' {detail or 'has an invalid format'}", location)
    if kind in _TYPE_NAMES:
        got = err["input"]
        hint = None
        if kind == "string_type" and isinstance(got, (bool, int, float)):
            hint = f"YAML reads {_yaml_text(got)} as a {_yaml_type(got)}; quote it: \"{_yaml_text(got)}\""
        elif kind == "string_type" and got is None:
            hint = 'write "" for an empty string'
        return Diagnostic(
            "MLCC203",
            f"{where or 'document'}: expected {_TYPE_NAMES[kind]}, got {_describe(got)}",
            location,
            hint=hint,
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    key = bool(loc) and kind == "value_error"
    return Diagnostic("MLCC203", f"{where or 'document'}: {message}", doc.locate(loc, key=key))


def field_path(loc: tuple) -> str:
    """("spec", "env", 0, "value") → "spec.env[0].value"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _yaml_type(value: Any) -> str:
    return "boolean" if isinstance(value, bool) else "number"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return _yaml_text(value)


def _is_validator_tag(part: str) -> bool:
    # pydantic inserts validator names such as "function-after[...]" into locations.
    return "[" in part or part in ("function-after", "function-before", "nullable")


def allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names accepted at `loc` inside `model` (for did-you-mean)."""
    schema = _json_schema(model)
    node = _resolve(schema, schema)
    for part in loc:
        node = _resolve(schema, node)
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return sorted(_resolve(schema, node).get("properties", {}))


def _resolve(root: dict, node: dict) -> dict:
    while True:
        if "$ref" in node:
            node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            node = next((b for b in node["anyOf"] if b.get("type") != "null"), {})
        else:
            return node


@lru_cache(maxsize=None)
def _json_schema(model: type[BaseModel]) -> dict:
    return model.model_json_schema(by_alias=True)
