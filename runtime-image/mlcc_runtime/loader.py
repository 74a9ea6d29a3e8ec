"""Import the developer's inference function from ``pythonPath`` + ``pythonFunction``."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Callable


class LoadError(Exception):
    """The function cannot be imported; the message tells the developer what to fix."""


def add_python_path(entries: list[str]) -> None:
    # Prepended, in the given order, so the module's code wins over same-named installed packages.
    for entry in reversed([os.path.abspath(e) for e in entries if e]):
        if entry not in sys.path:
            sys.path.insert(0, entry)


def import_function(dotted: str, python_path: list[str] | None = None) -> Callable[..., Any]:
    if not dotted or "." not in dotted:
        raise LoadError(f"--function must be a dotted path like 'pkg.module.inference', got {dotted!r}")
    add_python_path(python_path or [])
    module_name, _, attr = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise LoadError(f"cannot import module {module_name!r} ({exc}); python path: "
                        f"{python_path or []}") from exc
    except Exception as exc:  # the module itself failed while importing
        raise LoadError(f"importing module {module_name!r} failed: "
                        f"{type(exc).__name__}: {exc}") from exc
    function = getattr(module, attr, None)
    if function is None:
        raise LoadError(f"module {module_name!r} has no attribute {attr!r}")
    if not callable(function):
        raise LoadError(f"{dotted!r} is not callable")
    return function
