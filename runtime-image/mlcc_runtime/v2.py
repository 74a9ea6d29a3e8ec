"""Codec of the Open Inference Protocol (KServe V2) REST infer call, with Triton's binary tensors.

Binary extension: the body starts with ``Inference-Header-Content-Length`` bytes of JSON; each
tensor whose ``parameters.binary_data_size`` is set takes that many bytes, in order, from the rest.
The function contract's ``str``/``FILE``/``dict`` travel as ``BYTES`` with a ``content_type``
parameter naming them.
"""

from __future__ import annotations

import struct
import sys
from array import array
from typing import Any, NamedTuple


from mlcc_runtime import datatypes
from mlcc_runtime.boundedjson import Charge, Flattened, loads_request
from mlcc_runtime.contract import Contract
from mlcc_runtime.errors import ApiError, invalid
from mlcc_runtime import jsonio
from mlcc_runtime.jsonio import dumps
from mlcc_runtime.request import InferenceRequest
from mlcc_runtime.tensors import normalize_input, textual
from mlcc_runtime.wire import parameters_list

HEADER_LENGTH = "inference-header-content-length"
_ARRAY_CODES = {
    "INT8": "b", "UINT8": "B", "INT16": "h", "UINT16": "H", "INT32": "i", "UINT32": "I",
    "INT64": "q", "UINT64": "Q", "FP32": "f", "FP64": "d",
}
_SPECIAL_CONTENT = {"str": "str", "FILE": "FILE", "dict": "dict"}
_BIG_ENDIAN = sys.byteorder == "big"  # the wire is little-endian
_RESERVED_PARAMETERS = frozenset({"binary_data_output"})
# Memory of a decoded value: a list slot (with over-allocation), a float, an int up to 2**64.
_SLOT, _FLOAT, _INT = 9, 24, 36


def _free(n: int) -> None:
    """The charge of a request decoded without a memory budget (examples at start-up)."""


class ResponseOptions(NamedTuple):
    id: str | None
    binary_all: bool
    binary: dict[str, bool]  # per requested output: parameters.binary_data


