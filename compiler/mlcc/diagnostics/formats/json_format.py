"""Machine-readable diagnostics: one JSON array, stable key order."""

from __future__ import annotations

import json
from collections.abc import Mapping

from mlcc.diagnostics import Diagnostic


def as_dict(d: Diagnostic) -> dict:
    loc = d.location
    return {
        "code": d.code,
        "severity": d.severity.value,
        "title": d.title,
        "message": d.message,
        "file": loc.file,
        "line": loc.line,
        "column": loc.column,
        "end_column": loc.column + loc.length if loc.line else 0,
        "hint": d.hint,
        "notes": list(d.notes),
    }


def format_diagnostics(diagnostics: list[Diagnostic], modules: int, sources: Mapping[str, str] | None = None) -> str:
    return json.dumps([as_dict(d) for d in diagnostics], indent=2) + "\n"
