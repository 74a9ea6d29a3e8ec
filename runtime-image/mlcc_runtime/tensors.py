"""Normalisation of tensors in the function's dict form ``{name, datatype, data, shape, ...}``.

Both codecs (platform /predict and V2) end here, so leniency rules live in one place: ``shape``
may be absent, ``0``, an int or a list; ``data`` may be nested or a scalar. The result always has a
flat ``data`` list whose length matches ``shape``.
"""

from __future__ import annotations

import sys
from typing import Any

from mlcc_runtime import boundedjson, datatypes
from mlcc_runtime.boundedjson import Charge, Flattened
from mlcc_runtime.errors import ApiError, invalid


def flatten(data: Any) -> list:
    """Flatten nested lists row-major; a scalar becomes a one-element list."""
    if type(data) is Flattened:  # the decoder flattened it already
        return data.values
    if type(data) is not list:
        if isinstance(data, tuple):
            data = list(data)
        elif hasattr(data, "tolist"):  # numpy arrays returned by functions, without importing numpy
            data = data.tolist()
            if type(data) is not list:
                return [data]
        else:
            return [data]
    if not data or (type(data[0]) is not list and type(data[0]) is not tuple):
        return data  # the common case: already flat
    out: list = []
    stack = [iter(data)]
    while stack:
        for item in stack[-1]:
            if type(item) is list or type(item) is tuple:
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def nested_shape(data: Any) -> list[int]:
    """The shape implied by nested lists (used only when no shape was given)."""
    if type(data) is Flattened:
        return data.shape
    array_shape = getattr(data, "shape", None)
    if isinstance(array_shape, tuple):
        return [int(d) for d in array_shape]
    shape = []
    while type(data) is list:
        shape.append(len(data))
        data = data[0] if data else None
    return shape


# numpy's traditional limit; no model needs more, and it bounds the work a crafted shape causes.
MAX_DIMS = 32
# V2 shapes are int64, so no dimension and no element count can be larger.
MAX_DIM = 2**63 - 1


def product(shape: list[int]) -> int | None:
    """The element count of ``shape``, or None past MAX_DIM (stops early: no huge integers)."""
    if 0 in shape:
        return 0
    n = 1
    for d in shape:
        n *= d
        if n > MAX_DIM:
            return None
    return n


def normalize_shape(shape: Any, data: Any, count: int, where: str) -> list[int]:
    """Lenient shape: absent / 0 mean "as many as given"; an int n means [n]; a list is checked."""
    if shape is None or shape == 0 or shape == []:
        if shape == [] and count == 1:
            return []
        implied = nested_shape(data)
        if 1 < len(implied) <= MAX_DIMS and product(implied) == count:
            return implied
        return [count]
    if type(shape) is int:
        shape = [shape]
    if type(shape) is not list:
        raise invalid(f"{where}: shape must be a list of non-negative integers, got {shape!r:.60}")
    # Checked before anything walks the list: a crafted body may hold millions of dimensions.
    if len(shape) > MAX_DIMS:
        raise invalid(f"{where}: shape may have at most {MAX_DIMS} dimensions, got {len(shape)}")
    needed = 1
    for d in shape:  # one pass: the check and the product (this runs for every tensor)
        if type(d) is not int or d < 0 or d > MAX_DIM:
            raise invalid(f"{where}: shape dimensions must be integers from 0 to 2**63-1")
        needed *= d
    if needed > MAX_DIM:
        needed = None if 0 not in shape else 0
    if needed is None:
        raise invalid(f"{where}: shape needs more than 2**63-1 values, got {count}")
    if needed != count:
        raise invalid(f"{where}: shape {shape} needs {needed} values, got {count}")
    return shape


