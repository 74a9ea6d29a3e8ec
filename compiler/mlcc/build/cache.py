"""Skip modules whose inputs have not changed since the last build into the same folder.

A module is reused when the environments and mlcc itself are the same, its own
files (manifests and code, not its `data/` seeds) are the same — by size and
mtime, or else by content — and its output folders are on disk exactly as that
build left them (a hand-edited output is rebuilt). The cache lives in
`.mlcc-cache/` of the working directory, never in the committed output: it
holds machine-specific times.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any

from mlcc.build.result import ModuleOutput
from mlcc.diagnostics import Diagnostic, Location, Severity
from mlcc.model.environment import Environment

CACHE_DIR = Path(".mlcc-cache")
FORMAT = 4
_SKIP_DIRS = {"data", "__pycache__"}

Snapshot = dict[str, list[int]]  # relative path → [size, mtime_ns]


def fingerprint(environments: list[Environment]) -> str:
    """What every module's output also depends on: the environments and mlcc's own source."""
    envs = [env.model_dump(mode="json", by_alias=True) for env in environments]
    return _sha(json.dumps({"mlcc": _mlcc_source_hash(), "environments": envs}, sort_keys=True).encode())


def snapshot_inputs(root: str) -> Snapshot:
    found: Snapshot = {}
    _scan(root, "", found)
    return found


def _scan(folder: str, prefix: str, found: Snapshot) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):  # a linked folder may loop back: not an input
                if entry.name not in _SKIP_DIRS:
                    _scan(entry.path, f"{prefix}{entry.name}/", found)
                continue
            try:
                stat = entry.stat()
            except OSError:  # a dangling or looping link: the build reports it, the key notes it
                found[prefix + entry.name] = [-1, -1]
                continue
            if S_ISREG(stat.st_mode):
                found[prefix + entry.name] = [stat.st_size, stat.st_mtime_ns]
            elif not S_ISDIR(stat.st_mode):  # a FIFO or device: never opened, only noted
                found[prefix + entry.name] = [-2, -2]


def content_key(root: str, inputs: Snapshot) -> str:
    digest = hashlib.sha256()
    for rel, (size, _) in sorted(inputs.items()):
        if size < 0:
            digest.update(rel.encode() + b"\0special\0")
            continue
        try:
            with open(os.path.join(root, rel), "rb") as handle:
                content = handle.read()
        except OSError:
            content = b"\0unreadable"
        digest.update(rel.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


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
    def __init__(self, output: Path, env_key: str, data: dict[str, Any] | None = None) -> None:
        self.output, self.env_key = output, env_key
        self.data = data if data and data.get("format") == FORMAT else {"format": FORMAT, "modules": {}, "folders": {}}
        self.entries: dict[str, Any] = self.data["modules"]
        self.folders: dict[str, Any] = self.data["folders"]  # shared folders (Argo CD), by snapshot
        self.changed = False

    @staticmethod
    def file_for(output: Path) -> Path:
        """One cache file per output folder: a build reads only its own."""
        return CACHE_DIR / f"build-{_sha(str(output.resolve()).encode())[:16]}.json"

    @classmethod
    def load(cls, output: Path, environments: list[Environment]) -> "BuildCache":
        try:
            data = json.loads(cls.file_for(output).read_text())
        except (OSError, ValueError):
            data = None
        return cls(output, fingerprint(environments), data)

    def lookup(self, root: str, inputs: Snapshot) -> ModuleOutput | None:
        entry = self.entries.get(root)
        if not entry or entry["envKey"] != self.env_key or "warnings" not in entry:
            return None
        if entry["inputs"] != inputs and entry["key"] != content_key(root, inputs):
            return None
        if not all(self._intact(folder, files) for folder, files in entry["folders"].items()):
            return None
        at = entry["namespaceAt"]
        return ModuleOutput(
            root, entry["name"], entry["namespace"], Location(*at) if at else None,
            folders={folder: None for folder in entry["folders"]},
            diagnostics=[_load_diagnostic(d) for d in entry["warnings"]],
            applications={env: tuple(app) for env, app in entry["applications"].items()},  # type: ignore[misc]
            objects=entry["objects"],
        )

    def unchanged(self, folder: str, files: dict[str, str]) -> bool:
        """A shared folder whose new files equal what the last build wrote and is still on disk."""
        recorded = self.folders.get(folder)
        if recorded is None or recorded.keys() != files.keys():
            return False
        if any(_sha(text.encode()) != recorded[name][2] for name, text in files.items()):
            return False
        return self._intact(folder, recorded)

    def store_folder(self, folder: str) -> None:
        self.changed = True
        self.folders[folder] = self._snapshot(folder)

    def _intact(self, folder: str, recorded: dict[str, list]) -> bool:
        path = os.path.join(self.output, folder)
        try:
            with os.scandir(path) as entries:
                found = {e.name: e.stat() for e in entries}
        except OSError:
            return False
        if found.keys() != recorded.keys():
            return False
        for name, (size, mtime, sha) in recorded.items():
            stat = found[name]
            if stat.st_size != size:
                return False
            if stat.st_mtime_ns != mtime:
                with open(os.path.join(path, name), "rb") as handle:
                    if _sha(handle.read()) != sha:
                        return False
        return True

    def store(self, output: ModuleOutput, inputs: Snapshot) -> None:
        """Record a module just written; `inputs` is its snapshot from before it was built."""
        at = output.namespace_at
        self.changed = True
        self.entries[output.root] = {
            "envKey": self.env_key,
            "inputs": inputs,
            "key": content_key(output.root, inputs),
            "name": output.name,
            "namespace": output.namespace,
            "namespaceAt": [at.file, at.line, at.column, at.length] if at else None,
            "objects": output.objects,
            "warnings": [_dump_diagnostic(d) for d in output.diagnostics],  # a stored build had no errors
            "folders": {folder: self._snapshot(folder) for folder in sorted(output.folders)},
            "applications": {env: list(app) for env, app in output.applications.items()},
        }

    def _snapshot(self, folder: str) -> dict[str, list]:
        snapshot = {}
        for path in sorted((self.output / folder).iterdir()):
            stat = path.stat()
            snapshot[path.name] = [stat.st_size, stat.st_mtime_ns, _sha(path.read_bytes())]
        return snapshot

    def forget_except(self, roots: set[str]) -> None:
        for root in set(self.entries) - roots:
            self.changed = True
            del self.entries[root]

    def save(self) -> None:
        if not self.changed:
            return
        path = self.file_for(self.output)
        try:
            CACHE_DIR.mkdir(exist_ok=True)
            (CACHE_DIR / ".gitignore").write_text("*\n")
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data))
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def _dump_diagnostic(d: Diagnostic) -> dict:
    loc = d.location
    return {
        "code": d.code, "message": d.message, "severity": d.severity.value, "hint": d.hint, "notes": list(d.notes),
        "location": [loc.file, loc.line, loc.column, loc.length],
        "related": [[r.file, r.line, r.column, r.length] for r in d.related],
    }


def _load_diagnostic(data: dict) -> Diagnostic:
    return Diagnostic(
        data["code"], data["message"], Location(*data["location"]), Severity(data["severity"]), data["hint"],
        tuple(Location(*r) for r in data["related"]), tuple(data["notes"]),
    )
