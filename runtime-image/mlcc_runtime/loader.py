"""Import the developer's inference function from ``pythonPath`` + ``pythonFunction`` and check it
is an entry point the runtime can call: importable, callable, taking the five arguments
``parameters, inputs, output_fields, model_key, model``.

Done once at start, so an image whose code cannot serve fails its rollout with the reason, not
its first user call.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import sys
import traceback
from typing import Any, Callable

ARGUMENTS = ("parameters", "inputs", "output_fields", "model_key", "model")
_MISSING = object()


class LoadError(Exception):
    """The function cannot be served; the message names it and tells the developer what to fix."""


def add_python_path(entries: list[str]) -> None:
    # Prepended, in the given order, so the module's code wins over same-named installed packages.
    for entry in reversed([os.path.abspath(e) for e in entries if e]):
        if entry not in sys.path:
            sys.path.insert(0, entry)


def import_function(dotted: str, python_path: list[str] | None = None) -> Callable[..., Any]:
    """The function ``dotted`` names, checked; LoadError saying why it cannot be served."""
    if not dotted or "." not in dotted:
        raise LoadError(f"--function must be a dotted path like 'pkg.module.inference', got "
                        f"{dotted!r}")
    add_python_path(python_path or [])
    module_name, _, attr = dotted.rpartition(".")
    where = f"entry point {dotted!r}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            shown = [os.path.abspath(p) for p in python_path or []]
            raise LoadError(f"{where}: module {missing!r} is not found (python path: "
                            f"{shown or 'none given'})") from exc
        # The module exists; something it imports does not (a dependency not installed).
        raise LoadError(f"{where}: importing module {module_name!r} failed: "
                        f"{_describe(exc)}") from exc
    except BaseException as exc:  # the module itself failed while importing (even sys.exit)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise LoadError(f"{where}: importing module {module_name!r} failed: "
                        f"{_describe(exc)}") from exc
    function = getattr(module, attr, _MISSING)
    if function is _MISSING:
        names = [n for n in dir(module) if not n.startswith("_")]
        close = difflib.get_close_matches(attr, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise LoadError(f"{where}: module {module_name!r} has no attribute {attr!r}{hint}")
    if not callable(function):
        raise LoadError(f"{where} is not callable (it is a {type(function).__name__})")
    check_signature(function, where)
    return function


def check_signature(function: Callable[..., Any], where: str) -> None:
    """LoadError unless ``function`` can be called as the runtime calls it: five positional
    arguments, synchronously."""
    plain = inspect.isroutine(function) or inspect.isclass(function)
    if inspect.iscoroutinefunction(function if plain else getattr(function, "__call__", None)):
        raise LoadError(f"{where} is an async function; the runtime calls it on a worker thread "
                        "and needs a plain 'def'")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: nothing to check
        return
    try:
        signature.bind(*ARGUMENTS)
    except TypeError as exc:
        raise LoadError(f"{where} must take the five arguments ({', '.join(ARGUMENTS)}); it "
                        f"takes {signature} ({exc})") from None


def _describe(exc: BaseException) -> str:
    """``Type: message (at file:line)``: where the import went wrong, on one line."""
    if isinstance(exc, SyntaxError):  # the error is in the file it names, not in a frame
        return f"{type(exc).__name__}: {exc.msg} (at {exc.filename}:{exc.lineno})"
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        text += f" (at {frames[-1].filename}:{frames[-1].lineno})"
    return text
