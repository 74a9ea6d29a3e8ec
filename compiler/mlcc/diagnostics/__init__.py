"""Diagnostics are data: a rule yields them, a formatter prints them. The lowest layer: it imports
nothing of mlcc, and every other layer may import it."""

from mlcc.diagnostics.codes import CODES, Code, Severity
from mlcc.diagnostics.diagnostic import Diagnostic, Location, count, has_errors, unique

__all__ = ["CODES", "Code", "Diagnostic", "Location", "Severity", "count", "has_errors", "unique"]
