"""Mistakes a newcomer makes, each reported at the place to fix with a message that says how; and a
module whose code lives elsewhere (manifests only), checked against a checkout with `--code DIR`."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from clirun import mlcc_inprocess
from compiler_support import CASE_OPTIONS, CASES, MODULES, ROOT

import mlcc_runtime.contract
import mlcc_runtime.docstring

MANIFESTS_ONLY = CASES / "508-code-elsewhere"
OVERLAYS = ROOT / "overlays"


def _diagnostics(run) -> list[dict]:
    return [d for d in run.json() if d["code"] != "MLCC604"]  # examples are another matter


def _at(path: Path, line: int, column: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[line - 1][column - 1 :]


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


# --- code that lives elsewhere -----------------------------------------------------------------


def _iris_code(tmp: Path) -> Path:
    """A checkout of a code repository: the Iris package, and nothing of the module's manifests."""
    code = tmp / "code"
    shutil.copytree(MODULES / "iris" / "iris", code / "iris", ignore=shutil.ignore_patterns("__pycache__"))
    return code


def _manifests_only(tmp: Path) -> Path:
    module = tmp / "manifests" / "iris"
    shutil.copytree(MANIFESTS_ONLY, module, ignore=shutil.ignore_patterns("expected.txt"))
    return module


@pytest.mark.parametrize("overlays", [CASE_OPTIONS[1], str(OVERLAYS)])
def test_the_platforms_example_manifest_without_code_lints_clean_and_builds(overlays, tmp_path):
    lint = mlcc_inprocess("lint", "--overlays", overlays, "--format", "json", MANIFESTS_ONLY, cwd=CASES)
    assert lint.code == 0, lint.text
    assert not [d for d in lint.json() if d["severity"] == "error"]
    (warning,) = [d for d in lint.json() if d["code"] == "MLCC508"]
    component = MANIFESTS_ONLY / "component.yaml"
    assert (warning["line"], _at(component, warning["line"], warning["column"])[:22]) == (
        _line_of(component, "pythonFunction:"), "iris.predict.inference"
    )
    assert "holds no Python code" in warning["message"]
    assert "the runtime checks it when the container starts" in warning["hint"]
    assert "mlcc lint --code DIR" in warning["hint"]

    build = mlcc_inprocess("build", "--overlays", overlays, "-o", tmp_path / "out", MANIFESTS_ONLY, cwd=CASES)
    assert build.code == 0, build.text
    assert "MLCC508" in build.err
    assert list((tmp_path / "out").glob("*/pu-alice-pa-iris/deployment-iris-mlcmp.yaml"))
    configs = list((tmp_path / "out").glob("*/pu-alice-pa-iris/configmap-iris-mlcmp-runtime*.yaml"))
    assert configs and all("iris.predict.inference" in c.read_text() for c in configs)


def test_a_missing_python_path_without_any_code_is_code_elsewhere_too(tmp_path):
    module = _manifests_only(tmp_path)
    component = module / "component.yaml"
    component.write_text(component.read_text().replace("pythonPath: .", "pythonPath: src"))
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--format", "json", module, cwd=tmp_path)
    assert run.code == 0 and "MLCC508" in {d["code"] for d in run.json()}, run.text


def test_code_in_hidden_folders_or_data_does_not_count_as_the_modules_code(tmp_path):
    module = _manifests_only(tmp_path)
    for folder in (".venv/lib", "data/models", "__pycache__"):
        (module / folder).mkdir(parents=True)
        (module / folder / "x.py").write_text("")
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--format", "json", module, cwd=tmp_path)
    assert "MLCC508" in {d["code"] for d in run.json()}, run.text
    (module / "train.py").write_text("")  # one file of code: the entry point is checked as before
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--format", "json", module, cwd=tmp_path)
    assert [d["code"] for d in run.json() if d["severity"] == "error"] == ["MLCC502"], run.text


def test_lint_with_code_checks_the_entry_point_in_the_checkout(tmp_path):
    module, code = _manifests_only(tmp_path), _iris_code(tmp_path)
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--format", "json", "--code", code, module, cwd=tmp_path)
    assert run.code == 0, run.text
    assert "MLCC508" not in {d["code"] for d in run.json()}


def test_lint_with_code_points_into_the_checkouts_files(tmp_path):
    module, code = _manifests_only(tmp_path), _iris_code(tmp_path)
    predict = code / "iris" / "predict.py"
    predict.write_text(predict.read_text().replace(":type inputs.features: FP32", ":type inputs.features: FP33"))
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--format", "json", "--code", code, module, cwd=tmp_path)
    assert run.code == 1
    (problem,) = [d for d in run.json() if d["severity"] == "error"]
    assert problem["code"] == "MLCC505" and Path(problem["file"]).resolve() == predict.resolve()
    assert _at(predict, problem["line"], problem["column"]).startswith("FP33")

    build = mlcc_inprocess("build", *CASE_OPTIONS[:2], "--code", code, "-o", tmp_path / "out", module, cwd=tmp_path)
    assert build.code == 1 and "MLCC505" in build.err and str(predict) in build.err


