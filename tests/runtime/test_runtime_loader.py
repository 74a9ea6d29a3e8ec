"""Importing the developer's function from pythonPath + pythonFunction."""

from __future__ import annotations

import os

import pytest

from mlcc_runtime.config import split_path
from mlcc_runtime.loader import LoadError, import_function


def _module(folder, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(body)


def test_several_python_path_entries(tmp_path) -> None:
    _module(tmp_path / "a", "alpha_mod", "def inference(*a):\n    return [], None\n")
    _module(tmp_path / "b", "beta_mod", "import alpha_mod\ninference = alpha_mod.inference\n")
    entries = split_path(f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    assert callable(import_function("beta_mod.inference", entries))


@pytest.mark.parametrize("body, dotted, message", [
    ("", "nosuch_mod_x.inference", "cannot import module 'nosuch_mod_x'"),
    ("raise RuntimeError('boom')\n", "broken_mod_x.inference",
     "importing module 'broken_mod_x' failed: RuntimeError: boom"),
    ("x = 1\n", "plain_mod_x.inference", "has no attribute 'inference'"),
    ("inference = 3\n", "value_mod_x.inference", "is not callable"),
    ("", "inference", "dotted path"),
])
def test_import_errors_say_what_to_fix(tmp_path, body, dotted, message) -> None:
    if body:
        _module(tmp_path, dotted.split(".")[0], body)
    with pytest.raises(LoadError, match=message.replace("(", r"\(")):
        import_function(dotted, [str(tmp_path)])
