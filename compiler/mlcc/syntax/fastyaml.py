"""A fast path for reading plain manifests: libyaml composes, we construct.

ruamel.yaml's round-trip loader (pure Python) was the largest cost of
`mlcc build` once output checking got fast. For the common file — no
aliases, tags, merge keys or errors — libyaml's composer (via PyYAML) gives
the same nodes with the same marks, and this module builds containers that
answer `.lc` like ruamel's, resolving plain scalars by ruamel's YAML 1.2
rules. Anything unusual returns None, and the loader takes the ruamel path,
which owns every diagnostic.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from ruamel.yaml.nodes import ScalarNode as RuamelScalar
from ruamel.yaml.resolver import VersionedResolver

_RESOLVER = VersionedResolver(version=(1, 2))
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_TRUE = {"true", "True", "TRUE"}
# What may start an alias, anchor, tag, merge key or directive, and the characters YAML 1.1
# (libyaml) counts as line breaks but YAML 1.2 (ruamel) does not: leave those files to ruamel.
_UNUSUAL = re.compile("[&*!\x85\u2028\u2029]|<<|^%", re.M)
_Loader = getattr(yaml, "CSafeLoader", None)


class _Unusual(Exception):
    pass


class LineCol:
    """The part of ruamel's `.lc` that `source.Document` reads (0-based lines and columns)."""

    __slots__ = ("line", "col", "_keys", "_values", "_items")

    def __init__(self, line: int, col: int) -> None:
        self.line, self.col = line, col
        self._keys: dict[Any, tuple[int, int]] = {}
        self._values: dict[Any, tuple[int, int]] = {}
        self._items: list[tuple[int, int]] = []

    def key(self, key: Any) -> tuple[int, int]:
        return self._keys[key]

    def value(self, key: Any) -> tuple[int, int]:
        return self._values[key]

    def item(self, index: int) -> tuple[int, int]:
        return self._items[index]


class PositionedMap(dict):
    lc: LineCol


class PositionedList(list):
    lc: LineCol


def load_documents(text: str, max_depth: int) -> list[tuple[Any, int]] | None:
    """(root, 1-based start line) of each non-empty document, or None for the ruamel path."""
    if _Loader is None or _UNUSUAL.search(text):
        return None
    try:
        documents = []
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            root = _construct(node, set(), max_depth)
            if root is not None:
                documents.append((root, node.start_mark.line + 1))
        return documents
    except (yaml.YAMLError, _Unusual, RecursionError, ValueError):
        return None


def _mark(node: Any) -> tuple[int, int]:
    return node.start_mark.line, node.start_mark.column


def _construct(node: Any, seen: set[int], depth: int) -> Any:
    if id(node) in seen or depth < 0:  # an alias, or too deep: the ruamel path reports it
        raise _Unusual
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        items = PositionedList()
        items.lc = LineCol(*_mark(node))
        for child in node.value:
            items.lc._items.append(_mark(child))
            items.append(_construct(child, seen, depth - 1))
        return items
    mapping = PositionedMap()
    mapping.lc = LineCol(*_mark(node))
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Unusual
        key = _scalar(key_node)
        if key in mapping:  # a duplicate key: ruamel reports it
            raise _Unusual
        mapping.lc._keys[key] = _mark(key_node)
        empty = isinstance(value_node, yaml.ScalarNode) and not value_node.style and value_node.value == ""
        # ruamel marks an empty value on a later line; Document.locate then points at the key.
        mapping.lc._values[key] = (value_node.end_mark.line + 1, 0) if empty else _mark(value_node)
        mapping[key] = _construct(value_node, seen, depth - 1)
    return mapping


def _scalar(node: Any) -> Any:
    value = node.value
    if node.style:  # quoted or block: a string (explicit tags never reach here); libyaml says "" for plain
        return value
    tag = _RESOLVER.resolve(RuamelScalar, value, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value in _TRUE
    if tag == "tag:yaml.org,2002:int" and _INT.fullmatch(value):
        return int(value)
    if tag == "tag:yaml.org,2002:float" and _FLOAT.fullmatch(value):
        return float(value)
    raise _Unusual  # hex, octal, infinities, timestamps...: ruamel's constructors decide
