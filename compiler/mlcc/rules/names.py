"""One namespace per module; names unique per kind."""

from __future__ import annotations

from collections.abc import Iterator

from mlcc.diagnostics import Diagnostic
from mlcc.manifests import Passthrough
from mlcc.module import Module
from mlcc.rules.context import LintContext


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    yield from _one_namespace(module)
    for group in (module.databoxes, module.mlcomponents, module.apicomponents, module.passthrough):
        yield from _unique(group)


def _one_namespace(module: Module) -> Iterator[Diagnostic]:
    if not module.resources:
        return
    first, expected = module.resources[0], module.namespace
    for item in [*module.resources, *module.passthrough]:
        namespace = item.doc.get("metadata", "namespace")
        if namespace is None and isinstance(item, Passthrough):
            continue  # foreign objects may leave it to the renderer
        if namespace != expected:
            yield Diagnostic(
                "MLCC306",
                f"{item.doc.kind} '{item.name}' is in namespace '{namespace}', "
                f"but module '{module.name}' uses '{expected}'",
                item.doc.locate(("metadata", "namespace")),
                hint=f"one module is one namespace: set `namespace: {expected}`",
                related=(first.doc.locate(("metadata", "namespace")),),
            )


def _unique(items: list) -> Iterator[Diagnostic]:
    seen: dict[str, object] = {}
    for item in items:
        first = seen.setdefault(item.name, item)
        if first is not item:
            where = first.doc.locate(("metadata", "name"))  # type: ignore[attr-defined]
            yield Diagnostic(
                "MLCC305",
                f"{item.doc.kind} '{item.name}' is defined twice (first at {where.file}:{where.line})",
                item.doc.locate(("metadata", "name")),
                hint="rename one of them",
                related=(where,),
            )
