"""orjson helpers shared by the codecs: one place that knows the options and the error text."""

from __future__ import annotations

from typing import Any

import orjson

from mlcc_runtime.errors import invalid

# numpy values that functions return (arrays, np.float32 scalars) serialise without conversion.
DUMP_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def loads_object(body: bytes | memoryview) -> dict:
    """Parse a request body that must be a JSON object (400 otherwise)."""
    if not body:
        raise invalid("request body is empty; expected a JSON object")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid(f"malformed JSON: {exc}") from None
    if type(value) is not dict:
        raise invalid("request body must be a JSON object")
    return value


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=DUMP_OPTIONS)
