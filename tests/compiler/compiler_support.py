"""Helpers for the compiler tests: run the real `mlcc` CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
MODULES = ROOT / "modules"
SCHEMA = ROOT / "schema"


def mlcc_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m mlcc`."""
    script = Path(sys.executable).with_name("mlcc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mlcc"]


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def run_mlcc(*args: str | Path, cwd: Path = ROOT, timeout: float = 60) -> Run:
    argv = [str(a) for a in args]
    env = {k: v for k, v in os.environ.items() if k != "MLCC_DEBUG"}
    done = subprocess.run(
        [*mlcc_command(), *argv], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    return Run(tuple(argv), done.returncode, done.stdout, done.stderr)


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "expected.txt").is_file())


def lint_case(case: str, *options: str) -> Run:
    """`mlcc lint OPTIONS <case>`, run in the cases folder: no overlays/ there, so the
    built-in default environment applies whatever the repository's overlays say."""
    return run_mlcc("lint", *options, CASES / case, cwd=CASES)
