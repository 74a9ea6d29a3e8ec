"""Deterministic YAML output: block style, keys in the order given, no aliases.

Strings that a YAML 1.1 reader (kubectl, Argo CD) would take for a bool, null or
number are quoted, so `"yes"` stays a string on every consumer.
"""

from __future__ import annotations

import io
import re
from typing import Any

_YAML11_IMPLICIT = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|
    [-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)
    |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|<<|=|[0-9][0-9_]*[eE][-+]?[0-9]+)$""",
    re.X,
)


def _represent_str(representer: Any, data: str) -> Any:
    if "\n" in data:
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    style = "'" if _YAML11_IMPLICIT.match(data) or data == "" else None
    return representer.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def dump_yaml(obj: Any) -> str:
    return dump_all([obj])


def dump_all(objs: list[Any]) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False
    yaml.width = 4096  # never fold long strings: diffs stay line-per-field
    yaml.representer.ignore_aliases = lambda data: True
    yaml.representer.add_representer(str, _represent_str)
    buf = io.StringIO()
    yaml.dump_all(objs, buf)
    return buf.getvalue()
