"""A component's example requests: the file named by `spec.mlService.inference.examples` exists in
the module folder and parses as the runtime parses it (the same parser, `mlcc.model.examples`); a
component without examples gets a warning that its service reports ready before it ever ran.
Whether the examples fit the function's contract is checked where the contract is read, by the
entry-point rule (`against_contract`), so the code is read once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mlcc.diagnostics import Diagnostic
from mlcc.diagnostics.suggest import did_you_mean
from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import MAX_ATTACHED_BYTES, Module
from mlcc.model import MLComponent
from mlcc.model.contract import Contract
from mlcc.model.examples import parse_examples
from mlcc.rules.context import LintContext

FIELD = ("spec", "mlService", "inference", "examples")


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    for component in module.mlcomponents:
        name = component.obj.spec.ml_service.inference.examples
        if name is None:
            yield Diagnostic(
                "MLCC604",
                f"MLComponent '{component.name}' has no example requests: its service reports ready before its "
                "function ever ran, so a missing model is found by the first caller",
                component.doc.locate(("spec", "mlService", "inference")),
                hint="add `examples: examples.json` (a JSON list of {name, request}) to spec.mlService.inference; "
                "`mlcc explain MLCC604` shows the format",
            )
            continue
        problem = _problem(module, name)
        if problem is not None:
            yield _invalid(component, problem)


def _invalid(component: Resource[MLComponent], problem: str) -> Diagnostic:
    return Diagnostic(
        "MLCC210",
        f"examples file '{component.obj.spec.ml_service.inference.examples}': {problem}",
        component.doc.locate(FIELD),
        hint="each example is {\"name\": ..., \"request\": {\"inputs\": [...]}}, as a /predict body",
    )


def _problem(module: Module, name: str) -> str | None:
    text = module.attached.get(name)
    if text is None:
        return _unread(module.source.root, name)
    try:
        parse_examples(text)
    except ValueError as exc:
        return str(exc)
    return None


def against_contract(module: Module, component: Resource[MLComponent], contract: Contract) -> list[Diagnostic]:
    """An example that names an input the function does not declare, or leaves out a required one,
    would stop the runtime at start (it checks the examples against the contract): say so now.
    Only for a contract that declares inputs and an examples file that parses (else `check` says why)."""
    name = component.obj.spec.ml_service.inference.examples
    if name is None or not contract.inputs or _problem(module, name) is not None:
        return []
    declared = {spec.name: spec for spec in contract.inputs}
    function = component.obj.spec.ml_service.inference.entry_point.python_function
    for index, example in enumerate(parse_examples(module.attached[name])):
        given = [tensor["name"] for tensor in example.request["inputs"]]
        unknown = [n for n in given if n not in declared]
        missing = [n for n, spec in declared.items() if not spec.optional and n not in given]
        where = f"examples[{index}] ('{example.name}')"
        if unknown:
            hint = did_you_mean(unknown[0], declared, "input") or ""
            return [_invalid(component, f"{where}: input '{unknown[0]}' is not an input of {function} "
                                        f"(inputs: {', '.join(declared)}){'; ' + hint if hint else ''}")]
        if missing:
            return [_invalid(component, f"{where}: {function} requires input '{missing[0]}', which the example does not give")]
    return []


def _unread(root: Path, name: str) -> str:
    """Why the front end could not read the file."""
    path = root / name
    if not path.resolve().is_relative_to(root.resolve()):
        return "is outside the module folder"
    if not path.is_file():
        return "does not exist in the module folder"
    if path.stat().st_size > MAX_ATTACHED_BYTES:
        return f"is larger than {MAX_ATTACHED_BYTES // 1024} KiB (it travels in a ConfigMap)"
    return "cannot be read as UTF-8 text"
