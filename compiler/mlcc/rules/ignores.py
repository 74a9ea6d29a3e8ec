"""Warnings a module chooses to ignore, named in the annotation `IGNORE_ANNOTATION` of any of its
manifests (codes separated by spaces or commas). Only warnings can be ignored: an error means the
module would not deploy or run as written."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlcc.diagnostics import CODES, Diagnostic, Severity
from mlcc.diagnostics.suggest import did_you_mean
from mlcc.frontend.module import Module
from mlcc.rules.context import LintContext

IGNORE_ANNOTATION = "unified-platform.cs.hse.ru/mlcc-ignore"
_SEPARATOR = re.compile(r"[\s,]+")


def problem_with(code: str) -> str | None:
    """Why `code` cannot be ignored, or None when it can (shared with `--ignore`)."""
    if code not in CODES:
        return f"'{code}' is not an mlcc diagnostic code"
    if CODES[code].severity is Severity.ERROR:
        return f"{code} ({CODES[code].title}) is an error; only warnings can be ignored"
    return None


def ignored(module: Module) -> frozenset[str]:
    """The codes the module's manifests ask to ignore (valid ones only)."""
    return frozenset(code for code, _, _ in _listed(module) if problem_with(code) is None)


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    for code, resource, _ in _listed(module):
        problem = problem_with(code)
        if problem is not None:
            yield Diagnostic(
                "MLCC209",
                f"annotation {IGNORE_ANNOTATION}: {problem}",
                resource.doc.locate(("metadata", "annotations", IGNORE_ANNOTATION)),
                hint=did_you_mean(code, [c for c in CODES if problem_with(c) is None], "warning")
                if code not in CODES
                else "fix what the error reports instead",
            )


def _listed(module: Module):
    for resource in module.resources:
        text = resource.obj.metadata.annotations.get(IGNORE_ANNOTATION, "")
        for index, code in enumerate(c for c in _SEPARATOR.split(text.strip()) if c):
            yield code.upper(), resource, index