def test_lint_with_code_that_lacks_the_module_says_where_it_looked(tmp_path):
    module = _manifests_only(tmp_path)
    (tmp_path / "empty").mkdir()
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--format", "json", "--code", tmp_path / "empty", module, cwd=tmp_path)
    (problem,) = [d for d in run.json() if d["severity"] == "error"]
    assert problem["code"] == "MLCC502" and str(tmp_path / "empty") in problem["message"]
    assert Path(problem["file"]).name == "component.yaml"


def test_code_that_is_not_a_folder_is_a_usage_error(tmp_path):
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--code", tmp_path / "missing", MANIFESTS_ONLY, cwd=tmp_path)
    assert run.code == 2 and "--code" in run.err and "not a folder" in run.err


def test_with_code_present_the_static_checks_stay():
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--format", "json", CASES / "501-python-path", cwd=CASES)
    assert [d["code"] for d in run.json()] == ["MLCC501"]


def test_mlcc_run_of_a_module_without_code_asks_for_code(tmp_path):
    pytest.importorskip("moto")
    module = _manifests_only(tmp_path)
    run = mlcc_inprocess("run", "--overlays", OVERLAYS, "--port", "0", module, cwd=tmp_path)
    assert run.code == 2, run.text
    assert "holds no Python code" in run.err and f"mlcc run --code DIR {module}" in run.err


# --- docstring near misses ---------------------------------------------------------------------

DOC = '''Count words.

    :param input.text: the text
    :type input.text: str
    :param parameters.lang: documented for the reader, not the contract
    :param outputs.count: the number of words
    :type Outputs.count: INT32
'''


def test_the_shared_parser_warns_of_near_misses_with_positions():
    parsed = mlcc_runtime.docstring.parse(DOC)
    assert [(w.line, w.column, w.length, w.suggestion) for w in parsed.warnings] == [
        (2, 4, len(":param input.text:"), ":param inputs.text:"),
        (3, 4, len(":type input.text:"), ":type inputs.text:"),
        (6, 4, len(":type Outputs.count:"), ":type outputs.count:"),
    ]
    assert "did you mean `:param inputs.text:`?" in parsed.warnings[0].message
    # They declare nothing, as before: the problem is the output without its type.
    assert [f.name for f in parsed.fields] == ["count"]
    assert [p.message for p in parsed.problems] == ["outputs.count has no `:type outputs.count:` line"]


def test_near_misses_do_not_stop_the_runtime():
    contract = mlcc_runtime.contract.parse_docstring(DOC.replace(":type Outputs.count:", ":type outputs.count:"))
    assert list(contract.inputs) == [] and list(contract.outputs) == ["count"]


def test_lint_warns_of_input_for_inputs_at_the_line_with_did_you_mean(tmp_path):
    module = tmp_path / "iris"
    shutil.copytree(MODULES / "iris", module, ignore=shutil.ignore_patterns("__pycache__", "data"))
    predict = module / "iris" / "predict.py"
    predict.write_text(predict.read_text().replace(":param inputs.features:", ":param input.features:"))
    run = mlcc_inprocess("lint", "--overlays", OVERLAYS, "--format", "json", module, cwd=tmp_path)
    (warning,) = [d for d in run.json() if d["code"] == "MLCC509"]
    assert warning["severity"] == "warning" and warning["line"] == _line_of(predict, ":param input.features:")
    assert _at(predict, warning["line"], warning["column"]).startswith(":param input.features:")
    assert warning["end_column"] - warning["column"] == len(":param input.features:")
    assert warning["hint"] == "did you mean `:param inputs.features:`?"


# --- YAML indentation --------------------------------------------------------------------------


def _iris_with(tmp: Path, old: str, new: str) -> tuple[Path, Path]:
    module = tmp / "iris"
    shutil.copytree(MODULES / "iris", module, ignore=shutil.ignore_patterns("__pycache__", "data"))
    manifest = module / "iris-mlcmp.yaml"
    text = manifest.read_text()
    assert text.count(old) == 1
    manifest.write_text(text.replace(old, new))
    return module, manifest


MOUNT = "      path: /home/app/models\n      mountS3Box:\n"


@pytest.mark.parametrize("indent", [0, 2, 4, 5, 8])
def test_a_misindented_key_is_reported_at_its_line_with_the_column_it_belongs_in(indent, tmp_path):
    module, manifest = _iris_with(tmp_path, MOUNT, "      path: /home/app/models\n" + " " * indent + "mountS3Box:\n")
    run = mlcc_inprocess("lint", "--overlays", OVERLAYS, "--format", "json", module, cwd=tmp_path)
    assert run.code == 1
    (problem,) = run.json()  # and nothing else: no false MLCC303 from iris-api.yaml
    assert problem["code"] == "MLCC101" and Path(problem["file"]).name == "iris-mlcmp.yaml"
    assert (problem["line"], problem["column"]) == (_line_of(manifest, "mountS3Box:"), indent + 1)
    assert problem["end_column"] - problem["column"] == len("mountS3Box:")
    assert f"`mountS3Box:` starts at column {indent + 1}; it belongs at column 7" in problem["message"]
    path_line = _line_of(manifest, "path: /home/app/models")
    assert problem["hint"].startswith(f"move it to column 7, like `path:` on line {path_line}")


