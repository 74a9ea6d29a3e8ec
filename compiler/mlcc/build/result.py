"""What building one module produced: kept small, so cache hits need none of the compiler."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlcc.diagnostics import Diagnostic, Location, has_errors


@dataclass
class ModuleOutput:
    root: str  # the module folder, as discovered
    name: str
    namespace: str | None = None
    namespace_at: Location | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # "<env>/<namespace>" → {file name: text}, or None when the folder on disk is current (cache hit)
    folders: dict[str, dict[str, str] | None] = field(default_factory=dict)
    # env → (file name, YAML) of the module's Argo CD Application
    applications: dict[str, tuple[str, str]] = field(default_factory=dict)
    objects: int = 0

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics)
