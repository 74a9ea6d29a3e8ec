"""OpenAPI 3.0 document of a served function, generated from its docstring contract and its
examples (shown as request examples of /predict and, converted, of V2 infer).

Built once at start-up and served as pre-serialised bytes.
"""

from __future__ import annotations

from typing import Any, Sequence

from mlcc_runtime import __version__, datatypes, jsonio
from mlcc_runtime.contract import Contract, Field
from mlcc_runtime.examples import Example
from mlcc_runtime.request import InferenceRequest

_REF = "#/components/schemas/"
_SHAPE = {"oneOf": [{"type": "integer", "minimum": 0},
                    {"type": "array", "items": {"type": "integer", "minimum": 0}}]}
_V2_SHAPE = {"type": "array", "items": {"type": "integer", "minimum": 0}}


def _ref(name: str) -> dict:
    return {"$ref": _REF + name}


def _element(types: tuple[str, ...] | frozenset[str]) -> dict:
    kinds = []
    for t in types or datatypes.ALL:
        if t in datatypes.INTS:
            kinds.append({"type": "integer"})
        elif t in datatypes.FLOATS:
            kinds.append({"type": "number"})
        elif t == "BOOL":
            kinds.append({"type": "boolean"})
        elif t == "dict":
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
             examples: Sequence[tuple[Example, InferenceRequest]] = ()) -> dict:
    """The document; ``examples`` pairs each example with its decoded request (for V2)."""
    predict_examples = _example_objects(examples, v2=False)
    v2_examples = _example_objects(examples, v2=True)
    infer_errors = _errors(400, 401, 408, 413, 500, 502, 503, 504)
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
                **health, **_errors(404)}}}
        return {"get": {"summary": "Model metadata", "parameters": params, "responses": {
            "200": _json(_ref("ModelMetadata"), "Metadata"), **_errors(404)}}}

    paths: dict[str, Any] = {
        "/predict": {"post": {
            "summary": contract.summary or f"Run {model_name}",
            "description": contract.description or "Platform predict call (wire format).",
            "requestBody": {"required": True,
                            "content": _media(_ref("PredictRequest"), predict_examples)},
            "responses": {"200": _json(_ref("PredictResponse"), "Outputs"), **infer_errors},
        }},
        "/v2": {"get": {"summary": "Server metadata", "responses": {
            "200": _json(_ref("ServerMetadata"), "Server metadata")}}},
        "/v2/health/live": {"get": {"summary": "Liveness", "responses": {
            "200": {"description": "Live"}}}},
        "/v2/health/ready": {"get": {"summary": "Readiness", "responses": health}},
    }
    for versioned in (False, True):
        base = "/v2/models/{model_name}" + ("/versions/{version}" if versioned else "")
        for suffix in ("", "/ready", "/infer"):
            paths[base + suffix] = v2_model_ops(suffix, versioned)

    out_tensor = {"type": "object", "required": ["name", "datatype", "data", "shape"],
                  "properties": {"name": {"type": "string"}, "datatype": {"type": "string"},
                                 "data": {"type": "array"}, "shape": _V2_SHAPE,
                                 "content_type": {"type": "string", "nullable": True}}}
    v2_out_tensor = {"type": "object", "required": ["name", "datatype", "shape"],
                     "properties": {"name": {"type": "string"}, "datatype": {"type": "string"},
                                    "shape": _V2_SHAPE, "data": {"type": "array"},
                                    "parameters": {"type": "object"}}}
    metadata_tensor = {"type": "object", "required": ["name", "datatype", "shape"],
                       "properties": {"name": {"type": "string"}, "datatype": {"type": "string"},
                                      "shape": {"type": "array", "items": {"type": "integer"}}}}
    parameters = {"oneOf": [
        {"type": "array", "items": {"type": "object", "required": ["name"],
                                    "properties": {"name": {"type": "string"}, "value": {}}}},
        {"type": "object"},
    ]}
    schemas = {
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "string"}}},
        "PredictRequest": {"type": "object", "required": ["inputs"], "properties": {
            "parameters": parameters,
            "inputs": _inputs_schema(contract, _predict_tensor),
            "output_fields": _output_fields(contract),
            "model_key": {"type": "string"},
        }},
        "PredictResponse": {"type": "object", "required": ["outputs"], "properties": {
            "outputs": {"type": "array", "items": out_tensor}}},
        "V2Request": {"type": "object", "required": ["inputs"], "properties": {
            "id": {"type": "string"},
            "parameters": {"type": "object"},
            "inputs": _inputs_schema(contract, _v2_tensor, at_least=1),
            "outputs": _output_fields(contract),
        }},
        "V2Response": {"type": "object", "required": ["model_name", "outputs"], "properties": {
            "model_name": {"type": "string"}, "model_version": {"type": "string"},
            "id": {"type": "string"}, "outputs": {"type": "array", "items": v2_out_tensor}}},
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
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{model_name} (mlcc-runtime)", "version": __version__,
                 "description": contract.description or ""},
        "paths": paths,
        "components": {"schemas": schemas},
    }
