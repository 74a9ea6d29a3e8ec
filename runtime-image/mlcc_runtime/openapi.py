"""OpenAPI 3.0 document of a served function, generated from its docstring contract and its
examples (shown as request examples of /predict and, converted, of V2 infer).

It describes the declared inputs (request schemas) and outputs (response schemas: datatypes,
``shape [...]`` from the description, descriptions), the parameters the examples use (the contract
cannot declare parameters), the security scheme the published route applies (``MLCC_SECURITY``,
or basic auth when the identity header is ``Authorization``) and the route's path prefix
(``MLCC_PUBLIC_PREFIX`` → ``servers``). Built once at start-up and served as pre-serialised bytes.
"""

from __future__ import annotations

from typing import Any, Sequence

from mlcc_runtime import __version__, datatypes, jsonio
from mlcc_runtime.config import SECURITY_CHOICES, normalized_prefix
from mlcc_runtime.contract import Contract, Field
from mlcc_runtime.examples import Example
from mlcc_runtime.request import InferenceRequest

_REF = "#/components/schemas/"
_SHAPE = {"oneOf": [{"type": "integer", "minimum": 0},
                    {"type": "array", "items": {"type": "integer", "minimum": 0}}]}
_V2_SHAPE = {"type": "array", "items": {"type": "integer", "minimum": 0}}

_SCHEMES = {
    "basic": {"type": "http", "scheme": "basic",
              "description": "HTTP basic auth, checked by the route in front of the service "
                             "(the gateway answers 401 without valid credentials)"},
    "oidc": {"type": "http", "scheme": "bearer",
             "description": "OpenID Connect, checked by the route's auth proxy in front of the "
                            "service: a token it accepts as a bearer token, or the session "
                            "cookie of its sign-in page (the gateway answers 401 without)"},
}


def resolve_security(setting: str, user_header: str) -> str:
    """The scheme to declare, ``basic``, ``oidc`` or ``none``, for a ``--security`` value:
    ``auto`` is basic auth when the identity header is ``Authorization`` (the gateway verified
    the password), otherwise none the runtime knows of."""
    if setting not in SECURITY_CHOICES:
        raise ValueError(f"security must be one of {', '.join(SECURITY_CHOICES)}, got {setting!r}")
    if setting != "auto":
        return setting
    return "basic" if user_header.strip().lower() == "authorization" else "none"


def route(settings: Any) -> dict[str, str]:
    """``document``'s route arguments from the serve settings."""
    return {"security": resolve_security(settings.security, settings.user_header),
            "public_prefix": normalized_prefix(settings.public_prefix)}


def _ref(name: str) -> dict:
    return {"$ref": _REF + name}


def _element(types: tuple[str, ...] | frozenset[str], dict_as_text: bool = False) -> dict:
    """The JSON type of one ``data`` element (``dict`` elements are JSON text in V2 answers)."""
    kinds = []
    for t in types or datatypes.ALL:
        if t in datatypes.INTS:
            kinds.append({"type": "integer"})
        elif t in datatypes.FLOATS:
            kinds.append({"type": "number"})
        elif t == "BOOL":
            kinds.append({"type": "boolean"})
        elif t == "dict" and not dict_as_text:
            kinds.append({"type": "object"})
        else:
            kinds.append({"type": "string"})
    unique = [k for i, k in enumerate(kinds) if k not in kinds[:i]]
    # anyOf: 1.0 is both an integer and a number to JSON Schema, which oneOf would refuse.
    return unique[0] if len(unique) == 1 else {"anyOf": unique}


def _predict_tensor(f: Field | None) -> dict:
    types = f.datatype_order if f and f.datatype_order else tuple(sorted(datatypes.ALL))
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["name", "datatype", "data"],
        "properties": {
            "name": {"type": "string", "enum": [f.name]} if f else {"type": "string"},
            "datatype": {"type": "string", "enum": list(types)},
            "data": {"type": "array", "items": _element(types)},
            "shape": _SHAPE,
            "content_type": {"type": "string"},
        },
    }
    if f and f.description:
        schema["description"] = f.description
    return schema


def _v2_tensor(f: Field | None) -> dict:
    types = f.datatype_order if f and f.datatype_order else tuple(sorted(datatypes.ALL))
    v2_types = sorted({datatypes.v2_name(t) for t in types})
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["name", "datatype", "shape", "data"],
        "properties": {
            "name": {"type": "string", "enum": [f.name]} if f else {"type": "string"},
            "datatype": {"type": "string", "enum": v2_types},
            "shape": _V2_SHAPE,
            "data": {"type": "array", "items": _element(types)},
            "parameters": {"type": "object"},
        },
    }
    if f and f.description:
        schema["description"] = f.description
    return schema


