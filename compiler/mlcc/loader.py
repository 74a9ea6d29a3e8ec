"""Find modules on disk and parse their manifest files, keeping source positions.

A module is a folder whose top-level `*.yaml`/`*.yml` files are its manifests;
a modules root is a folder whose sub-folders are modules. Problems reading files
become diagnostics, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlcc.diagnostics import Diagnostic, Location
from mlcc.source import Document, SourceFile

MANIFEST_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 4 * 1024 * 1024
# Deeper than any manifest needs; guards the recursive walks against YAML bombs.
MAX_DEPTH = 64


@dataclass
class ModuleSource:
    """A module folder and what was read from it."""

    root: Path
    files: list[Path]
    documents: list[Document] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.root.resolve().name


def is_manifest(path: Path) -> bool:
    return path.suffix in MANIFEST_SUFFIXES and not path.name.startswith(".")


def manifest_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_manifest(p))


def discover(paths: list[Path]) -> tuple[list[ModuleSource], list[Diagnostic]]:
    """Modules named by `paths`: module folders, modules roots, or single files.

    A single file stands for its whole module, since its references reach the
    other manifests of that folder (pre-commit passes only changed files).
    """
    found: dict[Path, Path] = {}
    diagnostics: list[Diagnostic] = []
    for path in paths:
        for folder in _module_folders(path, diagnostics):
            found.setdefault(folder.resolve(), folder)
    modules = [ModuleSource(folder, manifest_files(folder)) for _, folder in sorted(found.items())]
    for module in modules:
        if not module.files:
            diagnostics.append(
                Diagnostic(
                    "MLCC106",
                    f"module folder '{module.root}' holds no manifest files",
                    Location.of_file(module.root),
                    hint="put the module's *.yaml manifests directly in its folder",
                )
            )
    return modules, diagnostics


def _module_folders(path: Path, diagnostics: list[Diagnostic]) -> list[Path]:
    if path.is_file():
        return [path.parent]
    if not path.is_dir():
        diagnostics.append(
            Diagnostic("MLCC105", f"'{path}' does not exist", Location.of_file(path))
        )
        return []
    if manifest_files(path):
        return [path]
    return sorted(
        p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )


def load(module: ModuleSource) -> list[Diagnostic]:
    """Parse every manifest file of `module` into `module.documents`."""
    diagnostics: list[Diagnostic] = []
    for path in module.files:
        documents, problems = parse_file(path)
        module.documents.extend(documents)
        diagnostics.extend(problems)
    return diagnostics


def parse_file(path: Path) -> tuple[list[Document], list[Diagnostic]]:
    source, problem = read_source(path)
    if problem:
        return [], [problem]
    return parse_source(source)


def read_source(path: Path) -> tuple[SourceFile, Diagnostic | None]:
    empty = SourceFile(path, "")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return empty, _unreadable(path, f"file is {size} bytes, over the {MAX_FILE_BYTES} limit")
        raw = path.read_bytes()
    except OSError as exc:
        return empty, _unreadable(path, exc.strerror or str(exc))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return empty, Diagnostic(
            "MLCC105",
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            Location(str(path), line, col),
            hint="save the file as UTF-8",
        )
    return SourceFile(path, text), None


def _unreadable(path: Path, why: str) -> Diagnostic:
    return Diagnostic("MLCC105", f"cannot read file: {why}", Location.of_file(path))


def parse_source(source: SourceFile) -> tuple[list[Document], list[Diagnostic]]:
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    documents: list[Document] = []
    try:
        for index, root in enumerate(yaml.load_all(source.text)):
            if root is None:  # an empty document between two `---`
                continue
            if _depth(root) > MAX_DEPTH:
                return documents, [_too_deep(source, root)]
            documents.append(Document(source, index, root))
    except DuplicateKeyError as exc:
        return documents, [_marked(source, exc, "MLCC102", _duplicate_message(exc))]
    except MarkedYAMLError as exc:
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        return documents, [_marked(source, exc, "MLCC101", message)]
    except (YAMLError, RecursionError, ValueError) as exc:
        return documents, [
            Diagnostic("MLCC101", f"cannot parse YAML: {exc}", Location(str(source.path), 1, 1))
        ]
    return documents, []


def _depth(node: object, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(node, dict):
        return max((_depth(v, level + 1) for v in node.values()), default=level + 1)
    if isinstance(node, list):
        return max((_depth(v, level + 1) for v in node), default=level + 1)
    return level


def _too_deep(source: SourceFile, root: object) -> Diagnostic:
    lc = getattr(root, "lc", None)
    line = (lc.line + 1) if lc is not None and lc.line is not None else 1
    return Diagnostic(
        "MLCC101",
        f"document nests deeper than {MAX_DEPTH} levels",
        Location(str(source.path), line, 1),
    )


def _duplicate_message(exc: Exception) -> str:
    problem = getattr(exc, "problem", "") or ""
    key = problem.split('"')[1] if problem.count('"') >= 2 else None
    return f"key '{key}' appears twice in one mapping" if key else "duplicate key"


def _marked(source: SourceFile, exc: Exception, code: str, message: str) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    hint = "each key may appear only once; remove or rename one" if code == "MLCC102" else None
    return Diagnostic(code, message, Location(str(source.path), line, col), hint=hint)
