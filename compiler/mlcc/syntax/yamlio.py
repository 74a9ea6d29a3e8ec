"""Deterministic YAML output: block style, keys in the order given, no aliases.

PyYAML decides how every scalar is written (it speaks YAML 1.1 like kubectl
and Argo CD, so strings such as "yes", "on" or "0755" come out quoted and stay
strings on every consumer). The block layout around the scalars is written
here: PyYAML's Python representer was a third of `mlcc build`, and rendered
objects repeat the same few thousand scalars, so each is rendered once. What
this layout does not cover (multi-line strings, other types) goes to PyYAML
whole; a property test keeps both byte-identical.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

# Numbers by YAML 1.2's core schema that YAML 1.1 reads as strings (e.g. "1e3"):
# quoted too, so readers of either version agree.
_YAML12_NUMBER = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")

_Dumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _OutputDumper(_Dumper):  # type: ignore[misc, valid-type]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data and not any(line != line.rstrip() for line in data.splitlines()):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if _YAML12_NUMBER.fullmatch(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return dumper.represent_str(data)


_OutputDumper.add_representer(str, _represent_str)


def dump_yaml(obj: Any) -> str:
    if not isinstance(obj, (dict, list)) or not obj:
        return dump_all([obj])
    lines: list[str] = []
    try:
        _block(obj, "", lines)
    except _Unsupported:
        return dump_all([obj])
    return "".join(lines)


class _Unsupported(Exception):
    pass


def _block(value: Any, indent: str, lines: list[str]) -> None:
    """`value` (a non-empty mapping or list) in PyYAML's block style, lists not indented under keys."""
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{indent}{_key(key)}:"
            if isinstance(item, (dict, list)) and item:
                lines.append(head + "\n")
                _block(item, indent + "  " if isinstance(item, dict) else indent, lines)
            else:
                lines.append(f"{head} {_flat(item)}\n")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested: list[str] = []
                _block(item, indent + "  ", nested)
                lines.append(f"{indent}- {nested[0][len(indent) + 2:]}")
                lines.extend(nested[1:])
            else:
                lines.append(f"{indent}- {_flat(item)}\n")
    else:
        lines.append(_flat(value) + "\n")


_PLAIN_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


def _key(key: Any) -> str:
    """Keys as Kubernetes writes them; anything else may need `? key` syntax: PyYAML decides."""
    if type(key) is not str or not _PLAIN_KEY.fullmatch(key):
        raise _Unsupported
    return _string(key)


def _flat(value: Any) -> str:
    if value == {} and isinstance(value, dict):
        return "{}"
    if value == [] and isinstance(value, list):
        return "[]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is str:
        return _string(value)
    raise _Unsupported


@lru_cache(maxsize=65536)
def _string(value: str) -> str:
    text = dump_all([value])
    if text.endswith("\n...\n"):
        text = text[: -len("\n...\n")]
    text = text.rstrip("\n")
    if "\n" in text:  # a block scalar or a folded quoted one: leave the layout to PyYAML
        raise _Unsupported
    return text


def dump_all(objs: list[Any]) -> str:
    return yaml.dump_all(
        objs, Dumper=_OutputDumper, sort_keys=False, default_flow_style=False,
        allow_unicode=True, width=4096, explicit_start=len(objs) > 1,
    )
