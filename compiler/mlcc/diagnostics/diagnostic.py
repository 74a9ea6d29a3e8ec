"""A diagnostic: a declared code (`codes.CODES`), a message with the specifics, a place, a hint.

Its severity is the code's unless a caller has a reason to say otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlcc.diagnostics.codes import CODES, Code, Severity


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
    severity: Severity = None  # type: ignore[assignment]  # None: the code's default
    hint: str | None = None
    related: tuple[Location, ...] = field(default=())
    # Further facts, one line each (e.g. the fields an API server named).
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"undeclared diagnostic code {self.code}")
        if self.severity is None:
            object.__setattr__(self, "severity", CODES[self.code].severity)

    @property
    def declared(self) -> Code:
        return CODES[self.code]

    @property
    def title(self) -> str:
        return CODES[self.code].title

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)


def count(diagnostics: list[Diagnostic], severity: Severity) -> int:
    return sum(1 for d in diagnostics if d.severity is severity)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted diagnostics without repeats (two rules may see the same mistake)."""
    return [d for i, d in enumerate(diagnostics) if i == 0 or d.sort_key() != diagnostics[i - 1].sort_key()]
