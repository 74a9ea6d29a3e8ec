"""The inference function's docstring contract, as the compiler's model holds it.

    :param inputs.features: four measurements per flower
    :type inputs.features: FP32
    :param outputs.species: the predicted species
    :type outputs.species: str, optional

The lines are parsed by `mlcc.model.docstring`, which is the runtime's `mlcc_runtime.docstring`
(one source file, mapped into this package by pyproject.toml): lint accepts exactly the docstrings
the runtime serves, with the same datatypes and the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcc.model import docstring


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
    suggestion: str = ""  # for a near miss: the field line it most likely meant


def parse_contract(text: str) -> tuple[Contract, list[ContractProblem]]:
    """The contract of a docstring as written (`ast.get_docstring(node, clean=False)`) and its
    problems, positioned inside that text."""
    contract, problems, _ = read_contract(text)
    return contract, problems


def read_contract(text: str) -> tuple[Contract, list[ContractProblem], list[ContractProblem]]:
    """The contract, its problems (the runtime refuses to start over them) and its near misses
    (lines such as `:param input.text:` that declare nothing but nearly do), each positioned."""
    parsed = docstring.parse(text)
    contract = Contract(inputs=_specs(parsed.inputs), outputs=_specs(parsed.outputs))
    return contract, _problems(parsed.problems), _problems(parsed.warnings)


def _problems(found: tuple[docstring.Problem, ...]) -> list[ContractProblem]:
    return [ContractProblem(p.line, p.column, p.message, p.length, p.suggestion) for p in found]


def _specs(fields: tuple[docstring.Field, ...]) -> tuple[TensorSpec, ...]:
    return tuple(TensorSpec(f.name, f.datatypes, f.optional, f.description) for f in fields)