def _shape_note(f: Field) -> str:
    return "shape [" + ", ".join("N" if d < 0 else str(d) for d in f.shape or ()) + "]"


def _output_shape(f: Field) -> dict:
    """The answer's shape: as many dimensions as ``shape [...]`` in the description gives."""
    if f.shape is None:
        return _V2_SHAPE
    return {**_V2_SHAPE, "minItems": len(f.shape), "maxItems": len(f.shape),
            "description": f"declared {_shape_note(f)} (N: any size)"}


def _output_description(f: Field) -> str:
    text = f.description or f"output {f.name!r}"
    if f.shape is not None and "shape" not in text.lower():
        text += f" ({_shape_note(f)})"
    return text


def _predict_output(f: Field) -> dict:
    types = f.datatype_order or tuple(sorted(datatypes.ALL))
    return {
        "type": "object", "title": f"output {f.name}", "description": _output_description(f),
        "required": ["name", "datatype", "data", "shape"],
        "properties": {
            "name": {"type": "string", "enum": [f.name]},
            "datatype": {"type": "string", "enum": list(types)},
            "data": {"type": "array", "items": _element(types)},
            "shape": _output_shape(f),
            "content_type": {"type": "string", "nullable": True,
                             "description": "a MIME type, when the function set one"},
        },
    }


def _v2_output(f: Field) -> dict:
    types = f.datatype_order or tuple(sorted(datatypes.ALL))
    textual = [t for t in types if t in ("str", "FILE", "dict")]
    parameters: dict[str, Any] = {
        "binary_data_size": {"type": "integer", "minimum": 0,
                             "description": "the output's bytes follow the JSON (binary)"},
    }
    if textual:
        parameters["content_type"] = {"type": "string", "enum": textual,
                                      "description": "the contract's type of a BYTES output"}
        parameters["mime_type"] = {"type": "string"}
    return {
        "type": "object", "title": f"output {f.name}", "description": _output_description(f),
        "required": ["name", "datatype", "shape"],
        "properties": {
            "name": {"type": "string", "enum": [f.name]},
            "datatype": {"type": "string",
                         "enum": sorted({datatypes.v2_name(t) for t in types})},
            "shape": _output_shape(f),
            "data": {"type": "array", "items": _element(types, dict_as_text=True)},
            "parameters": {"type": "object", "properties": parameters},
        },
    }


def _outputs_schema(contract: Contract, declared: Any, generic: str) -> dict:
    """The answer's outputs: one schema per declared output, and the generic tensor, since the
    runtime answers whatever the function returns (it does not check outputs against the
    contract)."""
    schema: dict[str, Any] = {"type": "array"}
    if not contract.outputs:
        schema["items"] = _ref(generic)
        return schema
    schema["description"] = (
        "The outputs the function returns. The docstring declares " + ", ".join(contract.outputs)
        + " (one schema each); the runtime passes outputs on as the function returns them, "
        "declared or not.")
    schema["items"] = {"anyOf": [declared(f) for f in contract.outputs.values()] + [_ref(generic)]}
    return schema


def _parameters_note(examples: Sequence[tuple[Example, InferenceRequest]]) -> tuple[str, dict]:
    """What the document can say about parameters: the docstring contract declares none (only
    inputs and outputs), so only the names the examples use, with a value they give."""
    seen: dict[str, Any] = {}
    for _, request in examples:
        for p in request.parameters:
            seen.setdefault(p["name"], p.get("value"))
    text = ("Parameters are not declared by the docstring contract (it declares inputs and "
            "outputs only): every parameter reaches the function as a {name, value} pair, "
            "unchecked by the runtime.")
    if seen:
        text += " The examples use: " + ", ".join(
            f"{name} (e.g. {jsonio.dumps(value).decode()})" for name, value in seen.items()) + "."
    properties: dict[str, Any] = {}
    for name, value in seen.items():
        properties[name] = {"description": "used by the examples; not declared: any value is "
                                           "passed on"}
        if value is not None:
            properties[name]["example"] = value
    return text, properties


def _inputs_schema(contract: Contract, tensor: Any, at_least: int = 0) -> dict:
    """The inputs array: as many tensors as the contract requires (and ``at_least``), at most
    one per declared input (unknown names and repeats are refused)."""
    required = sum(1 for f in contract.inputs.values() if not f.optional)
    schema: dict[str, Any] = {"type": "array"}
    if max(required, at_least):
        schema["minItems"] = max(required, at_least)
    if not contract.inputs:
        schema["items"] = tensor(None)
        return schema
    variants = [tensor(f) for f in contract.inputs.values()]
    schema["items"] = variants[0] if len(variants) == 1 else {"oneOf": variants}
    schema["maxItems"] = len(variants)
    return schema


