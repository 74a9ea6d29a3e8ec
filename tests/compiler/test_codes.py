"""Diagnostic codes are data: each declares its title, severity, emitters and explanation; one
code has one meaning; users can read the explanation and ignore a warning."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from clirun import mlcc_inprocess
from compiler_support import CASES, ENVIRONMENTS, ROOT

from mlcc.diagnostics import CODES, Severity

PACKAGE = ROOT / "compiler" / "mlcc"
LITERAL = re.compile(r'"(MLCC\d{3})"')


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def _raised_in() -> dict[str, set[str]]:
    """Code → the modules whose source names it as a string literal (where diagnostics are made)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "diagnostics" and path.name == "codes.py":
            continue
        for code in LITERAL.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, set()).add(_module(path))
    return found


def test_each_code_is_raised_exactly_where_it_says() -> None:
    raised = _raised_in()
    assert set(raised) <= set(CODES), f"undeclared codes: {set(raised) - set(CODES)}"
    for code in CODES.values():
        assert raised.get(code.id, set()) == set(code.emitted_by), (
            f"{code.id} is declared as emitted by {sorted(code.emitted_by)} but raised in {sorted(raised.get(code.id, ()))}"
        )


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_code_explains_itself_with_a_failing_and_a_fixed_example(code: str) -> None:
    text = CODES[code].explanation
    assert text.splitlines()[0] == f"# {code}: {CODES[code].title}"
    for section in ("## Example", "## Fix"):
        assert section in text, f"{code}: no {section}"
        after = text.split(section, 1)[1]
        assert "```" in after.split("\n## ", 1)[0], f"{code}: {section} has no code block"
    assert "SPEC" not in text


def test_no_explanation_without_a_code() -> None:
    files = {p.stem for p in (PACKAGE / "data" / "explanations").glob("*.md")}
    assert files == set(CODES)


def test_explain_prints_a_code_explanation() -> None:
    run = mlcc_inprocess("explain", "mlcc301")
    assert run.code == 0, run.text
    assert run.out.startswith("# MLCC301: unknown DataBox") and "## Fix" in run.out and "severity: error" in run.out


def test_explain_an_unknown_code_is_a_usage_error_with_a_suggestion() -> None:
    run = mlcc_inprocess("explain", "MLCC399")
    assert run.code == 2 and "MLCC399 is not an mlcc diagnostic code" in run.err


def test_ignore_drops_a_warning_from_lint_and_build(tmp_path: Path) -> None:
    case = CASES / "601-602-unpublished"
    envs = ("--overlays", ENVIRONMENTS, "--ignore", "MLCC604")
    run = mlcc_inprocess("lint", *envs, "--format", "json", case, cwd=CASES)
    assert sorted(d["code"] for d in run.json()) == ["MLCC601", "MLCC602"]
    run = mlcc_inprocess("lint", *envs, "--format", "json", "--ignore", "MLCC601", case, cwd=CASES)
    assert [d["code"] for d in run.json()] == ["MLCC602"]
    run = mlcc_inprocess("lint", *envs, "--format", "json", "--ignore", "mlcc601,MLCC602", case, cwd=CASES)
    assert (run.code, run.json()) == (0, [])
    out = tmp_path / "out"
    run = mlcc_inprocess("build", *envs, "--ignore", "MLCC602", "-o", out, case, cwd=CASES)
    assert run.code == 0, run.text
    assert "MLCC601" in run.err and "MLCC602" not in run.err


def test_an_error_cannot_be_ignored() -> None:
    run = mlcc_inprocess("lint", "--ignore", "MLCC301", CASES / "301-unknown-databox", cwd=CASES)
    assert run.code == 2 and "MLCC301 (unknown DataBox) is an error; only warnings can be ignored" in run.err


def test_a_module_ignores_warnings_by_annotation_and_a_bad_list_is_located(tmp_path: Path) -> None:
    module = tmp_path / "unpublished"
    shutil.copytree(CASES / "601-602-unpublished", module)
    component = module / "component.yaml"
    text = component.read_text()
    assert "metadata:\n" in text
    component.write_text(
        text.replace("metadata:\n", "metadata:\n  annotations:\n    unified-platform.cs.hse.ru/mlcc-ignore: MLCC601, MLCC602 MLCC604\n", 1)
    )
    envs = ("--overlays", ENVIRONMENTS)
    run = mlcc_inprocess("lint", *envs, "--format", "json", module, cwd=tmp_path)
    assert (run.code, run.json()) == (0, [])
    component.write_text(
        text.replace("metadata:\n", "metadata:\n  annotations:\n    unified-platform.cs.hse.ru/mlcc-ignore: MLCC601 MLCC306 MLCC604\n", 1)
    )
    run = mlcc_inprocess("lint", *envs, "--format", "json", module, cwd=tmp_path)
    found = [(d["code"], Path(d["file"]).name, d["line"]) for d in run.json()]
    assert found == [("MLCC602", "boxes.yaml", 5), ("MLCC209", "component.yaml", 5)]


def test_warnings_and_notes_are_the_only_non_errors() -> None:
    """A code's severity is data: rules do not decide it where they raise it."""
    raised = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if "diagnostics" not in p.parts)
    assert "severity=Severity" not in raised
    assert {c.severity for c in CODES.values()} == {Severity.ERROR, Severity.WARNING, Severity.NOTE}
