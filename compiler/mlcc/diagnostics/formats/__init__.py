"""Diagnostic formatters: each turns a list of diagnostics into one string."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mlcc.diagnostics import Diagnostic
from mlcc.diagnostics.formats import json_format, sarif, text

# (diagnostics, modules checked, texts already read: file → text) → the report
Formatter = Callable[[list[Diagnostic], int, Mapping[str, str] | None], str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.format_diagnostics,
    "json": json_format.format_diagnostics,
    "sarif": sarif.format_diagnostics,
}