def test_a_misindented_block_is_moved_with_the_lines_under_it(tmp_path):
    block = "      mountS3Box:\n        s3BoxName: models\n        subPath: users/developer/file_groups/models\n"
    module, manifest = _iris_with(
        tmp_path, block, "    mountS3Box:\n      s3BoxName: models\n      subPath: users/developer/file_groups/models\n"
    )
    run = mlcc_inprocess("lint", "--overlays", OVERLAYS, "--format", "json", module, cwd=tmp_path)
    (problem,) = run.json()
    assert (problem["code"], problem["line"], problem["column"]) == ("MLCC101", _line_of(manifest, "mountS3Box:"), 5)
    assert "move it and the 2 line(s) under it 2 column(s) right to column 7" in problem["hint"]


def test_the_text_report_shows_the_help_and_where_the_parser_stopped(tmp_path):
    module, manifest = _iris_with(tmp_path, MOUNT, "      path: /home/app/models\n  mountS3Box:\n")
    run = mlcc_inprocess("lint", "--overlays", OVERLAYS, module, cwd=tmp_path)
    assert "MLCC303" not in run.text
    line = _line_of(manifest, "mountS3Box:")
    assert f"iris-mlcmp.yaml:{line}:3: error[MLCC101]: wrong indentation" in run.err + run.out
    assert "= help: move it to column 7" in run.err + run.out
    assert re.search(r"= note: the YAML parser stopped at line \d+, column \d+: while parsing", run.err + run.out)


def test_a_yaml_error_that_no_indentation_explains_keeps_the_parsers_words(tmp_path):
    module, _ = _iris_with(tmp_path, "      path: /home/app/models\n", "      path: [/home/app/models\n")
    run = mlcc_inprocess("lint", "--overlays", OVERLAYS, "--format", "json", module, cwd=tmp_path)
    (problem,) = run.json()
    assert problem["code"] == "MLCC101" and "wrong indentation" not in problem["message"]


def test_a_tab_gets_a_help():
    run = mlcc_inprocess("lint", *CASE_OPTIONS, "--format", "json", CASES / "101-yaml-syntax", cwd=CASES)
    (tab,) = [d for d in run.json() if d["file"].endswith("tabs.yaml")]
    assert tab["hint"] == "YAML indents with spaces only: replace the tab with spaces"


# --- quantities --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "suggested"),
    [("256mb", "write 256M (256 × 10^6 bytes) or 256Mi (256 × 2^20 bytes)"), ("256MB", "write 256M"),
     ("2GiB", "write 2Gi (2 × 2^30 bytes); a quantity takes no `B`"), ("1gi", "write 1Gi"),
     ("256m", "write 256M (256 × 10^6 bytes) or 256Mi")],
)
def test_a_memory_unit_slip_suggests_the_quantity_meant(written, suggested, tmp_path):
    module, manifest = _iris_with(tmp_path, "      memory: 256M\n", f"      memory: {written}\n")
    run = mlcc_inprocess("lint", "--overlays", OVERLAYS, "--format", "json", module, cwd=tmp_path)
    (problem,) = run.json()
    assert problem["code"] == "MLCC204" and suggested in problem["hint"]
    assert problem["line"] == _line_of(manifest, "memory:")
    assert _at(manifest, problem["line"], problem["column"]) == written


# --- optional packages ---------------------------------------------------------------------------


def test_mlcc_run_without_the_run_extra_is_a_usage_error_naming_the_install(monkeypatch):
    for name in ("moto", "moto.server", "boto3"):
        monkeypatch.setitem(sys.modules, name, None)
    run = mlcc_inprocess("run", "--overlays", OVERLAYS, "--port", "0", MODULES / "iris", cwd=ROOT)
    assert run.code == 2, run.text
    assert "pip install 'mlcc[run]'" in run.err
    assert "internal error" not in run.err and "Traceback" not in run.err


def test_mlcc_run_without_the_runtime_is_a_usage_error_naming_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlcc_runtime", None)
    run = mlcc_inprocess("run", "--overlays", OVERLAYS, "--port", "0", MODULES / "iris", cwd=ROOT)
    assert run.code == 2, run.text
    assert "mlcc-runtime" in run.err and "internal error" not in run.err


def test_mlcc_apply_without_the_cluster_extra_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    run = mlcc_inprocess("apply", "--dry-run=server", "--overlays", OVERLAYS, "--env", "dev", MODULES / "iris", cwd=ROOT)
    assert run.code == 1, run.text  # documented: a missing client is like an unreachable cluster
    assert "pip install 'mlcc[cluster]'" in run.err
    assert "internal error" not in run.err and "Traceback" not in run.err