def _output_fields(contract: Contract) -> dict:
    name: dict[str, Any] = {"type": "string"}
    if contract.outputs:
        name["enum"] = list(contract.outputs)
    return {"type": "array", "items": {"type": "object", "required": ["name"],
                                       "properties": {"name": name}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "Invalid input", 401: "No authenticated user for a FILE request",
            404: "Unknown model or version", 408: "The request body stalled or came too slowly",
            413: "Body, FILE inputs or their memory too large",
            422: "A tensor without the protocol's required 'shape'",
            500: "The inference function failed", 502: "File box error",
            503: "Not ready, file box unreachable, or the memory for requests busy",
            504: "Inference timed out"}
    return {str(c): _json(_ref("Error"), text[c]) for c in codes}


def v2_request(request: InferenceRequest) -> dict:
    """A decoded request in the V2 infer form (``str``/``FILE``/``dict`` as BYTES naming their
    type in ``parameters.content_type``, ``dict`` elements as JSON text)."""
    inputs = []
    for t in request.inputs:
        datatype = t["datatype"]
        tensor: dict[str, Any] = {"name": t["name"], "datatype": datatypes.v2_name(datatype),
                                  "shape": list(t["shape"])}
        if datatype in ("str", "FILE", "dict"):
            tensor["parameters"] = {"content_type": datatype}
        elif t.get("content_type"):
            tensor["parameters"] = {"content_type": t["content_type"]}
        tensor["data"] = ([jsonio.dumps(v).decode() for v in t["data"]] if datatype == "dict"
                          else list(t["data"]))
        inputs.append(tensor)
    body: dict[str, Any] = {"inputs": inputs}
    if request.parameters:
        body["parameters"] = {p["name"]: p.get("value") for p in request.parameters}
    if request.output_fields:
        body["outputs"] = [{"name": f["name"]} for f in request.output_fields]
    return body


def _media(schema: dict, examples: dict[str, dict]) -> dict:
    media: dict[str, Any] = {"schema": schema}
    if examples:
        media["examples"] = examples
    return {"application/json": media}


def _example_objects(examples: Sequence[tuple[Example, InferenceRequest]],
                     v2: bool) -> dict[str, dict]:
    out = {}
    for example, request in examples:
        entry: dict[str, Any] = {"value": v2_request(request) if v2 else example.request}
        if example.summary:
            entry["summary"] = example.summary
        out[example.name] = entry
    return out


def document(contract: Contract, model_name: str,
             examples: Sequence[tuple[Example, InferenceRequest]] = (), *,
             security: str = "none", public_prefix: str = "") -> dict:
    """The document; ``examples`` pairs each example with its decoded request (for V2).

    ``security`` is the scheme the published route applies (``basic``, ``oidc`` or ``none``:
    see ``resolve_security``), ``public_prefix`` the path the route serves the service under
    (``/namespace/path``, stripped by the gateway; ``""``: none)."""
    if security not in _SCHEMES and security != "none":
        raise ValueError(f"security must be basic, oidc or none, got {security!r}")
    predict_examples = _example_objects(examples, v2=False)
    v2_examples = _example_objects(examples, v2=True)
    infer_errors = _errors(400, 401, 408, 413, 500, 502, 503, 504)
    # The route answers 401 itself (not JSON) before anything reaches the service.
    denied = {"401": {"description": "No valid credentials (answered by the route, before "
                                     "the service)"}} if security != "none" else {}
    if denied:
        infer_errors["401"] = _json(_ref("Error"), "No valid credentials (answered by the "
                                                   "route), or no authenticated user for a FILE "
                                                   "request")
    # Open Inference Protocol health: the status answers, the body is empty.
    health = {"200": {"description": "Yes"},
              "400": {"description": "No (the Mlcc-Not-Ready header says why)"}}
    model_param = {"name": "model_name", "in": "path", "required": True,
                   "schema": {"type": "string"}}
    version_param = {"name": "version", "in": "path", "required": True,
                     "schema": {"type": "string"}}

    def v2_model_ops(suffix: str, versioned: bool) -> dict:
        params = [model_param, version_param] if versioned else [model_param]
        if suffix == "/infer":
            return {"post": {
                "summary": f"Open Inference Protocol infer on {model_name!r}",
                "parameters": params,
                "requestBody": {"required": True,
                                "content": _media(_ref("V2Request"), v2_examples)},
                "responses": {"200": _json(_ref("V2Response"), "Inference result"),
                              **_errors(404, 422), **infer_errors},
            }}
        if suffix == "/ready":
            return {"get": {"summary": "Model readiness", "parameters": params, "responses": {
                **health, **_errors(404), **denied}}}
        return {"get": {"summary": "Model metadata", "parameters": params, "responses": {
            "200": _json(_ref("ModelMetadata"), "Metadata"), **_errors(404), **denied}}}

    paths: dict[str, Any] = {
        "/predict": {"post": {
            "summary": contract.summary or f"Run {model_name}",
            "description": contract.description or "Platform predict call (wire format).",
            "requestBody": {"required": True,
                            "content": _media(_ref("PredictRequest"), predict_examples)},
            "responses": {"200": _json(_ref("PredictResponse"), "Outputs"), **infer_errors},
        }},
        "/v2": {"get": {"summary": "Server metadata", "responses": {
            "200": _json(_ref("ServerMetadata"), "Server metadata"), **denied}}},
        "/v2/health/live": {"get": {"summary": "Liveness", "responses": {
            "200": {"description": "Live"}, **denied}}},
        "/v2/health/ready": {"get": {"summary": "Readiness", "responses": {**health, **denied}}},
    }
    for versioned in (False, True):
        base = "/v2/models/{model_name}" + ("/versions/{version}" if versioned else "")
        for suffix in ("", "/ready", "/infer"):
            paths[base + suffix] = v2_model_ops(suffix, versioned)

    out_tensor = {"type": "object", "title": "output",
                  "required": ["name", "datatype", "data", "shape"],
                  "properties": {"name": {"type": "string"}, "datatype": {"type": "string"},
                                 "data": {"type": "array"}, "shape": _V2_SHAPE,
                                 "content_type": {"type": "string", "nullable": True}}}
    v2_out_tensor = {"type": "object", "title": "output",
                     "required": ["name", "datatype", "shape"],
                     "properties": {"name": {"type": "string"}, "datatype": {"type": "string"},
                                    "shape": _V2_SHAPE, "data": {"type": "array"},
                                    "parameters": {"type": "object"}}}
    metadata_tensor = {"type": "object", "required": ["name", "datatype", "shape"],
                       "properties": {"name": {"type": "string"}, "datatype": {"type": "string"},
                                      "shape": {"type": "array", "items": {"type": "integer"}}}}
    note, named = _parameters_note(examples)
    object_form: dict[str, Any] = {"type": "object"}
    if named:
        object_form["properties"] = named
    parameters = {"description": note, "oneOf": [
        {"type": "array", "items": {"type": "object", "required": ["name"],
                                    "properties": {"name": {"type": "string"}, "value": {}}}},
        object_form,
    ]}
    schemas = {
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "string"}}},
        # No model_key: the runtime ignores it (the model is the one the manifest pins).
        "PredictRequest": {"type": "object", "required": ["inputs"],
                           "description": "Other fields are ignored.", "properties": {
            "parameters": parameters,
            "inputs": _inputs_schema(contract, _predict_tensor),
            "output_fields": _output_fields(contract),
        }},
        "PredictResponse": {"type": "object", "required": ["outputs"], "properties": {
            "outputs": _outputs_schema(contract, _predict_output, "PredictOutput")}},
        "PredictOutput": out_tensor,
        "V2Request": {"type": "object", "required": ["inputs"], "properties": {
            "id": {"type": "string"},
            "parameters": {**object_form, "description": note},
            "inputs": _inputs_schema(contract, _v2_tensor, at_least=1),
            "outputs": _output_fields(contract),
        }},
        "V2Response": {"type": "object", "required": ["model_name", "outputs"], "properties": {
            "model_name": {"type": "string"}, "model_version": {"type": "string"},
            "id": {"type": "string"},
            "outputs": _outputs_schema(contract, _v2_output, "V2Output")}},
        "V2Output": v2_out_tensor,
        "ServerMetadata": {"type": "object", "required": ["name", "version", "extensions"],
                           "properties": {"name": {"type": "string"},
                                          "version": {"type": "string"},
                                          "extensions": {"type": "array",
                                                         "items": {"type": "string"}}}},
        "ModelMetadata": {"type": "object", "required": ["name", "platform", "inputs", "outputs"],
                          "properties": {"name": {"type": "string"},
                                         "versions": {"type": "array",
                                                      "items": {"type": "string"}},
                                         "platform": {"type": "string"},
                                         "inputs": {"type": "array", "items": metadata_tensor},
                                         "outputs": {"type": "array",
                                                     "items": metadata_tensor}}},
    }
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": f"{model_name} (mlcc-runtime)", "version": __version__,
                 "description": contract.description or ""},
    }
    prefix = normalized_prefix(public_prefix)
    if prefix:
        doc["servers"] = [{"url": prefix, "description": "the published route (the gateway "
                                                         "strips this prefix)"}]
    doc["paths"] = paths
    doc["components"] = {"schemas": schemas}
    if security != "none":
        doc["components"]["securitySchemes"] = {security: _SCHEMES[security]}
        doc["security"] = [{security: []}]
    return doc
