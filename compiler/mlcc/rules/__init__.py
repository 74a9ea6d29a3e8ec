"""Cross-manifest rules. Each rule is a plain function `check(module, context)`
yielding diagnostics; the order here is the order users read them in."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mlcc.diagnostics import Diagnostic, Severity
from mlcc.frontend.module import Module
from mlcc.rules import apis, boxes, entrypoint, env, examples, ignores, names, paths, registries, scaling
from mlcc.rules.context import LintContext

Rule = Callable[[Module, LintContext], Iterable[Diagnostic]]

RULES: tuple[Rule, ...] = (
    names.check,
    boxes.check,
    paths.check,
    env.check,
    apis.check,
    registries.check,
    scaling.check,
    entrypoint.check,
    examples.check,
    ignores.check,
)


# Rules that report what no manifest of the module defines (a DataBox, an MLComponent, an API for
# them). When a manifest file did not parse, what it defines is unknown, and those reports would be
# false ("no MLComponent is defined" when its file has a wrong indentation): one mistake, one
# diagnostic. Only these are skipped, not the whole module: the rules that judge each manifest on
# its own (names, paths, env, the entry point) still report the parsed files' real problems, and the
# skipped ones run again once the file parses.
NEED_EVERY_FILE: tuple[Rule, ...] = (boxes.check, apis.check)


def run(module: Module, context: LintContext) -> list[Diagnostic]:
    rules = [r for r in RULES if r not in NEED_EVERY_FILE] if module.source.unread else RULES
    return [d for rule in rules for d in rule(module, context)]


def without_ignored(diagnostics: list[Diagnostic], codes: frozenset[str]) -> list[Diagnostic]:
    """The diagnostics, less the warnings (and notes) of `codes`; errors always stay."""
    return [d for d in diagnostics if d.code not in codes or d.severity is Severity.ERROR]
