"""One namespace per module, not one mlcc needs; names unique per kind and valid where they end up."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlcc.diagnostics import Diagnostic
from mlcc.frontend.manifests import Passthrough
from mlcc.frontend.module import Module
from mlcc.rules.context import LintContext

# `<env>/argocd` holds the Applications; a module there would also share Argo CD's own namespace.
RESERVED_NAMESPACES = frozenset({"argocd", "default", "kube-system", "kube-public", "kube-node-lease"})
# An MLComponent names its Service, and Service names are DNS-1035 labels: a letter first.
_LETTER_FIRST = re.compile(r"^[a-z]")


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    yield from _one_namespace(module)
    yield from _reserved_namespace(module)
    yield from _service_names(module)
    for group in (module.databoxes, module.mlcomponents, module.apicomponents, module.passthrough):
        yield from _unique(group)


def _reserved_namespace(module: Module) -> Iterator[Diagnostic]:
    if module.resources and module.namespace in RESERVED_NAMESPACES:
        yield Diagnostic(
            "MLCC206",
            f"namespace '{module.namespace}' is reserved (Kubernetes or Argo CD uses it)",
            module.resources[0].doc.locate(("metadata", "namespace")),
            hint="give the module a namespace of its own, e.g. `pu-<owner>-pa-<module>`",
        )


def _service_names(module: Module) -> Iterator[Diagnostic]:
    for component in module.mlcomponents:
        if not _LETTER_FIRST.match(component.name):
            yield Diagnostic(
                "MLCC205",
                f"MLComponent name '{component.name}' must start with a letter: it names a Kubernetes Service",
                component.doc.locate(("metadata", "name")),
                hint=f"e.g. `m{component.name}`",
            )


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
