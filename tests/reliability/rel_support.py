"""Helpers of the reliability suite: folder snapshots, free ports, the shared figures file the
README quotes. Running mlcc itself: ``tests/clirun.py``."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODULES = ROOT / "modules"
RENDERED = ROOT / "rendered"
FIGURES = Path(os.environ.get("MLCC_RELIABILITY_FIGURES", "/tmp/mlcc-reliability-figures.json"))


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
    data = {}
    if FIGURES.exists():
        try:
            data = json.loads(FIGURES.read_text())
        except ValueError:
            data = {}
    data.setdefault(section, {}).update(figures)
    FIGURES.write_text(json.dumps(data, indent=2, sort_keys=True))
