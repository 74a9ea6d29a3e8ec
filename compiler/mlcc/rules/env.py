"""Environment variables the runtime and its storage access depend on belong to mlcc."""

from __future__ import annotations

from collections.abc import Iterator

from mlcc.diagnostics import Diagnostic
from mlcc.frontend.module import Module
from mlcc.rules.context import LintContext

# The pod's env list is rendered mlcc's entries first; Kubernetes lets a later entry win, so a
# user entry with one of these names would silently break injection or storage access.
RESERVED_PREFIXES = ("MLCC_", "AWS_")
RESERVED_NAMES = frozenset({"PYTHONPATH", "PYTHONDONTWRITEBYTECODE"})


def is_reserved(name: str) -> bool:
    return name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES)


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    for component in module.mlcomponents:
        for i, var in enumerate(component.obj.spec.env):
            if is_reserved(var.name):
                yield Diagnostic(
                    "MLCC207",
                    f"env '{var.name}' is set by mlcc (runtime settings and storage credentials)",
                    component.doc.locate(("spec", "env", i, "name")),
                    hint="rename the variable; names starting MLCC_ or AWS_ and PYTHONPATH are reserved",
                )
