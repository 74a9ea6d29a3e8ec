"""One docstring-contract parser for lint and runtime: `mlcc.model.docstring` is the runtime's
`mlcc_runtime.docstring` (one source file, mapped into the compiler's distribution by the top-level
pyproject.toml), so lint accepts exactly the docstrings the runtime serves."""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import pytest
from clirun import mlcc_inprocess
from compiler_support import CASES, ROOT

import mlcc.model.docstring
import mlcc_runtime.docstring
from mlcc.model.contract import parse_contract
from mlcc_runtime import contract as runtime_contract

SOURCE = ROOT / "runtime-image" / "mlcc_runtime" / "docstring" / "__init__.py"


def test_compiler_and_runtime_import_one_source_file():
    compiler, runtime = Path(mlcc.model.docstring.__file__).resolve(), Path(mlcc_runtime.docstring.__file__).resolve()
    if compiler == runtime:  # editable installs: both import the file itself
        assert compiler == SOURCE.resolve()
    else:  # a wheel carries a copy of the one source
        assert compiler.read_bytes() == runtime.read_bytes()
    assert not (ROOT / "compiler" / "mlcc" / "model" / "docstring").exists(), "mapped, never copied"


def test_the_shared_parser_needs_nothing_but_the_standard_library():
    """It installs with either package alone: no import of mlcc, mlcc_runtime or a third party."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import: the file lives in two packages"
            imported.append(node.module or "")
    outside = [name for name in imported if name.split(".")[0] not in sys.stdlib_module_names]
    assert not outside, f"the shared parser imports {outside}"


def test_the_distribution_lists_every_compiler_package_and_the_mapped_one():
    """A mapped package cannot be discovered, so pyproject.toml lists the packages: every folder
    under compiler/mlcc/ that Python can import (as find_namespace gives them)."""
    tomllib = pytest.importorskip("tomllib")
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["package-dir"] == {
        "": "compiler",
        "mlcc.model.docstring": "runtime-image/mlcc_runtime/docstring",
        "mlcc.model.examples": "runtime-image/mlcc_runtime/examples",
    }
    compiler = ROOT / "compiler"
    folders = {
        ".".join(d.relative_to(compiler).parts)
        for d in [compiler / "mlcc", *(compiler / "mlcc").rglob("*")]
        if d.is_dir() and all(part.isidentifier() for part in d.relative_to(compiler).parts)
    }
    assert sorted(setuptools["packages"]) == sorted(folders | {"mlcc.model.docstring", "mlcc.model.examples"})


# --- lint and runtime agree --------------------------------------------------------------------


def _lint(tmp_path: Path, docstring: str) -> list[dict]:
    """`mlcc lint --format json` of a module whose inference function has `docstring`."""
    module = tmp_path / "module"
    shutil.copytree(CASES / "000-valid-module", module, ignore=shutil.ignore_patterns("expected.txt", "__pycache__"))
    (module / "pkg" / "predict.py").write_text(
        f'def inference(parameters, inputs, output_fields, model_key, model=None):\n    """{docstring}"""\n'
        "    return inputs, model\n",
        encoding="utf-8",
    )
    run = mlcc_inprocess("lint", "--format", "json", module, cwd=tmp_path)
    assert "Traceback" not in run.err
    return [d for d in run.json() if d["code"] == "MLCC505"]


ACCEPTED = """Tag short texts.

    :param inputs.text: the texts, one per row, shape [N]
    :type inputs.text: string
    :param inputs.scale: a factor
        that may be given in half precision
    :type inputs.scale: fp16 or INT8 | uint8, optional
    :param outputs.record: per text, shape [N]
    :type outputs.record: json
    """


def test_a_docstring_both_accept(tmp_path):
    assert _lint(tmp_path, ACCEPTED) == []
    contract = runtime_contract.parse_docstring(ACCEPTED)
    assert contract.inputs["scale"].datatype_order == ("FP16", "INT8", "UINT8")
    assert contract.inputs["scale"].description == "a factor that may be given in half precision"
    assert contract.inputs["text"].shape == (-1,) and contract.outputs["record"].primary == "dict"
    lint_contract, problems = parse_contract(ACCEPTED)
    assert problems == []
    assert [(t.name, t.datatypes, t.optional, t.description) for t in lint_contract.inputs] == [
        (f.name, f.datatype_order, f.optional, f.description) for f in contract.inputs.values()
    ]


@pytest.mark.parametrize(
    ("docstring", "line", "message"),
    [
        (
            "Echo.\n\n    :param inputs.x: numbers\n    :type inputs.x: FP32 or FLOAT8\n    ",
            5,
            "inputs.x has unknown datatype 'FLOAT8' (known: BOOL, BYTES, FILE, FP16, FP32, FP64, INT16, "
            "INT32, INT64, INT8, UINT16, UINT32, UINT64, UINT8, dict, str)",
        ),
        ("Echo.\n\n    :param outputs.y: numbers\n    ", 4, "outputs.y has no `:type outputs.y:` line"),
        (
            "Echo.\n\n    :param inputs.x: a\n    :param inputs.x: b\n    :type inputs.x: FP32\n    ",
            5,
            ":param inputs.x: is given twice",
        ),
    ],
)
def test_a_docstring_both_reject_with_the_same_message(tmp_path, docstring, line, message):
    (diagnostic,) = _lint(tmp_path, docstring)
    assert (diagnostic["line"], diagnostic["message"]) == (line, message)  # the docstring starts on line 2
    with pytest.raises(ValueError) as refused:
        runtime_contract.parse_docstring(docstring)
    assert str(refused.value) == message


# --- the parser on its own ---------------------------------------------------------------------


def test_field_lines_at_any_indentation_and_positions_in_the_raw_text():
    raw = ":param inputs.x: first line\n\t:type inputs.x: FP32\n    :param outputs.y: y\n\n        :type outputs.y: BOGUS"
    parsed = mlcc_runtime.docstring.parse(raw)
    x, y = parsed.fields
    assert (x.side, x.name, x.datatypes, x.line, x.column) == ("inputs", "x", ("FP32",), 0, 0)
    assert (y.side, y.name, y.line, y.column) == ("outputs", "y", 2, 4)
    (problem,) = parsed.problems
    assert (problem.line, problem.column, problem.length) == (4, 25, 5)
    assert raw.split("\n")[problem.line][problem.column :] == "BOGUS"


def test_continuation_lines_and_prose():
    parsed = mlcc_runtime.docstring.parse(
        """Score rows.

        Longer text
        on two lines.

        :param inputs.rows: the rows,
            shape [N, 3]
        :type inputs.rows: FP32 or
            FP64
        :returns: (outputs, model)
            and more about the return value
        :raises ValueError: on bad rows

        Closing remark.
        """
    )
    (rows,) = parsed.fields
    assert (rows.description, rows.shape, rows.datatypes) == ("the rows, shape [N, 3]", (-1, 3), ("FP32", "FP64"))
    assert parsed.summary == "Score rows."
    assert parsed.description == "Score rows.\n\nLonger text\non two lines.\n\nClosing remark."
    assert parsed.problems == ()


def test_the_vocabulary_is_the_runtimes():
    from mlcc_runtime import datatypes

    assert datatypes.canonical is mlcc_runtime.docstring.canonical
    assert datatypes.ALL == mlcc_runtime.docstring.ALL
    assert [mlcc_runtime.docstring.canonical(n) for n in ("fp16", "String", "JSON", "uint64", "float")] == [
        "FP16", "str", "dict", "UINT64", None
    ]
