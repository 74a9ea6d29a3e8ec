"""Helpers of the reliability suite: in-process and subprocess ``mlcc`` runs, folder snapshots,
the shared figures file the README quotes."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODULES = ROOT / "modules"
RENDERED = ROOT / "rendered"
FIGURES = Path(os.environ.get("MLCC_RELIABILITY_FIGURES", "/tmp/mlcc-reliability-figures.json"))
_cli_lock = threading.Lock()


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def mlcc_inprocess(*args: str | Path, cwd: Path | None = None) -> Run:
    """``mlcc.cli.main(args)`` with stdout/stderr captured (and the cwd switched, under a lock)."""
    from mlcc.cli import main

    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with _cli_lock:
        old = os.getcwd()
        os.environ.pop("MLCC_DEBUG", None)
        try:
            if cwd is not None:
                os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as exc:  # argparse
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            os.chdir(old)
    return Run(tuple(argv), code, out.getvalue(), err.getvalue())


def mlcc_subprocess(*args: str | Path, cwd: Path | None = None, timeout: float = 120) -> Run:
    script = Path(sys.executable).with_name("mlcc")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mlcc"]
    env = {k: v for k, v in os.environ.items() if k != "MLCC_DEBUG"}
    done = subprocess.run([*command, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)
    return Run(tuple(map(str, args)), done.returncode, done.stdout, done.stderr)


def snapshot(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file (and symlink target) under ``folder``."""
    result: dict[str, str] = {}
    if not folder.exists():
        return result
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            result[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            result[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            result[rel + "/"] = "dir"
    return result


def copy_module(src: Path, dst: Path) -> None:
    """A module folder without its (possibly large) seed data."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("data", "__pycache__", "*.joblib"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record(section: str, **figures: object) -> None:
    """Merge figures into the JSON file the README section is written from."""
    with _cli_lock:
        data = {}
        if FIGURES.exists():
            try:
                data = json.loads(FIGURES.read_text())
            except ValueError:
                data = {}
        data.setdefault(section, {}).update(figures)
        FIGURES.write_text(json.dumps(data, indent=2, sort_keys=True))
