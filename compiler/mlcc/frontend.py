"""From paths on disk to checked modules: discover → parse → type → resolve."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlcc import loader
from mlcc.diagnostics import Diagnostic
from mlcc.manifests import classify
from mlcc.module import Module
from mlcc.rules import run as run_rules
from mlcc.rules.context import LintContext


@dataclass
class CheckResult:
    modules: list[Module]
    diagnostics: list[Diagnostic]


def check_paths(paths: list[Path], context: LintContext) -> CheckResult:
    sources, diagnostics = loader.discover(paths)
    modules = []
    for source in sources:
        module, problems = check_module(source, context)
        modules.append(module)
        diagnostics.extend(problems)
    diagnostics.sort(key=Diagnostic.sort_key)
    return CheckResult(modules, unique(diagnostics))


def check_module(source: loader.ModuleSource, context: LintContext) -> tuple[Module, list[Diagnostic]]:
    diagnostics = loader.load(source)
    module = Module(source)
    for doc in source.documents:
        item, problems = classify(doc)
        diagnostics.extend(problems)
        if item is not None:
            module.add(item)
        elif isinstance(doc.kind, str) and isinstance(doc.name, str):
            module.broken.add((doc.kind, doc.name))
    diagnostics.extend(run_rules(module, context))
    return module, diagnostics


def unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted diagnostics without repeats (two rules may see the same mistake)."""
    return [d for i, d in enumerate(diagnostics) if i == 0 or d.sort_key() != diagnostics[i - 1].sort_key()]