def textual(values: list, target: str, where: str, charge: Charge | None = None) -> list:
    """Turn BYTES elements (bytes from binary, str from JSON) into what the function expects;
    the new values are charged to ``charge`` (the request's memory)."""
    if target == "BYTES":
        return values
    out = []
    pending = 0
    for v in values:
        if target == "dict":
            if type(v) is dict:
                out.append(v)
                continue
            try:
                v = boundedjson.loads_value(v, charge)
            except ApiError as exc:
                if exc.status != 400:
                    raise  # the request's memory is exhausted: not the element's fault
                raise invalid(f"{where}: dict elements must be JSON objects") from None
            except (ValueError, TypeError):  # JSONDecodeError, UnicodeDecodeError, not text
                raise invalid(f"{where}: dict elements must be JSON objects") from None
            if type(v) is not dict:
                raise invalid(f"{where}: dict elements must be JSON objects")
        elif type(v) is bytes:
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                raise invalid(f"{where}: {target} elements must be UTF-8 text") from None
            pending += sys.getsizeof(v)
            if pending > 1024 * 1024 and charge is not None:
                charge(pending)
                pending = 0
        out.append(v)
    if charge is not None:
        charge(pending + sys.getsizeof(out))
    return out


def normalize_input(raw: Any, index: int) -> dict:
    """Check one input tensor from a client and return it in the function's form."""
    if type(raw) is not dict:
        raise invalid(f"inputs[{index}] must be an object")
    name = raw.get("name")
    if type(name) is not str or not name:
        raise invalid(f"inputs[{index}]: 'name' must be a non-empty string")
    where = f"input {name!r}"
    datatype = datatypes.canonical(raw.get("datatype"))
    if datatype is None:
        raise invalid(
            f"{where}: unknown datatype {raw.get('datatype')!r}; expected one of "
            f"{sorted(datatypes.ALL)}"
        )
    if "data" not in raw:
        raise invalid(f"{where}: 'data' is missing")
    raw_data = raw["data"]
    data = flatten(raw_data)
    # The element types, collected in C (map, set): a per-value check in Python cost more than
    # the rest of a small request's decoding, and far more for a large one.
    if not datatypes.element_types(datatype).issuperset(map(type, data)):
        check = datatypes.element_check(datatype)
        for value in data:
            if not check(value):
                raise invalid(f"{where}: {datatype} data must hold "
                              f"{datatypes.describe(datatype)}, got {value!r:.60}")
    tensor = {
        "name": name,
        "datatype": datatype,
        "data": data,
        "shape": normalize_shape(raw.get("shape"), raw_data, len(data), where),
    }
    content_type = raw.get("content_type")
    if content_type is not None:
        if type(content_type) is not str:
            raise invalid(f"{where}: content_type must be a string")
        tensor["content_type"] = content_type
    return tensor


def normalize_output(raw: Any, index: int) -> dict:
    """Check one output the function returned; its mistakes are the service's fault (500)."""
    if type(raw) is not dict or type(raw.get("name")) is not str:
        raise ApiError(500, f"inference function returned a malformed output #{index} "
                            "(expected a dict with a string 'name')")
    name = raw["name"]
    datatype = datatypes.canonical(raw.get("datatype"))
    raw_data = raw.get("data")
    data = flatten(raw_data) if raw_data is not None else []
    if datatype is None:
        # Undeclared type: infer from the values rather than fail a working function.
        datatype = _infer_datatype(data, raw.get("datatype"), name)
    try:
        shape = normalize_shape(raw.get("shape"), raw_data, len(data), f"output {name!r}")
    except ApiError as exc:
        raise ApiError(500, f"inference function returned a bad shape: {exc.message}") from None
    return {
        "name": name,
        "datatype": datatype,
        "data": data,
        "shape": shape,
        "content_type": raw.get("content_type"),
    }


def _infer_datatype(data: list, given: Any, name: str) -> str:
    if given is not None:
        raise ApiError(500, f"inference function returned output {name!r} with unknown "
                            f"datatype {given!r}")
    if data and all(type(x) is bool for x in data):
        return "BOOL"
    if data and all(type(x) is int for x in data):
        return "INT64"
    if data and all(type(x) in (int, float) for x in data):
        return "FP64"
    if all(type(x) is dict for x in data):
        return "dict"
    return "str"
