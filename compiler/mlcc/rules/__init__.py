"""Cross-manifest rules. Each rule is a plain function `check(module, context)`
yielding diagnostics; the order here is the order users read them in."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mlcc.diagnostics import Diagnostic, Severity
from mlcc.frontend.module import Module
from mlcc.rules import apis, boxes, entrypoint, env, ignores, names, paths, registries
from mlcc.rules.context import LintContext

Rule = Callable[[Module, LintContext], Iterable[Diagnostic]]

RULES: tuple[Rule, ...] = (
    names.check,
    boxes.check,
    paths.check,
    env.check,
    apis.check,
    registries.check,
    entrypoint.check,
    ignores.check,
)


def run(module: Module, context: LintContext) -> list[Diagnostic]:
    return [d for rule in RULES for d in rule(module, context)]


def without_ignored(diagnostics: list[Diagnostic], codes: frozenset[str]) -> list[Diagnostic]:
    """The diagnostics, less the warnings (and notes) of `codes`; errors always stay."""
    return [d for d in diagnostics if d.code not in codes or d.severity is Severity.ERROR]
