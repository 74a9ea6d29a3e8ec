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


# The environment every case is checked for (an OIDC endpoint and a secret store, so the cases'
# modules render), whatever the repository's overlays say.
ENVIRONMENTS = Path(__file__).resolve().parent / "environments"
# A warning nearly every case would show besides the one it is about: a component without example
# requests. Ignored except in the case that is about it.
NOISE = "MLCC604"
SHOWS_NOISE = {"604-no-examples"}


# How every case is linted.
CASE_OPTIONS = ("--overlays", str(ENVIRONMENTS), f"--ignore={NOISE}")


def lint_case(case: str, *options: str) -> Run:
    """`mlcc lint OPTIONS <case>`, run in the cases folder for the corpus environment."""
    chosen = CASE_OPTIONS[:2] if case in SHOWS_NOISE else CASE_OPTIONS
    return run_mlcc("lint", *chosen, *options, CASES / case, cwd=CASES)
