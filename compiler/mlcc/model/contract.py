"""The inference function's docstring contract (SPEC §1.3).

    :param inputs.features: four measurements per flower
    :type inputs.features: FP32
    :param outputs.species: the predicted species
    :type outputs.species: str, optional

The runtime parses the same lines to build its OpenAPI document; a test keeps
the two parsers in agreement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DATATYPES = frozenset({"FP32", "FP64", "INT32", "INT64", "BOOL", "BYTES", "FILE", "str", "dict"})
_LINE = re.compile(r"^\s*:(?P<what>param|type)\s+(?P<side>inputs|outputs)\.(?P<name>[^:\s]+)\s*:\s*(?P<text>.*?)\s*$")


@dataclass(frozen=True)
class TensorSpec:
    name: str
    datatypes: tuple[str, ...] = ()
    optional: bool = False
    description: str = ""


@dataclass(frozen=True)
class Contract:
    inputs: tuple[TensorSpec, ...] = ()
    outputs: tuple[TensorSpec, ...] = ()


@dataclass(frozen=True)
class ContractProblem:
    line: int  # 0-based line within the docstring
    column: int
    message: str
    length: int = 1


@dataclass
class _Entry:
    line: int
    column: int
    description: str | None = None
    types: tuple[str, ...] = ()
    optional: bool = False
    typed: bool = False
    problems: list[ContractProblem] = field(default_factory=list)


def parse_contract(docstring: str) -> tuple[Contract, list[ContractProblem]]:
    sides: dict[str, dict[str, _Entry]] = {"inputs": {}, "outputs": {}}
    problems: list[ContractProblem] = []
    for number, line in enumerate(docstring.splitlines()):
        match = _LINE.match(line)
        if not match:
            continue
        column = line.index(":")
        entry = sides[match["side"]].setdefault(match["name"], _Entry(number, column))
        label = f"{match['side']}.{match['name']}"
        if match["what"] == "param":
            if entry.description is not None:
                problems.append(ContractProblem(number, column, f":param {label}: is given twice"))
            entry.description = match["text"]
        else:
            if entry.typed:
                problems.append(ContractProblem(number, column, f":type {label}: is given twice"))
            entry.typed = True
            entry.types, entry.optional, bad = _parse_type(match["text"])
            for word in bad:
                problems.append(
                    ContractProblem(
                        number,
                        match.start("text") if match["text"] else column,
                        f"{label} has unknown datatype '{word}' (known: {', '.join(sorted(DATATYPES))})",
                        max(len(match["text"]), 1),
                    )
                )
    for side, entries in sides.items():
        for name, entry in entries.items():
            if not entry.typed:
                problems.append(
                    ContractProblem(entry.line, entry.column, f"{side}.{name} has no `:type {side}.{name}:` line")
                )
    contract = Contract(
        inputs=_specs(sides["inputs"]),
        outputs=_specs(sides["outputs"]),
    )
    return contract, problems


def _parse_type(text: str) -> tuple[tuple[str, ...], bool, list[str]]:
    """'FP32 or INT32, optional' → (('FP32', 'INT32'), True, [unknown words])."""
    parts = [p.strip() for p in text.split(",")]
    optional = any(p.lower() == "optional" for p in parts[1:])
    words = [w.strip() for w in re.split(r"\s+or\s+|\|", parts[0]) if w.strip()] if parts[0] else []
    known = {d.lower(): d for d in DATATYPES}
    types = tuple(known.get(w.lower(), w) for w in words)
    bad = [w for w in types if w not in DATATYPES] or ([] if words else ["(empty)"])
    return types, optional, bad


def _specs(entries: dict[str, _Entry]) -> tuple[TensorSpec, ...]:
    return tuple(
        TensorSpec(name, e.types, e.optional, e.description or "") for name, e in entries.items()
    )
