"""The checked module: typed manifests grouped by kind, ready for rules and emitters."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlcc.diagnostics import Diagnostic
from mlcc.frontend.loader import ModuleSource, load
from mlcc.frontend.manifests import Passthrough, Resource, classify
from mlcc.model import APIComponent, DataBox, MLComponent


@dataclass
class Module:
    source: ModuleSource
    databoxes: list[Resource[DataBox]] = field(default_factory=list)
    mlcomponents: list[Resource[MLComponent]] = field(default_factory=list)
    apicomponents: list[Resource[APIComponent]] = field(default_factory=list)
    passthrough: list[Passthrough] = field(default_factory=list)
    # Names of manifests that failed validation: references to them are not
    # reported again as "unknown" (one mistake, one diagnostic).
    broken: set[tuple[str, str]] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def resources(self) -> list[Resource]:
        return [*self.databoxes, *self.mlcomponents, *self.apicomponents]

    @property
    def namespace(self) -> str | None:
        """The namespace of the module's first manifest (rules check the others agree)."""
        for resource in self.resources:
            return resource.obj.metadata.namespace
        return None

    def add(self, item: Resource | Passthrough) -> None:
        if isinstance(item, Passthrough):
            self.passthrough.append(item)
        elif isinstance(item.obj, DataBox):
            self.databoxes.append(item)
        elif isinstance(item.obj, MLComponent):
            self.mlcomponents.append(item)
        else:
            self.apicomponents.append(item)

    def declared(self, kind: str) -> set[str]:
        """Names of `kind` written in the module, valid or not."""
        valid = {r.name for r in self.resources if r.obj.kind == kind}
        return valid | {name for k, name in self.broken if k == kind}

    def databox(self, name: str) -> Resource[DataBox] | None:
        return next((r for r in self.databoxes if r.name == name), None)

    def mlcomponent(self, name: str) -> Resource[MLComponent] | None:
        return next((r for r in self.mlcomponents if r.name == name), None)


def load_module(source: ModuleSource) -> tuple[Module, list[Diagnostic]]:
    """Parse every file of the module and type every manifest; the rules run later, on the result."""
    diagnostics = load(source)
    module = Module(source)
    for doc in source.documents:
        item, problems = classify(doc)
        diagnostics.extend(problems)
        if item is not None:
            module.add(item)
        elif isinstance(doc.kind, str) and isinstance(doc.name, str):
            module.broken.add((doc.kind, doc.name))
    return module, diagnostics
