"""Codec of the platform's predict call (``POST /predict``).

Request ``{"parameters", "inputs", "output_fields", "model_key"}``; answer
``{"outputs": [{"name", "datatype", "data", "shape", "content_type"}]}``. Real clients are sloppy,
so ``parameters`` may be a list of ``{name, value}`` or a plain dict, and ``shape`` may be absent.
"""

from __future__ import annotations

from typing import Any

from mlcc_runtime.boundedjson import Charge, loads_request
from mlcc_runtime.contract import Contract
from mlcc_runtime.errors import invalid
from mlcc_runtime.jsonio import dumps
from mlcc_runtime.request import InferenceRequest
from mlcc_runtime.tensors import normalize_input, textual


def parameters_list(raw: Any, where: str = "parameters") -> list[dict]:
    """Accept ``[{name, value}]`` or ``{name: value}``; always return the list form."""
    if raw is None:
        return []
    if type(raw) is dict:
        return [{"name": k, "value": v} for k, v in raw.items()]
    if type(raw) is not list:
        raise invalid(f"{where} must be a list of {{name, value}} or an object")
    for i, p in enumerate(raw):
        if type(p) is not dict or type(p.get("name")) is not str:
            raise invalid(f"{where}[{i}] must be an object with a string 'name'")
    return raw


def output_fields_list(raw: Any, where: str = "output_fields") -> list[dict]:
    if raw is None:
        return []
    if type(raw) is not list:
        raise invalid(f"{where} must be a list")
    fields = []
    for i, f in enumerate(raw):
        if type(f) is str:  # lenient: a bare name
            f = {"name": f}
        if type(f) is not dict or type(f.get("name")) is not str:
            raise invalid(f"{where}[{i}] must be an object with a string 'name'")
        fields.append(f)
    return fields


def _input(raw: Any, index: int, contract: Contract, charge: Charge | None) -> dict:
    tensor = normalize_input(raw, index)
    if tensor["datatype"] == "BYTES":
        # As on V2: BYTES is the type-less textual type and the contract says which one is meant.
        # So a field declared FILE always gets a FILE, whose keys go through the checks and the
        # download: never a client's string the function would open as a local path.
        target = contract.declared_textual(tensor["name"])
        if target is not None and target != "BYTES":
            tensor["data"] = textual(tensor["data"], target, f"input {tensor['name']!r}",
                                     charge)
            tensor["datatype"] = target
    return tensor


def decode(body: bytes | bytearray, contract: Contract,
           charge: Charge | None = None) -> InferenceRequest:
    """Decode a request; with ``charge``, the memory it takes is charged as it is decoded."""
    doc = loads_request(body, charge)
    raw_inputs = doc.get("inputs", [])
    if type(raw_inputs) is not list:
        raise invalid("'inputs' must be a list")
    return InferenceRequest(
        parameters=parameters_list(doc.get("parameters")),
        inputs=[_input(t, i, contract, charge) for i, t in enumerate(raw_inputs)],
        output_fields=output_fields_list(doc.get("output_fields")),
    )


def encode(outputs: list[dict]) -> bytes:
    return dumps({"outputs": outputs})
