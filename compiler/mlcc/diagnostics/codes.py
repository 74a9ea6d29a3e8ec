"""Every diagnostic code mlcc reports, declared once as data (after mypy's `errorcodes.py`).

A code is stable: users grep for it, ignore it, and SARIF uploads key on it. Each declares its
title, its default severity, the modules that emit it, and a long explanation with a failing and a
fixed example (`data/explanations/<CODE>.md`, read only when asked for). One code, one meaning: a
check that means something else gets a code of its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Code:
    id: str
    title: str
    severity: Severity
    # The modules (under mlcc.) whose checks report this code.
    emitted_by: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return _explanation(self.id)


@cache
def _explanation(code: str) -> str:
    from importlib import resources  # ~15 ms to import: only a report that shows explanations pays

    return resources.files("mlcc").joinpath(f"data/explanations/{code}.md").read_text(encoding="utf-8")


E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

_DECLARED = (
    # 1xx: reading files
    Code("MLCC101", "YAML syntax error", E, ("frontend.loader",)),
    Code("MLCC102", "duplicate key", E, ("frontend.loader",)),
    Code("MLCC103", "document is not a manifest", E, ("frontend.manifests",)),
    Code("MLCC104", "unknown apiVersion or kind", E, ("frontend.manifests",)),
    Code("MLCC105", "file cannot be read", E, ("frontend.loader",)),
    Code("MLCC106", "module holds no manifests", E, ("frontend.loader",)),
    Code("MLCC107", "link to outside its folder", E, ("frontend.loader",)),
    # 2xx: the shape of one manifest
    Code("MLCC201", "unknown field", E, ("frontend.manifests",)),
    Code("MLCC202", "missing required field", E, ("frontend.manifests",)),
    Code("MLCC203", "invalid value", E, ("frontend.manifests",)),
    Code("MLCC204", "invalid Kubernetes quantity", E, ("frontend.manifests",)),
    Code("MLCC205", "invalid name", E, ("frontend.manifests", "rules.names")),
    Code("MLCC206", "reserved namespace", E, ("rules.names",)),
    Code("MLCC207", "environment variable reserved by mlcc", E, ("rules.env",)),
    Code("MLCC208", "carried object fails its schema", E, ("frontend.manifests",)),
    Code("MLCC209", "invalid ignore list", E, ("rules.ignores",)),
    Code("MLCC210", "invalid examples file", E, ("rules.examples",)),
    # 3xx: references between manifests
    Code("MLCC301", "unknown DataBox", E, ("rules.boxes", "rules.apis")),
    Code("MLCC302", "unknown connected box", E, ("rules.boxes",)),
    Code("MLCC303", "unknown MLComponent", E, ("rules.apis",)),
    Code("MLCC304", "unknown package registry", E, ("rules.registries",)),
    Code("MLCC305", "duplicate name", E, ("rules.names", "rules.boxes", "rules.apis")),
    Code("MLCC306", "namespace mismatch", E, ("rules.names",)),
    Code("MLCC307", "duplicate API path", E, ("rules.apis",)),
    Code("MLCC308", "model path outside its box", E, ("rules.paths",)),
    Code("MLCC309", "inference files path collides with a box mount", E, ("rules.paths",)),
    Code("MLCC310", "overlapping mount paths", E, ("rules.paths",)),
    Code("MLCC311", "box used in the wrong role", E, ("rules.boxes",)),
    Code("MLCC312", "namespace used by two modules", E, ("build.tree",)),
    Code("MLCC313", "mount hides a folder mlcc owns", E, ("rules.paths",)),
    # 4xx: security
    Code("MLCC401", "plaintext Secret in Git", E, ("frontend.manifests",)),
    Code("MLCC402", "plain Secret in a module", E, ("frontend.manifests",)),
    # 5xx: the developer's entry point
    Code("MLCC501", "python path not found", E, ("rules.entrypoint",)),
    Code("MLCC502", "entry-point module not found", E, ("rules.entrypoint",)),
    Code("MLCC503", "inference function not found", E, ("rules.entrypoint",)),
    Code("MLCC504", "inference function has the wrong signature", E, ("rules.entrypoint",)),
    Code("MLCC505", "docstring contract does not parse", E, ("rules.entrypoint",)),
    Code("MLCC506", "entry-point module has a syntax error", E, ("rules.entrypoint",)),
    Code("MLCC507", "inference function has no docstring", W, ("rules.entrypoint",)),
    Code("MLCC508", "entry point not checked because the code lives elsewhere", W, ("rules.entrypoint",)),
    Code("MLCC509", "docstring line that nearly declares an input or output", W, ("rules.entrypoint",)),
    # 6xx: platform conventions
    Code("MLCC601", "MLComponent is not published", W, ("rules.apis",)),
    Code("MLCC602", "no DataBox file API", W, ("rules.apis",)),
    Code("MLCC603", "file API and file exchange see different parts of a box", W, ("rules.apis",)),
    Code("MLCC604", "no example requests: warm-up is off", W, ("rules.examples",)),
    # 7xx: environments
    Code("MLCC701", "invalid environment", E, ("frontend.environments",)),
    Code("MLCC702", "module cannot be rendered for this environment", E, ("render.module",)),
    Code("MLCC703", "Secret that nothing creates", W, ("render.secrets",)),
    Code("MLCC704", "storage key shared by every module", W, ("frontend.environments",)),
    Code("MLCC705", "scale to zero the environment cannot do", E, ("rules.scaling",)),
    Code("MLCC706", "GPU asked of an environment without GPU nodes", E, ("rules.scaling",)),
    Code("MLCC707", "scaling in an environment without an autoscaler", W, ("rules.scaling",)),
    # 8xx: what a real cluster says (mlcc apply --dry-run=server)
    Code("MLCC801", "API server rejects the object", E, ("tools.dry_run",)),
    Code("MLCC802", "object not checked by the API server", N, ("tools.dry_run",)),
    # 9xx: mlcc's own output failed its checks (a bug in mlcc)
    Code("MLCC901", "rendered object is invalid", E, ("k8s.verify",)),
)

CODES: dict[str, Code] = {code.id: code for code in _DECLARED}