def _decode_numeric(chunk: memoryview, datatype: str, where: str, charge: Charge) -> list:
    """The tensor as the list the function gets; its memory (a list slot and, but for the
    shared small ints and booleans, a number object per value) is charged before it is built."""
    if datatype == "BOOL":
        charge(_SLOT * len(chunk))
        return [b != 0 for b in chunk]
    if datatype == "FP16":
        if len(chunk) % 2:
            raise invalid(f"{where}: {len(chunk)} binary bytes are not a whole number of FP16")
        charge((_SLOT + _FLOAT) * (len(chunk) // 2))
        return list(struct.unpack(f"<{len(chunk) // 2}e", chunk))
    values = array(_ARRAY_CODES[datatype])
    if len(chunk) % values.itemsize:
        raise invalid(f"{where}: {len(chunk)} binary bytes are not a whole number of {datatype}")
    values.frombytes(chunk)
    if _BIG_ENDIAN:
        values.byteswap()
    n = len(values)
    if datatype in datatypes.FLOATS:
        charge((_SLOT + _FLOAT) * n)
    elif n and min(values) >= -5 and max(values) <= 256:
        charge(_SLOT * n)  # small ints are shared objects
    else:
        charge((_SLOT + _INT) * n)
    return values.tolist()


def _decode_bytes(chunk: memoryview, where: str, charge: Charge) -> list[bytes]:
    items, offset, end = [], 0, len(chunk)
    while offset < end:
        if offset + 4 > end:
            raise invalid(f"{where}: truncated BYTES element length")
        (size,) = struct.unpack_from("<I", chunk, offset)
        offset += 4
        if offset + size > end:
            raise invalid(f"{where}: BYTES element of {size} bytes runs past the binary data")
        items.append(bytes(chunk[offset:offset + size]))
        offset += size
    charge(sum(map(sys.getsizeof, items)) + sys.getsizeof(items))
    return items


def _input(raw: Any, index: int, binary: memoryview, offset: int,
           contract: Contract, charge: Charge) -> tuple[dict, int]:
    if type(raw) is not dict:
        raise invalid(f"inputs[{index}] must be an object")
    name = raw.get("name")
    if type(name) is not str or not name:  # before the contract lookup: a list is unhashable
        raise invalid(f"inputs[{index}]: 'name' must be a non-empty string")
    where = f"input {name!r}"
    params = raw.get("parameters") or {}
    if type(params) is not dict:
        raise invalid(f"{where}: parameters must be an object")
    datatype = datatypes.canonical(raw.get("datatype"))
    if datatype is None:  # let the shared check word the error
        return normalize_input(raw, index), offset
    content_type = params.get("content_type")
    target = datatype
    if datatype == "BYTES":
        target = (_SPECIAL_CONTENT.get(content_type) if type(content_type) is str else None) \
            or contract.declared_textual(name) or "str"
    if raw.get("shape") is None:
        # A required field of the protocol: 422, as MLServer (the platform's /predict stays
        # lenient about shape).
        raise ApiError(422, f"{where}: 'shape' is missing; the Open Inference Protocol "
                            "requires it (e.g. [N] or [N, 4])")
    size = params.get("binary_data_size")
    if size is not None:
        if type(size) is not int or size < 0:
            raise invalid(f"{where}: binary_data_size must be a non-negative integer")
        if offset + size > len(binary):
            raise invalid(f"{where}: binary_data_size {size} runs past the end of the body")
        chunk = binary[offset:offset + size]
        offset += size
        data: Any = (_decode_numeric(chunk, datatype, where, charge)
                     if datatype in datatypes.NUMERIC else _decode_bytes(chunk, where, charge))
    elif "data" in raw:
        data = raw["data"]
    else:
        raise invalid(f"{where}: neither 'data' nor parameters.binary_data_size is given")
    if target in datatypes.TEXTUAL:
        if type(data) is Flattened:
            data = data.values
        data = textual(data if type(data) is list else [data], target, where, charge)
    tensor = {"name": name, "datatype": target, "data": data, "shape": raw.get("shape")}
    if type(content_type) is str and content_type not in _SPECIAL_CONTENT:
        tensor["content_type"] = content_type  # a MIME type for the function to see
    return normalize_input(tensor, index), offset


def decode(body: bytes | bytearray, header_length: str | None, contract: Contract,
           charge: Charge | None = None) -> tuple[InferenceRequest, ResponseOptions]:
    """Decode a request; with ``charge``, the memory it takes is charged as it is decoded."""
    charge = charge or _free
    if header_length is not None:
        try:
            n = int(header_length)
        except ValueError:
            raise invalid("Inference-Header-Content-Length must be an integer") from None
        if n < 0 or n > len(body):
            raise invalid(f"Inference-Header-Content-Length {n} is outside the body "
                          f"({len(body)} bytes)")
        charge(n)  # the JSON header's copy
        doc, binary = loads_request(body[:n], charge), memoryview(body)[n:]
    else:
        doc, binary = loads_request(body, charge), memoryview(b"")
    raw_inputs = doc.get("inputs")
    if type(raw_inputs) is not list or not raw_inputs:
        raise invalid("'inputs' must be a list of at least one tensor")
    inputs, offset = [], 0
    for i, raw in enumerate(raw_inputs):
        tensor, offset = _input(raw, i, binary, offset, contract, charge)
        inputs.append(tensor)
    if offset != len(binary):
        raise invalid(f"{len(binary) - offset} bytes of binary data belong to no input")
    params = doc.get("parameters") or {}
    if type(params) is not dict:
        raise invalid("'parameters' must be an object")
    raw_outputs = doc.get("outputs") or []
    if type(raw_outputs) is not list:
        raise invalid("'outputs' must be a list")
    output_fields, binary_flags = [], {}
    for i, o in enumerate(raw_outputs):
        if type(o) is not dict or type(o.get("name")) is not str:
            raise invalid(f"outputs[{i}] must be an object with a string 'name'")
        o_params = o.get("parameters") or {}
        if type(o_params) is not dict:
            raise invalid(f"outputs[{i}]: parameters must be an object")
        if "binary_data" in o_params:
            binary_flags[o["name"]] = bool(o_params["binary_data"])
        declared = contract.outputs.get(o["name"])
        field = {"name": o["name"]}
        if declared is not None and declared.primary:
            field["datatype"] = declared.primary
        output_fields.append(field)
    request_id = doc.get("id")
    options = ResponseOptions(
        id=request_id if type(request_id) is str else None,
        binary_all=params.get("binary_data_output") is True,
        binary=binary_flags,
    )
    parameters = parameters_list({k: v for k, v in params.items() if k not in _RESERVED_PARAMETERS})
    return InferenceRequest(parameters, inputs, output_fields), options


def _json_data(datatype: str, data: list) -> list:
    if datatype == "dict":
        return [jsonio.dumps(v).decode() for v in data]
    if datatype == "BYTES":
        return [v.decode("utf-8", "replace") if type(v) is bytes else v for v in data]
    return data


def _binary_data(datatype: str, data: list, name: str) -> bytes:
    try:
        if datatype in datatypes.TEXTUAL:
            parts = []
            for v in data:
                if datatype == "dict":
                    b = jsonio.dumps(v)
                else:
                    b = v if type(v) is bytes else str(v).encode("utf-8")
                parts.append(struct.pack("<I", len(b)))
                parts.append(b)
            return b"".join(parts)
        if datatype == "BOOL":
            return bytes(bool(v) for v in data)
        if datatype == "FP16":
            return struct.pack(f"<{len(data)}e", *data)
        values = array(_ARRAY_CODES[datatype], data)
    except (TypeError, ValueError, OverflowError, struct.error) as exc:
        raise ApiError(500, f"output {name!r} does not fit its datatype {datatype}: {exc}") from None
    if _BIG_ENDIAN:
        values.byteswap()
    return values.tobytes()


def encode(outputs: list[dict], model_name: str, model_version: str | None,
           options: ResponseOptions) -> tuple[bytes, int | None]:
    """Return the body and, when any tensor went binary, the JSON header length."""
    tensors, chunks = [], []
    for out in outputs:
        datatype = out["datatype"]
        tensor: dict[str, Any] = {
            "name": out["name"],
            "datatype": datatypes.v2_name(datatype),
            "shape": out["shape"],
        }
        parameters = {}
        if datatype in ("str", "FILE", "dict"):
            parameters["content_type"] = datatype
            if out.get("content_type"):
                parameters["mime_type"] = out["content_type"]
        elif out.get("content_type"):
            parameters["content_type"] = out["content_type"]
        if options.binary.get(out["name"], options.binary_all):
            chunk = _binary_data(datatype, out["data"], out["name"])
            parameters["binary_data_size"] = len(chunk)
            chunks.append(chunk)
        else:
            tensor["data"] = _json_data(datatype, out["data"])
        if parameters:
            tensor["parameters"] = parameters
        tensors.append(tensor)
    doc: dict[str, Any] = {"model_name": model_name}
    if model_version:
        doc["model_version"] = model_version
    if options.id is not None:
        doc["id"] = options.id
    doc["outputs"] = tensors
    header = dumps(doc)
    if not chunks:
        return header, None
    return header + b"".join(chunks), len(header)
