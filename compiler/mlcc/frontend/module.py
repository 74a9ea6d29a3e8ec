"""The checked module: typed manifests grouped by kind, ready for rules and emitters."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
    # Files the manifests name (examples), read once: path relative to the module → text.
    attached: dict[str, str] = field(default_factory=dict)

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
    for component in module.mlcomponents:
        name = component.obj.spec.ml_service.inference.examples
        if name is not None and (text := read_attached(source.root, name)) is not None:
            module.attached[name] = text
    return module, diagnostics


# An attached file travels in a ConfigMap, which Kubernetes caps at 1 MiB with everything else.
MAX_ATTACHED_BYTES = 512 * 1024


def read_attached(root: Path, name: str) -> str | None:
    """The text of a file a manifest names, relative to the module folder: None when it is outside
    the folder, missing, too large or not UTF-8 (the rules say which)."""
    path = root / name
    try:
        if not path.resolve().is_relative_to(root.resolve()) or not path.is_file():
            return None
        if path.stat().st_size > MAX_ATTACHED_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
