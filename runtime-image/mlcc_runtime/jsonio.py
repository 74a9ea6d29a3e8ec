"""JSON for every codec and log line: one place that knows the library, its options, its errors.

orjson when it imports; otherwise the standard library, slower but complete. The fallback
matters for copy injection into a developer Python the runtime folder has no orjson wheel for
(see runtime-image/README.md): the service then starts instead of failing on import.
"""

from __future__ import annotations

import json
from typing import Any

from mlcc_runtime.errors import invalid

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the fallback test with orjson hidden
    orjson = None  # type: ignore[assignment]

JSONDecodeError: type[ValueError] = orjson.JSONDecodeError if orjson is not None else json.JSONDecodeError


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    if orjson is not None:
        return orjson.loads(data)
    if isinstance(data, memoryview):
        data = data.tobytes()
    return json.loads(data)


def dumps(value: Any, default: Any = None) -> bytes:
    """Compact UTF-8 JSON; numpy values that functions return (arrays, np.float32) included."""
    if orjson is not None:
        return orjson.dumps(value, default=default, option=orjson.OPT_SERIALIZE_NUMPY)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_plain(default)).encode()


def _plain(default: Any):
    def convert(value: Any) -> Any:
        if hasattr(value, "tolist"):  # numpy arrays and scalars, without importing numpy
            return value.tolist()
        if default is not None:
            return default(value)
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    return convert


def loads_object(body: bytes | memoryview) -> dict:
    """Parse a request body that must be a JSON object (400 otherwise)."""
    if not body:
        raise invalid("request body is empty; expected a JSON object")
    try:
        value = loads(body)
    except ValueError as exc:
        # JSONDecodeError, UnicodeDecodeError and, from the json module, integers over 4300 digits.
        raise invalid(f"malformed JSON: {exc}") from None
    if type(value) is not dict:
        raise invalid("request body must be a JSON object")
    return value
