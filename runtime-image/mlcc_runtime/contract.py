"""The inference function's contract, read from its docstring (see the README's "Contract").

Recognised lines (reST field lists; a description may continue on more-indented lines)::

    :param inputs.NAME: description, may mention "shape [N, 4]"
    :type inputs.NAME: FP32 or INT32[, optional]
    :param outputs.NAME: description
    :type outputs.NAME: str

The lines are parsed by `mlcc_runtime.docstring`, the parser `mlcc lint` uses too, so a docstring
the runtime refuses is one lint reports. A function without such lines has an empty contract and
accepts any input names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from mlcc_runtime import datatypes, docstring
from mlcc_runtime.errors import invalid


@dataclass(frozen=True)
class Field:
    name: str
    datatypes: frozenset[str] = frozenset()  # empty only in a Field built by hand (no check)
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


def parse_docstring(doc: str | None) -> Contract:
    """Build the contract from a docstring; raises ValueError naming its first problem (an unknown
    datatype, a field without a ``:type`` line, a field given twice)."""
    parsed = docstring.parse(doc)
    if parsed.problems:
        raise ValueError(parsed.problems[0].message)
    sides: dict[str, dict[str, Field]] = {"inputs": {}, "outputs": {}}
    for f in parsed.fields:
        sides[f.side][f.name] = Field(
            name=f.name,
            datatypes=frozenset(f.datatypes),
            datatype_order=f.datatypes,
            optional=f.optional,
            description=f.description,
            shape=f.shape,
        )
    return Contract(
        summary=parsed.summary,
        description=parsed.description,
        inputs=sides["inputs"],
        outputs=sides["outputs"],
    )


def of(function: Callable[..., Any]) -> Contract:
    return parse_docstring(function.__doc__)
