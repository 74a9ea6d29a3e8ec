"""The corpus: each case folder is a small module, and its expected.txt lists exactly the
diagnostics `mlcc lint` must report for it, one `CODE file:LINE` per line (file relative
to the case folder; line 0 for a whole file or folder). Lines ending in `# expect: CODE`
inside the cases mark the same places for a human reader.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from compiler_support import CASES, case_names

from mlcc.diagnostics import CODES

# Cases whose diagnostics are all warnings (or none): the CLI exits 0 for them.
EXIT_ZERO = {
    "000-valid-module", "001-valid-flow-style", "507-no-docstring", "508-code-elsewhere", "509-docstring-near-miss",
    "601-602-unpublished", "603-file-box-sub-path",
    "604-no-examples", "703-unprovided-secret", "707-scaling-without-autoscaler",
}


def expected(case: str) -> Counter[str]:
    lines = (CASES / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    return Counter(line.strip() for line in lines if line.strip())


def reported(case: str, diagnostics: list[dict]) -> Counter[str]:
    return Counter(f"{d['code']} {_relative(case, d['file'])}:{d['line']}" for d in diagnostics)


def _relative(case: str, file: str) -> str:
    return Path(os.path.relpath(file, CASES / case)).as_posix()


def _find(case: str, diagnostics: list[dict], code: str, file: str, line: int) -> dict:
    matches = [d for d in diagnostics if (d["code"], _relative(case, d["file"]), d["line"]) == (code, file, line)]
    assert len(matches) == 1, f"{case}: expected one {code} at {file}:{line}, got {diagnostics}"
    return matches[0]


@pytest.mark.parametrize("case", case_names())
def test_case_reports_exactly_the_expected_diagnostics(case, corpus_runs):
    run = corpus_runs[case]
    got, want = reported(case, run.json()), expected(case)
    assert got == want, (
        f"{case}: missing {sorted((want - got).elements())}, unexpected {sorted((got - want).elements())}"
    )


@pytest.mark.parametrize("case", case_names())
def test_case_exit_code_follows_severity(case, corpus_runs):
    run = corpus_runs[case]
    errors = [d for d in run.json() if d["severity"] == "error"]
    assert run.code == (1 if errors else 0), run.err
    assert run.code == (0 if case in EXIT_ZERO else 1)


@pytest.mark.parametrize("case", case_names())
def test_case_never_crashes(case, corpus_runs):
    stderr = corpus_runs[case].err
    assert "Traceback" not in stderr
    assert "internal error" not in stderr


def test_every_module_code_has_a_case():
    """Each code that a module can produce (1xx-6xx) is proved by at least one case."""
    covered = {line.split()[0] for case in case_names() for line in expected(case)}
    module_codes = {code for code in CODES if "MLCC101" <= code < "MLCC700"} | {"MLCC703", "MLCC705", "MLCC706", "MLCC707"}
    assert module_codes - covered == set(ELSEWHERE)


# Codes a single case folder cannot show, and where they are proved instead.
ELSEWHERE = {
    "MLCC107": "tests/compiler/test_lint_cli.py: links out of a module, a modules folder, the overlays",
    "MLCC312": "tests/render/test_render_atomic.py: two modules in one namespace",
}


# (case, code, file, line) → a piece of the hint the user must see
HINTS = [
    ("201-unknown-field", "MLCC201", "boxes.yaml", 8, "did you mean 'capacity'?"),
    ("201-unknown-field", "MLCC201", "boxes.yaml", 15, "did you mean 'labels'?"),
    ("201-unknown-field", "MLCC201", "boxes.yaml", 18, "did you mean 's3DefaultStorage'?"),
    ("104-unknown-kind", "MLCC104", "boxes.yaml", 2, "did you mean 'DataBox'?"),
    ("104-unknown-kind", "MLCC104", "boxes.yaml", 7, "apiVersion: unified-platform.cs.hse.ru/v1"),
    ("203-invalid-values", "MLCC203", "component.yaml", 14, 'quote it: "0.5"'),
    ("301-unknown-databox", "MLCC301", "component.yaml", 31, "did you mean 'models'?"),
    ("301-unknown-databox", "MLCC301", "apis.yaml", 22, "did you mean 'users'?"),
    ("302-unknown-connected-box", "MLCC302", "component.yaml", 19, "did you mean 'user-box'?"),
    ("302-unknown-connected-box", "MLCC302", "component.yaml", 22, "'models' is a DataBox"),
    ("302-unknown-connected-box", "MLCC302", "component.yaml", 22, "did you mean 'model-box'?"),
    ("303-unknown-mlcomponent", "MLCC303", "apis.yaml", 8, "did you mean 'predictor'?"),
    ("304-unknown-registry", "MLCC304", "component.yaml", 16, "did you mean 'python-package-registry'?"),
    ("503-function-not-found", "MLCC503", "component.yaml", 26, "did you mean 'inference'?"),
    ("101-wrong-indentation", "MLCC101", "component.yaml", 30, "move it to column 7, like `path:` on line 29"),
    ("508-code-elsewhere", "MLCC508", "component.yaml", 23, "the runtime checks it when the container starts"),
    ("508-code-elsewhere", "MLCC508", "component.yaml", 23, "`mlcc lint --code DIR "),
    ("509-docstring-near-miss", "MLCC509", "pkg/predict.py", 7, "did you mean `:param inputs.text:`?"),
    ("509-docstring-near-miss", "MLCC509", "pkg/predict.py", 8, "did you mean `:type inputs.text:`?"),
    ("509-docstring-near-miss", "MLCC509", "pkg/predict.py", 10, "did you mean `:param outputs.y:`?"),
    ("401-plaintext-secret", "MLCC401", "secrets.yaml", 6, "SealedSecret or an ExternalSecret"),
]


@pytest.mark.parametrize(("case", "code", "file", "line", "hint"), HINTS)
def test_hint(case, code, file, line, hint, corpus_runs):
    diagnostic = _find(case, corpus_runs[case].json(), code, file, line)
    assert hint in (diagnostic["hint"] or "")


# (case, code, file, line, the source text the diagnostic's column points at)
COLUMNS = [
    ("flow-style-errors", "MLCC201", "module.yaml", 4, "size"),
    ("flow-style-errors", "MLCC205", "module.yaml", 6, "Users"),
    ("flow-style-errors", "MLCC203", "module.yaml", 11, "/files"),
    ("second-document-errors", "MLCC204", "module.yaml", 20, "fast"),
    ("second-document-errors", "MLCC201", "module.yaml", 25, "valueFrom"),
    ("102-duplicate-key", "MLCC102", "boxes.yaml", 6, "name"),
    ("105-invalid-utf8", "MLCC105", "boxes.yaml", 4, None),  # the byte after "  name: caf"
    ("203-invalid-values", "MLCC203", "component.yaml", 14, "0.5"),
    ("301-unknown-databox", "MLCC301", "component.yaml", 31, "modles"),
    ("505-docstring-contract", "MLCC505", "pkg/predict.py", 8, "FP33"),
    ("entrypoint-reexport", "MLCC505", "pkg/impl.py", 10, "FP32 or FLOAT8"),
    ("504-async", "MLCC504", "pkg/predict.py", 4, "async def inference"),
    ("101-wrong-indentation", "MLCC101", "component.yaml", 30, "mountS3Box:"),
    ("508-code-elsewhere", "MLCC508", "component.yaml", 23, "iris.predict.inference"),
    ("509-docstring-near-miss", "MLCC509", "pkg/predict.py", 7, ":param input.text:"),
    ("509-docstring-near-miss", "MLCC509", "pkg/predict.py", 10, ":params outputs.y:"),
]


@pytest.mark.parametrize(("case", "code", "file", "line", "token"), COLUMNS)
def test_column_points_at_the_offending_text(case, code, file, line, token, corpus_runs):
    diagnostic = _find(case, corpus_runs[case].json(), code, file, line)
    source = (CASES / case / file).read_bytes().decode("utf-8", errors="replace").splitlines()[line - 1]
    at = source[diagnostic["column"] - 1 :]
    if token is None:
        assert source[: diagnostic["column"] - 1] == "  name: caf"
    else:
        assert at.startswith(token), f"column {diagnostic['column']} of {source!r}"
        assert diagnostic["end_column"] - diagnostic["column"] == len(token)
