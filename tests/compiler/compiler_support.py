"""Helpers for the compiler tests: run the real `mlcc` CLI as a subprocess."""

from __future__ import annotations

from pathlib import Path

from clirun import Run, mlcc_subprocess

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
MODULES = ROOT / "modules"
SCHEMA = ROOT / "schema"


def run_mlcc(*args: str | Path, cwd: Path = ROOT) -> Run:
    return mlcc_subprocess(*args, cwd=cwd)


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "expected.txt").is_file())


def lint_case(case: str, *options: str) -> Run:
    """`mlcc lint OPTIONS <case>`, run in the cases folder: no overlays/ there, so the
    built-in default environment applies whatever the repository's overlays say."""
    return run_mlcc("lint", *options, CASES / case, cwd=CASES)
