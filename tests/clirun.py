"""Running `mlcc` from tests: in this interpreter (no start-up cost) or as a user runs it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

DIAGNOSTIC = re.compile(
    r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): error\[(?P<code>MLCC\d{3})\]: (?P<message>.*)$", re.M
)
# The working directory is process-wide: in-process runs take turns.
_cwd_lock = threading.Lock()


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    args: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.out + self.err

    def json(self):
        return json.loads(self.out)

    def diagnostics(self) -> list[dict[str, str]]:
        """The located errors of the text format, as dicts of file, line, col, code, message."""
        return [m.groupdict() for m in DIAGNOSTIC.finditer(self.err)]


def mlcc_inprocess(*args: str | Path, cwd: Path | None = None) -> Run:
    """`mlcc ARGS` through `mlcc.cli.main` in this interpreter, run from `cwd`."""
    from mlcc.cli import main

    argv = tuple(str(a) for a in args)
    out, err = io.StringIO(), io.StringIO()
    with _cwd_lock:
        previous = os.getcwd()
        os.environ.pop("MLCC_DEBUG", None)  # a traceback would hide what users see
        try:
            if cwd is not None:
                os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(argv))
                except SystemExit as exc:  # argparse usage errors
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            os.chdir(previous)
    return Run(code, out.getvalue(), err.getvalue(), argv)


def mlcc_subprocess(*args: str | Path, cwd: Path | None = None, timeout: float = 120) -> Run:
    """`mlcc ARGS` as a user runs it: the console script in a fresh interpreter."""
    script = Path(sys.executable).with_name("mlcc")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mlcc"]
    argv = tuple(str(a) for a in args)
    env = {k: v for k, v in os.environ.items() if k != "MLCC_DEBUG"}
    done = subprocess.run([*command, *argv], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    return Run(done.returncode, done.stdout, done.stderr, argv)
