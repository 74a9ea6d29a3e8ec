"""Importing and checking the developer's entry point (pythonPath + pythonFunction) at start.

A bad entry point must stop ``serve`` before it listens: one error line naming the function and
the reason, exit status 2 — so a bad image fails its rollout, not its first user call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rt_support import free_port
from mlcc_runtime.config import split_path
from mlcc_runtime.loader import LoadError, import_function

GOOD = ("def inference(parameters, inputs, output_fields, model_key, model=None):\n"
        "    return [], model\n")


def _module(folder, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(body)


def test_several_python_path_entries(tmp_path) -> None:
    _module(tmp_path / "a", "alpha_mod", GOOD)
    _module(tmp_path / "b", "beta_mod", "import alpha_mod\ninference = alpha_mod.inference\n")
    entries = split_path(f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    assert callable(import_function("beta_mod.inference", entries))


@pytest.mark.parametrize("body", [
    GOOD,
    "def inference(*args):\n    return [], None\n",
    "def inference(parameters, inputs, output_fields, model_key, model, extra=1):\n    pass\n",
    "import functools\ndef _f(flag, parameters, inputs, output_fields, model_key, model):\n"
    "    pass\ninference = functools.partial(_f, True)\n",
    "class _Model:\n    def __call__(self, parameters, inputs, output_fields, model_key, model):\n"
    "        pass\ninference = _Model()\n",
])
def test_callables_taking_the_five_arguments_are_accepted(tmp_path, body) -> None:
    name = f"ok_mod_{abs(hash(body))}"
    _module(tmp_path, name, body)
    assert callable(import_function(f"{name}.inference", [str(tmp_path)]))


@pytest.mark.parametrize("body, dotted, message", [
    ("", "nosuch_mod_x.inference", "module 'nosuch_mod_x' is not found (python path: ["),
    ("", "nosuch_pkg_x.sub.inference", "module 'nosuch_pkg_x' is not found"),
    ("import nosuch_dependency_x\n", "dep_mod_x.inference",
     "importing module 'dep_mod_x' failed: ModuleNotFoundError: No module named "
     "'nosuch_dependency_x' (at "),
    ("x = 1\nraise RuntimeError('boom')\n", "broken_mod_x.inference",
     "importing module 'broken_mod_x' failed: RuntimeError: boom (at "),
    ("import sys\nsys.exit(3)\n", "exiting_mod_x.inference",
     "importing module 'exiting_mod_x' failed: SystemExit: 3"),
    ("def inference(:\n", "syntax_mod_x.inference",
     "importing module 'syntax_mod_x' failed: SyntaxError: invalid syntax (at "),
    ("def inferense(*a):\n    pass\n", "plain_mod_x.inference",
     "has no attribute 'inference'; did you mean 'inferense'?"),
    ("inference = 3\n", "value_mod_x.inference", "is not callable (it is a int)"),
    ("def inference(parameters, inputs):\n    pass\n", "arity_mod_x.inference",
     "must take the five arguments (parameters, inputs, output_fields, model_key, model); "
     "it takes (parameters, inputs)"),
    ("def inference(a, b, c, d, e, f):\n    pass\n", "arity6_mod_x.inference",
     "must take the five arguments"),
    ("def inference(*, parameters, inputs, output_fields, model_key, model):\n    pass\n",
     "kwonly_mod_x.inference", "must take the five arguments"),
    ("async def inference(parameters, inputs, output_fields, model_key, model):\n    pass\n",
     "async_mod_x.inference", "is an async function"),
    ("", "inference", "dotted path"),
])
def test_import_errors_say_what_to_fix(tmp_path, body, dotted, message) -> None:
    if body:
        _module(tmp_path, dotted.split(".")[0], body)
    with pytest.raises(LoadError) as info:
        import_function(dotted, [str(tmp_path)])
    assert message in str(info.value)
    if "." in dotted:
        assert str(info.value).startswith(f"entry point {dotted!r}")
    assert "\n" not in str(info.value)


def test_the_failing_line_is_located(tmp_path) -> None:
    _module(tmp_path, "located_mod_x", "x = 1\n\nraise RuntimeError('boom')\n")
    with pytest.raises(LoadError, match=r"at .*located_mod_x\.py:3\)$"):
        import_function("located_mod_x.inference", [str(tmp_path)])


# -- the serve command: one line, exit 2, nothing served ------------------------------------

KINDS = {
    "module not found": ("", "missing_entry_mod.inference",
                         "module 'missing_entry_mod' is not found"),
    "attribute missing": ("def predict(*a):\n    pass\n", "entry_mod.inference",
                          "module 'entry_mod' has no attribute 'inference'"),
    "not callable": ("inference = {'a': 1}\n", "entry_mod.inference",
                     "is not callable (it is a dict)"),
    "wrong arity": ("def inference(parameters, inputs, model=None):\n    pass\n",
                    "entry_mod.inference", "must take the five arguments"),
    "import raising": ("import os\nMODEL = os.environ['MODEL_DIR']\n", "entry_mod.inference",
                       "importing module 'entry_mod' failed: KeyError: 'MODEL_DIR'"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_serve_exits_2_with_one_line_naming_the_function(tmp_path, kind) -> None:
    body, dotted, reason = KINDS[kind]
    if body:
        _module(tmp_path, dotted.split(".")[0], body)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    env.pop("MODEL_DIR", None)
    env.update({"MLCC_PYTHON_PATH": str(tmp_path), "MLCC_FUNCTION": dotted,
                "MLCC_HOST": "127.0.0.1", "MLCC_PORT": str(free_port())})
    result = subprocess.run([sys.executable, "-m", "mlcc_runtime", "serve"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # one line: no traceback, no server start-up
    entry = json.loads(lines[0])
    assert entry["level"] == "error"
    assert entry["message"].startswith(f"cannot start: entry point {dotted!r}")
    assert reason in entry["message"]


def test_the_traceback_of_a_failed_import_is_there_at_debug_level(tmp_path) -> None:
    _module(tmp_path, "deep_mod", "def load():\n    raise OSError('disk')\n\nload()\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    result = subprocess.run([sys.executable, "-m", "mlcc_runtime", "serve", "--python-path",
                             str(tmp_path), "--function", "deep_mod.inference",
                             "--log-level", "DEBUG", "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert "OSError: disk (at " in entries[0]["message"]
    assert any("deep_mod.py\", line 2, in load" in e.get("exception", "") for e in entries[1:])
