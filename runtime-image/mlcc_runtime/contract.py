"""The inference function's contract, read from its docstring (see the README's "Contract").

Recognised lines (reST field lists; a description may continue on more-indented lines)::

    :param inputs.NAME: description, may mention "shape [N, 4]"
    :type inputs.NAME: FP32 or INT32[, optional]
    :param outputs.NAME: description
    :type outputs.NAME: str

A function without such lines has an empty contract and accepts any input names.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from mlcc_runtime import datatypes
from mlcc_runtime.errors import invalid

_FIELD = re.compile(r"^:(param|type)\s+(inputs|outputs)\.([^:\s]+)\s*:\s*(.*)$")
_SHAPE = re.compile(r"shape\s*\[([^\]]*)\]", re.IGNORECASE)
_TYPE_SPLIT = re.compile(r"\s+or\s+|\s*\|\s*|\s*/\s*")


@dataclass(frozen=True)
class Field:
    name: str
    datatypes: frozenset[str] = frozenset()  # empty: type not declared, anything goes
    optional: bool = False
    description: str = ""
    shape: tuple[int, ...] | None = None  # from "shape [...]" in the description; -1 = any
    datatype_order: tuple[str, ...] = ()  # as written, for messages and metadata

    @property
    def primary(self) -> str | None:
        """The type to advertise in metadata: the first declared one."""
        return self.datatype_order[0] if self.datatype_order else None


@dataclass(frozen=True)
class Contract:
    summary: str = ""
    description: str = ""
    inputs: dict[str, Field] = field(default_factory=dict)
    outputs: dict[str, Field] = field(default_factory=dict)

    def check_inputs(self, inputs: list[dict]) -> None:
        """Reject unknown names, missing required inputs and incompatible types (400)."""
        if not self.inputs:
            return
        seen = set()
        for tensor in inputs:
            name = tensor["name"]
            spec = self.inputs.get(name)
            if spec is None:
                raise invalid(f"unknown input {name!r}; this model takes {sorted(self.inputs)}")
            if name in seen:
                raise invalid(f"input {name!r} is given twice")
            seen.add(name)
            if spec.datatypes and not datatypes.compatible(tensor["datatype"], spec.datatypes):
                raise invalid(f"input {name!r} has datatype {tensor['datatype']}; expected "
                              f"{' or '.join(spec.datatype_order)}")
        missing = [n for n, f in self.inputs.items() if not f.optional and n not in seen]
        if missing:
            raise invalid(f"missing required input(s) {missing}")

    def declared_textual(self, name: str) -> str | None:
        """For a V2 BYTES input: the one str/FILE/dict/BYTES type the contract declares, if any."""
        spec = self.inputs.get(name)
        if spec is None:
            return None
        textual = [t for t in spec.datatype_order if t in datatypes.TEXTUAL]
        return textual[0] if len(textual) == 1 else None


def _parse_shape(text: str) -> tuple[int, ...] | None:
    match = _SHAPE.search(text)
    if not match:
        return None
    dims = []
    for part in match.group(1).split(","):
        part = part.strip()
        dims.append(int(part) if part.isdigit() else -1)
    return tuple(dims) if dims else None


def _parse_type(text: str) -> tuple[tuple[str, ...], bool]:
    parts = [p.strip() for p in text.split(",")]
    optional = any(p.lower() == "optional" for p in parts[1:])
    names = []
    for token in _TYPE_SPLIT.split(parts[0]) if parts[0] else []:
        canonical = datatypes.canonical(token)
        if canonical is None:
            raise ValueError(f"unknown datatype {token!r}")
        if canonical not in names:
            names.append(canonical)
    return tuple(names), optional


def parse_docstring(doc: str | None) -> Contract:
    """Build the contract from a docstring; raises ValueError naming a bad ``:type`` line."""
    text = inspect.cleandoc(doc or "")
    lines = text.splitlines()
    prose: list[str] = []
    raw: dict[tuple[str, str], dict[str, Any]] = {}
    current: list[str] | None = None
    for line in lines:
        match = _FIELD.match(line.strip()) if not line.startswith((" ", "\t")) else None
        if match:
            kind, side, name, rest = match.groups()
            entry = raw.setdefault((side, name), {"param": [], "type": []})
            entry[kind] = [rest]
            current = entry[kind]
        elif line.strip().startswith(":"):
            current = None  # another field list entry (:returns:, :raises: ...) ends ours
        elif current is not None and line.startswith((" ", "\t")) and line.strip():
            current.append(line.strip())
        elif current is None:
            prose.append(line)
        else:
            current = None
    sides: dict[str, dict[str, Field]] = {"inputs": {}, "outputs": {}}
    for (side, name), entry in raw.items():
        description = " ".join(entry["param"]).strip()
        try:
            order, optional = _parse_type(" ".join(entry["type"]).strip())
        except ValueError as exc:
            raise ValueError(f":type {side}.{name}: {exc}") from None
        sides[side][name] = Field(
            name=name,
            datatypes=frozenset(order),
            datatype_order=order,
            optional=optional,
            description=description,
            shape=_parse_shape(description),
        )
    paragraphs = "\n".join(prose).strip().split("\n\n")
    summary = " ".join(paragraphs[0].split()) if paragraphs and paragraphs[0] else ""
    return Contract(
        summary=summary,
        description="\n\n".join(p.strip() for p in paragraphs).strip(),
        inputs=sides["inputs"],
        outputs=sides["outputs"],
    )


def of(function: Callable[..., Any]) -> Contract:
    return parse_docstring(function.__doc__)
