"""Skip modules whose inputs have not changed since the last build into the same folder.

A module's key hashes its own files (manifests and code; not its `data/`
seeds), the environments it is built for, and mlcc's own source. A hit also
needs its output folders on disk exactly as that build left them (checked by
size and mtime, falling back to content), so a hand-edited output is rebuilt.
The cache lives in `.mlcc-cache/` of the working directory, never in the
committed output: it holds machine-specific times.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from mlcc.diagnostics import Location
from mlcc.environments import Environment
from mlcc.moduleoutput import ModuleOutput

CACHE_FILE = Path(".mlcc-cache") / "build.json"
FORMAT = 1
_SKIP_DIRS = {"data", "__pycache__"}


def fingerprint(environments: list[Environment]) -> str:
    envs = [env.model_dump(mode="json", by_alias=True) for env in environments]
    return _sha(json.dumps({"mlcc": _mlcc_source_hash(), "environments": envs}, sort_keys=True).encode())


def input_key(root: Path, environments_fingerprint: str) -> str:
    digest = hashlib.sha256(environments_fingerprint.encode())
    for path in _input_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _input_files(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        found += [Path(folder, f) for f in sorted(files) if not f.startswith(".")]
    return found


@lru_cache(maxsize=1)
def _mlcc_source_hash() -> str:
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BuildCache:
    def __init__(self, output: Path, data: dict[str, Any] | None = None) -> None:
        self.output = output
        self.data = data if data and data.get("format") == FORMAT else {"format": FORMAT, "outputs": {}}
        self.entries: dict[str, Any] = self.data["outputs"].setdefault(str(output.resolve()), {})

    @classmethod
    def load(cls, output: Path) -> "BuildCache":
        try:
            return cls(output, json.loads(CACHE_FILE.read_text()))
        except (OSError, ValueError):
            return cls(output)

    def lookup(self, root: str, key: str) -> ModuleOutput | None:
        entry = self.entries.get(root)
        if not entry or entry["key"] != key or not all(self._intact(f, files) for f, files in entry["folders"].items()):
            return None
        at = entry["namespaceAt"]
        return ModuleOutput(
            root, entry["name"], entry["namespace"], Location(*at) if at else None,
            folders={folder: None for folder in entry["folders"]}, objects=entry["objects"],
        )

    def _intact(self, folder: str, recorded: dict[str, list]) -> bool:
        path = self.output / folder
        try:
            names = sorted(p.name for p in path.iterdir())
        except OSError:
            return False
        if names != sorted(recorded):
            return False
        for name, (size, mtime, sha) in recorded.items():
            stat = (path / name).stat()
            if stat.st_size != size:
                return False
            if stat.st_mtime_ns != mtime and _sha((path / name).read_bytes()) != sha:
                return False
        return True

    def store(self, root: str, key: str, output: ModuleOutput, folders: list[str]) -> None:
        """Record a module just written (its files are on disk now)."""
        at = output.namespace_at
        self.entries[root] = {
            "key": key,
            "name": output.name,
            "namespace": output.namespace,
            "namespaceAt": [at.file, at.line, at.column, at.length] if at else None,
            "objects": output.objects,
            "folders": {folder: self._snapshot(folder) for folder in folders},
        }

    def _snapshot(self, folder: str) -> dict[str, list]:
        snapshot = {}
        for path in sorted((self.output / folder).iterdir()):
            stat = path.stat()
            snapshot[path.name] = [stat.st_size, stat.st_mtime_ns, _sha(path.read_bytes())]
        return snapshot

    def forget_missing(self, roots: set[str]) -> None:
        for root in set(self.entries) - roots:
            del self.entries[root]

    def save(self) -> None:
        try:
            CACHE_FILE.parent.mkdir(exist_ok=True)
            (CACHE_FILE.parent / ".gitignore").write_text("*\n")
            tmp = CACHE_FILE.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, sort_keys=True))
            os.replace(tmp, CACHE_FILE)
        except OSError:
            pass  # a cache that cannot be written only costs time
