"""Deterministic YAML output: block style, keys in the order given, no aliases.

PyYAML's libyaml emitter writes it (ruamel.yaml, kept for reading because it
remembers positions, was most of `mlcc build`'s time as a writer). PyYAML
speaks YAML 1.1 like kubectl and Argo CD, so strings such as "yes", "on" or
"0755" come out quoted and stay strings on every consumer.
"""

from __future__ import annotations

import re
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
    return dump_all([obj])


def dump_all(objs: list[Any]) -> str:
    return yaml.dump_all(
        objs, Dumper=_OutputDumper, sort_keys=False, default_flow_style=False,
        allow_unicode=True, width=4096, explicit_start=len(objs) > 1,
    )
