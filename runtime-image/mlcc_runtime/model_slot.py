"""Load-once holder of the model object the inference function returns.

The first call runs with ``model=None`` under a lock, so concurrent first requests load the model
exactly once; later calls run concurrently with the stored object and take whatever object the
function hands back (it may swap the model, e.g. after a reload).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from mlcc_runtime.errors import ApiError


class ModelSlot:
    def __init__(self, function: Callable[..., Any], model_key: str) -> None:
        self._function = function
        self._model_key = model_key
        self._model: Any = None
        self._loaded = False
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded

    def call(self, parameters: list[dict], inputs: list[dict], output_fields: list[dict]) -> Any:
        """Run the function; returns its outputs. Exceptions of the function propagate."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:  # we are the first: load while the others wait
                    outputs = self._invoke(parameters, inputs, output_fields)
                    self._loaded = True
                    return outputs
        return self._invoke(parameters, inputs, output_fields)

    def _invoke(self, parameters: list[dict], inputs: list[dict], output_fields: list[dict]) -> Any:
        try:
            result = self._function(parameters, inputs, output_fields, self._model_key, self._model)
        except (SystemExit, KeyboardInterrupt) as exc:
            # sys.exit() in user code must not unwind the server's event loop: a plain failure.
            raise RuntimeError(f"inference function raised {type(exc).__name__}") from exc
        if type(result) is not tuple or len(result) != 2:
            raise ApiError(500, "inference function must return a tuple (outputs, model)")
        outputs, self._model = result
        return outputs
