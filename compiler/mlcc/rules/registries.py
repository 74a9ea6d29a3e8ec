"""packageRegistryName names a registry of every environment the module is built for."""

from __future__ import annotations

from collections.abc import Iterator

from mlcc.diagnostics import Diagnostic
from mlcc.diagnostics.suggest import did_you_mean
from mlcc.frontend.module import Module
from mlcc.rules.context import LintContext


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    for component in module.mlcomponents:
        name = component.obj.spec.ml_service.package_registry_name
        if name is None:
            continue
        for catalog in context.registries:
            if name not in catalog.names:
                yield Diagnostic(
                    "MLCC304",
                    f"packageRegistryName '{name}' is not a package registry of {catalog.origin}",
                    component.doc.locate(("spec", "mlService", "packageRegistryName")),
                    hint=did_you_mean(name, catalog.names, "registry"),
                )
