"""The developer's entry point, checked statically: never import user code at lint time."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlcc.diagnostics import Diagnostic, Location
from mlcc.diagnostics.suggest import did_you_mean
from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.model import MLComponent
from mlcc.model.contract import Contract, ContractProblem, read_contract
from mlcc.rules import examples
from mlcc.rules.context import LintContext

ARGUMENTS = ("parameters", "inputs", "output_fields", "model_key", "model")
_ENTRY = ("spec", "mlService", "inference", "entryPoint")
# The opening quotes of a docstring, with an optional r/u prefix.
_OPENING = re.compile(r"[rRuU]?(\"\"\"|'''|\"|')")


@dataclass(frozen=True)
class EntryPoint:
    file: Path
    function: str
    line: int
    contract: Contract


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    if not context.check_entrypoints:
        return
    for component in module.mlcomponents:
        entry, problems = inspect_entrypoint(module, component, context.code)
        yield from problems
        if entry is not None:
            yield from examples.against_contract(module, component, entry.contract)


# Folders that hold no code of the module: what the build cache does not read either.
_NOT_CODE = frozenset({"data", "__pycache__"})


def holds_python(root: Path) -> bool:
    """Whether a `*.py` file lies anywhere under `root`, hidden folders, `data/` and `__pycache__`
    aside (links to folders are not followed)."""
    for folder, subfolders, files in os.walk(root):
        if any(name.endswith(".py") for name in files):
            return True
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in _NOT_CODE]
    return False


def inspect_entrypoint(
    module: Module, component: Resource[MLComponent], code: Path | None = None
) -> tuple[EntryPoint | None, list[Diagnostic]]:
    """The entry point of `component`, read statically, and its problems.

    The code is read from the module folder, or from `code` (a checkout of the code repository,
    `--code`) when given. A module folder that holds no Python code at all keeps its code elsewhere
    (in the image, built from another repository): its entry point is not checked, and MLCC508 says
    so, unless `code` names where the code is.
    """
    entry = component.obj.spec.ml_service.inference.entry_point
    doc = component.doc
    if code is None and not holds_python(module.source.root):
        return None, [
            Diagnostic(
                "MLCC508",
                f"entry point '{entry.python_function}' is not checked: module folder '{module.source.root}' "
                "holds no Python code (it lives elsewhere, in the image)",
                doc.locate((*_ENTRY, "pythonFunction")),
                hint="the runtime checks it when the container starts (it exits with status 2, naming the function "
                "and the reason); to check it now, name a checkout of the code repository: "
                f"`mlcc lint --code DIR {module.source.root}` (pythonPath is then relative to DIR)",
            )
        ]
    root = module.source.root if code is None else code
    base = root / entry.python_path
    if not _inside(base, root) or not base.is_dir():
        where = f"module '{module.name}'" if code is None else f"the code in '{code}'"
        return None, [
            Diagnostic(
                "MLCC501",
                f"pythonPath '{entry.python_path}' is not a folder of {where}",
                doc.locate((*_ENTRY, "pythonPath")),
                hint="pythonPath is relative to the module folder, e.g. `.`"
                if code is None
                else f"with --code, pythonPath is relative to '{code}'",
            )
        ]
    *package, function = entry.python_function.split(".")
    file = _module_file(base, package)
    if file is None or not _inside(file, root):
        dotted = ".".join(package)
        return None, [
            Diagnostic(
                "MLCC502",
                f"module '{dotted}' is not found under {base}",
                doc.locate((*_ENTRY, "pythonFunction")),
                hint=f"expected {Path(*package)}.py or {Path(*package, '__init__.py')} in pythonPath",
            )
        ]
    return _check_function(file, function, doc.locate((*_ENTRY, "pythonFunction")), base)


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _module_file(base: Path, package: list[str]) -> Path | None:
    for candidate in (base.joinpath(*package).with_suffix(".py"), base.joinpath(*package, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


MAX_IMPORT_HOPS = 8  # re-exports followed from the named module to the `def`


def _check_function(
    file: Path, name: str, reference: Location, base: Path, hops: int = 0
) -> tuple[EntryPoint | None, list[Diagnostic]]:
    try:
        text = file.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(file))
    except SyntaxError as exc:
        return None, [
            Diagnostic(
                "MLCC506",
                f"syntax error in the entry-point module: {exc.msg}",
                Location(str(file), exc.lineno or 1, exc.offset or 1),
            )
        ]
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, [Diagnostic("MLCC502", f"cannot read {file}: {exc}", reference)]
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    node = functions.get(name)
    if node is None:
        binding = _binding(tree, name)
        if isinstance(binding, ast.ImportFrom) and hops < MAX_IMPORT_HOPS:
            # `from .impl import inference` in a package's __init__: follow it when
            # the source is in the module; a name from elsewhere cannot be checked.
            source = _imported_file(binding, file, base)
            if source is not None:
                original = next((a.name for a in binding.names if (a.asname or a.name) == name), name)
                return _check_function(source, original, reference, base, hops + 1)
        if binding is not None:
            return None, []  # bound by an import or an assignment: nothing to check statically
        return None, [
            Diagnostic(
                "MLCC503",
                f"{file} defines no top-level function '{name}'",
                reference,
                hint=did_you_mean(name, functions, "function"),
            )
        ]
    problems = list(_signature(file, node))
    contract, contract_problems = _contract(file, text, node)
    problems += contract_problems
    return EntryPoint(file, name, node.lineno, contract), problems


def _binding(tree: ast.Module, name: str) -> ast.stmt | None:
    """The last top-level statement other than `def` that binds `name` (a star import may)."""
    found = None
    for statement in tree.body:
        names = _bound_names(statement)
        if name in names or "*" in names:
            found = statement
    return found


def _bound_names(statement: ast.stmt) -> set[str]:
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {alias.asname or alias.name.split(".")[0] for alias in statement.names}
    if isinstance(statement, ast.ClassDef):
        return {statement.name}
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    else:
        return set()
    return {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}


def _imported_file(statement: ast.ImportFrom, file: Path, base: Path) -> Path | None:
    """The module file `from X import ...` reads, when it lies under pythonPath."""
    if not statement.module or statement.level > len(file.parents):
        return None
    folder = file.parents[statement.level - 1] if statement.level else base
    target = _module_file(folder, statement.module.split("."))
    return target if target is not None and _inside(target, base) else None


def _signature(file: Path, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[Diagnostic]:
    where = _def_location(file, node)
    if isinstance(node, ast.AsyncFunctionDef):
        yield Diagnostic(
            "MLCC504", f"'{node.name}' is async; the runtime calls a plain function", where,
            hint="write `def`, the runtime runs it on a worker thread",
        )
        return
    args = node.args
    positional = len(args.posonlyargs) + len(args.args)
    required = positional - len(args.defaults)
    required_keywords = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    fits = (positional >= 5 or args.vararg is not None) and required <= 5 and not required_keywords
    if not fits:
        yield Diagnostic(
            "MLCC504",
            f"'{node.name}' must accept the five arguments ({', '.join(ARGUMENTS)})",
            where,
            hint=f"def {node.name}(parameters, inputs, output_fields, model_key, model=None):",
        )


def _def_location(file: Path, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Location:
    """`def name` (or `async def name`) of the function, for the caret."""
    keyword = "async def " if isinstance(node, ast.AsyncFunctionDef) else "def "
    return Location(str(file), node.lineno, node.col_offset + 1, len(keyword + node.name))


def _contract(file: Path, text: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Contract, list[Diagnostic]]:
    docstring = ast.get_docstring(node, clean=False)
    if not docstring:
        where = _def_location(file, node)
        return Contract(), [
            Diagnostic(
                "MLCC507",
                f"'{node.name}' has no docstring, so its inputs and outputs are undeclared",
                where,
                hint="declare them with `:param inputs.NAME:` and `:type inputs.NAME: FP32` lines",
            )
        ]
    contract, problems, near_misses = read_contract(docstring)
    # With clean=False, docstring line N is file line first+N at the same column
    # (the first line starts after the opening quotes, with any r prefix).
    first = node.body[0]
    opening = _OPENING.match(text.splitlines()[first.lineno - 1][first.col_offset:])
    first_column = first.col_offset + (len(opening.group()) if opening else 3)

    def where(p: ContractProblem) -> Location:
        return Location(str(file), first.lineno + p.line, p.column + 1 + (first_column if p.line == 0 else 0), p.length)

    found = [Diagnostic("MLCC505", p.message, where(p)) for p in problems]
    found += [
        Diagnostic(
            "MLCC509",
            f"`{_text_at(docstring, p)}` declares nothing: contract lines read `:param inputs.NAME:` and "
            "`:type inputs.NAME:` (or `outputs.`)",
            where(p),
            hint=f"did you mean `{p.suggestion}`?",
        )
        for p in near_misses
    ]
    return contract, sorted(found, key=lambda d: (d.location.line, d.location.column))


def _text_at(docstring: str, p: ContractProblem) -> str:
    lines = docstring.split("\n")
    return lines[p.line][p.column : p.column + p.length] if p.line < len(lines) else ""
