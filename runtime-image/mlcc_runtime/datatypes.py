"""Datatype names of the function contract and of the Open Inference Protocol, and their checks.

The function contract speaks ``FP32 FP64 INT32 FILE str dict``; the V2 protocol speaks
tensor types and ``BYTES``. Both are canonicalised here so every other module compares plain strings.
The names themselves (and their aliases) are the contract's, defined once in `mlcc_runtime.docstring`.
"""

from __future__ import annotations

from typing import Any, Callable

# The names the function contract speaks live with its parser (one list for runtime and lint).
from mlcc_runtime.docstring import ALL, FLOATS, INTS, NUMERIC, TEXTUAL, canonical  # noqa: F401


def v2_name(datatype: str) -> str:
    """The datatype as the V2 protocol spells it (``str``/``FILE``/``dict`` travel as BYTES)."""
    return datatype if datatype in NUMERIC else "BYTES"


def compatible(given: str, declared: frozenset[str]) -> bool:
    """Whether an input of type ``given`` may feed a field declared as one of ``declared``.

    Numeric widening is allowed (a V2 client that sends FP64 or INT64 for an FP32 field is common:
    numpy defaults); narrowing floats into an integer field is not. BYTES the codecs could not
    resolve to one declared type never feeds a field that may be FILE: the function would take
    the client's string for a local path.
    """
    if given in declared:
        return True
    if given in INTS or given == "BOOL":
        return any(d in NUMERIC for d in declared)
    if given in FLOATS:
        return any(d in FLOATS for d in declared)
    if given == "BYTES":
        return "FILE" not in declared and any(d in TEXTUAL for d in declared)
    return False


def _is_int(x: Any) -> bool:
    return type(x) is int


def _is_number(x: Any) -> bool:
    return type(x) in (int, float)


def _is_bool(x: Any) -> bool:
    return type(x) is bool


def _is_str(x: Any) -> bool:
    return type(x) is str


def _is_bytes_like(x: Any) -> bool:
    return type(x) in (str, bytes)


def _is_dict(x: Any) -> bool:
    return type(x) is dict


def element_check(datatype: str) -> Callable[[Any], bool]:
    """The per-element test for a canonical datatype (exact ``type`` checks: bool is no int)."""
    if datatype in INTS:
        return _is_int
    if datatype in FLOATS:
        return _is_number
    if datatype == "BOOL":
        return _is_bool
    if datatype == "dict":
        return _is_dict
    if datatype == "BYTES":
        return _is_bytes_like
    return _is_str  # str and FILE (a key or a local path)


_INT_TYPES = frozenset({int})
_NUMBER_TYPES = frozenset({int, float})
_ELEMENT_TYPES = {"BOOL": frozenset({bool}), "dict": frozenset({dict}),
                  "BYTES": frozenset({str, bytes})}


def element_types(datatype: str) -> frozenset:
    """The exact element types ``element_check(datatype)`` accepts (a set test, done in C)."""
    if datatype in INTS:
        return _INT_TYPES
    if datatype in FLOATS:
        return _NUMBER_TYPES
    return _ELEMENT_TYPES.get(datatype, frozenset({str}))


def describe(datatype: str) -> str:
    if datatype in INTS:
        return "integers"
    if datatype in FLOATS:
        return "numbers"
    return {"BOOL": "booleans", "dict": "JSON objects", "FILE": "file keys (strings)"}.get(
        datatype, "strings"
    )
