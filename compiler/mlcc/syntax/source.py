"""Parsed YAML documents that remember where every node came from.

ruamel.yaml's round-trip loader keeps line/column on each mapping and sequence;
`Document.locate` turns a field path such as ("spec", "connectedBoxes", 0, "name")
into a `Location` for diagnostics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcc.diagnostics import Location

FieldPath = Sequence[str | int]


@dataclass(frozen=True)
class SourceFile:
    path: Path
    text: str

    def line(self, number: int) -> str:
        """The 1-based source line, or '' when out of range."""
        lines = self.text.splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""


@dataclass
class Document:
    """One YAML document of a manifest file."""

    source: SourceFile
    index: int
    root: Any  # ruamel CommentedMap (or whatever the document holds)
    start_line: int | None = None  # 1-based; known for every parsed document, even a bare scalar

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.root, dict)

    def get(self, *path: str | int) -> Any:
        node = self.root
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    @property
    def kind(self) -> Any:
        return self.get("kind")

    @property
    def api_version(self) -> Any:
        return self.get("apiVersion")

    @property
    def name(self) -> Any:
        return self.get("metadata", "name")

    def locate(self, path: FieldPath, *, key: bool = False) -> Location:
        """Where the value at `path` is written (its key when `key`).

        A path that leaves the document (a missing field) resolves to the deepest
        node that exists, which is where the user has to add it.
        """
        node, parent, last = self.root, None, None
        for depth, part in enumerate(path):
            child = _child(node, part)
            if child is _MISSING:
                return self._at(node, parent, last, key=True) if depth else self._start()
            parent, last, node = node, part, child
        if parent is None:
            return self._start()
        return self._at(node, parent, last, key=key)

    def _start(self) -> Location:
        lc = getattr(self.root, "lc", None)
        if lc is not None and lc.line is not None:
            line, col = lc.line + 1, (lc.col or 0) + 1
        else:
            line, col = self.start_line or 1, 1
        return Location(str(self.source.path), line, col, 1)

    def _at(self, node: Any, parent: Any, part: str | int, *, key: bool) -> Location:
        lc = getattr(parent, "lc", None)
        if lc is None:
            return self._start()
        try:
            if isinstance(parent, list):
                line, col = lc.item(part)
                key = False
            elif key or isinstance(node, (dict, list)):
                line, col = lc.key(part)
                key = True
            else:
                line, col = lc.value(part)
                if node is None and line != lc.key(part)[0]:
                    # `key:` with nothing after it: ruamel places the empty value at
                    # the next token, often the next line; the key is what to show.
                    line, col = lc.key(part)
                    key = True
        except (KeyError, IndexError, TypeError):
            return self._start()
        text = self.source.line(line + 1)
        length = len(str(part)) if key else _token_length(text, col)
        return Location(str(self.source.path), line + 1, col + 1, max(length, 1))


_MISSING = object()


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING


def _token_length(line: str, col: int) -> int:
    """Columns taken by the scalar starting at `col` (for the caret underline)."""
    rest = line[col:]
    if rest[:1] in ("'", '"'):
        end = rest.find(rest[0], 1)
        return end + 1 if end > 0 else len(rest.rstrip())
    for stop in (" #", ",", "}", "]"):
        cut = rest.find(stop)
        if cut > 0:
            rest = rest[:cut]
    return len(rest.rstrip())


def to_plain(node: Any) -> Any:
    """ruamel's round-trip containers → plain dicts/lists/scalars for validation."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node
