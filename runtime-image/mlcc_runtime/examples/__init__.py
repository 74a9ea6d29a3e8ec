"""Example requests a module ships (``--examples FILE`` / ``MLCC_EXAMPLES_FILE``).

The file is a JSON list; each example is ``{"name": "setosa", "summary": "optional text",
"request": {...}}`` where ``request`` is a ``/predict`` body: ``inputs`` (required), optional
``parameters`` and ``output_fields``. The runtime warms up with the first one before it reports
ready, and the OpenAPI document shows them all.

Standard library only and no import of the rest of the runtime: the compiler reuses this parser
to check a module's examples file. This checks the structure; whether the inputs fit the
function's contract is checked by the runtime at start (``Service``), which knows the contract.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_EXAMPLE_KEYS = ("name", "summary", "request")
_REQUEST_KEYS = ("inputs", "parameters", "output_fields")
_TENSOR_KEYS = ("name", "datatype", "shape", "data", "content_type")


@dataclass(frozen=True)
class Example:
    name: str  # unique in the file; letters, digits, '.', '_', '-' (up to 63)
    request: dict[str, Any]  # a /predict request body, as written in the file
    summary: str = ""


def parse_examples(text: str) -> list[Example]:
    """The examples of an examples file's text; ValueError naming the example and the field."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") \
            from None
    if type(doc) is not list:
        raise ValueError(f"must be a JSON list of examples, got {_kind(doc)}")
    if not doc:
        raise ValueError("holds no example; give at least one, or no examples file")
    examples: list[Example] = []
    seen: set[str] = set()
    for index, raw in enumerate(doc):
        example = _example(raw, index)
        if example.name in seen:
            raise ValueError(f"examples[{index}]: name {example.name!r} is used twice")
        seen.add(example.name)
        examples.append(example)
    return examples


def load_examples(path: str) -> list[Example]:
    """The examples of the file at ``path``; ValueError naming the file and what is wrong."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise ValueError(f"examples file {path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"examples file {path}: not UTF-8 text") from None
    try:
        return parse_examples(text)
    except ValueError as exc:
        raise ValueError(f"examples file {path}: {exc}") from None


def _example(raw: Any, index: int) -> Example:
    where = f"examples[{index}]"
    if type(raw) is not dict:
        raise ValueError(f"{where}: must be an object with 'name' and 'request', got {_kind(raw)}")
    name = raw.get("name")
    if type(name) is str and name:
        where = f"{where} ({name!r})"
    _known_keys(raw, _EXAMPLE_KEYS, where)
    if type(name) is not str or not _NAME.fullmatch(name):
        raise ValueError(f"{where}: 'name' must be a string of letters, digits, '.', '_' or '-' "
                         f"(at most 63, starting with a letter or digit), got {name!r:.80}")
    summary = raw.get("summary", "")
    if type(summary) is not str:
        raise ValueError(f"{where}: 'summary' must be a string, got {_kind(summary)}")
    if "request" not in raw:
        raise ValueError(f"{where}: 'request' is missing (a /predict body with 'inputs')")
    request = raw["request"]
    _request(request, f"{where}: request")
    return Example(name=name, request=request, summary=summary)


def _request(request: Any, where: str) -> None:
    if type(request) is not dict:
        raise ValueError(f"{where}: must be an object (a /predict body), got {_kind(request)}")
    _known_keys(request, _REQUEST_KEYS, where)
    inputs = request.get("inputs")
    if type(inputs) is not list:
        raise ValueError(f"{where}.inputs: must be a list of tensors, got {_kind(inputs)}")
    for i, tensor in enumerate(inputs):
        _tensor(tensor, f"{where}.inputs[{i}]")
    parameters = request.get("parameters")
    if type(parameters) is list:
        for i, p in enumerate(parameters):
            if type(p) is not dict or type(p.get("name")) is not str or not p["name"]:
                raise ValueError(f"{where}.parameters[{i}]: must be an object with a string "
                                 "'name' (and a 'value')")
    elif parameters is not None and type(parameters) is not dict:
        raise ValueError(f"{where}.parameters: must be a list of {{name, value}} or an object, "
                         f"got {_kind(parameters)}")
    fields = request.get("output_fields")
    if fields is not None and type(fields) is not list:
        raise ValueError(f"{where}.output_fields: must be a list, got {_kind(fields)}")
    for i, f in enumerate(fields or []):
        if type(f) is str and f:
            continue
        if type(f) is not dict or type(f.get("name")) is not str or not f["name"]:
            raise ValueError(f"{where}.output_fields[{i}]: must be a name or an object with a "
                             "string 'name'")


def _tensor(tensor: Any, where: str) -> None:
    if type(tensor) is not dict:
        raise ValueError(f"{where}: must be an object with 'name', 'datatype' and 'data', got "
                         f"{_kind(tensor)}")
    _known_keys(tensor, _TENSOR_KEYS, where)
    for key in ("name", "datatype"):
        if type(tensor.get(key)) is not str or not tensor[key]:
            raise ValueError(f"{where}.{key}: must be a non-empty string, got "
                             f"{_kind(tensor.get(key))}")
    if "data" not in tensor:
        raise ValueError(f"{where}.data: is missing")
    shape = tensor.get("shape")
    if shape is not None and type(shape) is not int and not (
            type(shape) is list and all(type(d) is int and d >= 0 for d in shape)):
        raise ValueError(f"{where}.shape: must be a list of non-negative integers, got "
                         f"{shape!r:.60}")
    if "content_type" in tensor and type(tensor["content_type"]) is not str:
        raise ValueError(f"{where}.content_type: must be a string")


def _known_keys(obj: dict, known: tuple[str, ...], where: str) -> None:
    for key in obj:
        if key not in known:
            raise ValueError(f"{where}: unknown field {key!r}; expected {', '.join(known)}")


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
