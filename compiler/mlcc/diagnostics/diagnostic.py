"""Diagnostics are data: a rule yields them, a formatter prints them.

Codes are stable (users grep for them, SARIF uploads key on them), so each one is
declared once in `CODES` with a short title; messages carry the specifics.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based position in a source file; `length` is how many columns to underline."""

    file: str
    line: int = 0
    column: int = 0
    length: int = 1

    @classmethod
    def of_file(cls, path: Path | str) -> "Location":
        return cls(str(path))


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    location: Location
    severity: Severity = Severity.ERROR
    hint: str | None = None
    related: tuple[Location, ...] = field(default=())
    # Further facts, one line each (e.g. the fields an API server named).
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"undeclared diagnostic code {self.code}")

    @property
    def title(self) -> str:
        return CODES[self.code]

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)


CODES: dict[str, str] = {
    # 1xx: reading files
    "MLCC101": "YAML syntax error",
    "MLCC102": "duplicate key",
    "MLCC103": "document is not a manifest",
    "MLCC104": "unknown apiVersion or kind",
    "MLCC105": "file cannot be read",
    "MLCC106": "module holds no manifests",
    # 2xx: the shape of one manifest
    "MLCC201": "unknown field",
    "MLCC202": "missing required field",
    "MLCC203": "invalid value",
    "MLCC204": "invalid Kubernetes quantity",
    "MLCC205": "invalid name",
    # 3xx: references between manifests
    "MLCC301": "unknown DataBox",
    "MLCC302": "unknown connected box",
    "MLCC303": "unknown MLComponent",
    "MLCC304": "unknown package registry",
    "MLCC305": "duplicate name",
    "MLCC306": "namespace mismatch",
    "MLCC307": "duplicate API path",
    "MLCC308": "model path outside its box",
    "MLCC309": "inference files path collides with a box mount",
    "MLCC310": "overlapping mount paths",
    "MLCC311": "box used in the wrong role",
    # 4xx: security
    "MLCC401": "plaintext Secret in Git",
    # 5xx: the developer's entry point
    "MLCC501": "python path not found",
    "MLCC502": "entry-point module not found",
    "MLCC503": "inference function not found",
    "MLCC504": "inference function has the wrong signature",
    "MLCC505": "docstring contract does not parse",
    "MLCC506": "entry-point module has a syntax error",
    # 6xx: platform conventions (warnings)
    "MLCC601": "MLComponent is not published",
    "MLCC602": "no DataBox file API",
    "MLCC603": "file API and file exchange see different parts of a box",
    # 7xx: environments
    "MLCC701": "invalid environment",
    "MLCC702": "module cannot be rendered for this environment",
    # 8xx: what a real cluster says (mlcc apply --dry-run=server)
    "MLCC801": "API server rejects the object",
    "MLCC802": "object not checked by the API server",
    # 9xx: mlcc's own output failed its checks (a bug in mlcc)
    "MLCC901": "rendered object is invalid",
}


def count(diagnostics: list[Diagnostic], severity: Severity) -> int:
    return sum(1 for d in diagnostics if d.severity is severity)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted diagnostics without repeats (two rules may see the same mistake)."""
    return [d for i, d in enumerate(diagnostics) if i == 0 or d.sort_key() != diagnostics[i - 1].sort_key()]
