"""SARIF 2.1.0 for code-scanning uploads (GitHub, GitLab)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from mlcc import __version__
from mlcc.diagnostics.diagnostic import CODES, Diagnostic, Location

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def format_diagnostics(diagnostics: list[Diagnostic], modules: int) -> str:
    codes = sorted(CODES)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlcc",
                        "version": __version__,
                        "informationUri": "https://github.com/mlcc/mlcc",
                        "rules": [
                            {"id": code, "name": _rule_name(CODES[code]), "shortDescription": {"text": CODES[code]}}
                            for code in codes
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, codes.index(d.code)) for d in diagnostics],
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _rule_name(title: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in title.replace("-", " ").split())  # apiVersion → ApiVersion


def _uri(file: str) -> str:
    """A URI reference: relative paths stay relative (code scanning wants repo paths)."""
    path = Path(file)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _location(loc: Location) -> dict:
    physical: dict = {"artifactLocation": {"uri": _uri(loc.file)}}
    if loc.line:
        physical["region"] = {
            "startLine": loc.line,
            "startColumn": max(loc.column, 1),
            "endColumn": max(loc.column, 1) + max(loc.length, 1),
        }
    return {"physicalLocation": physical}


def _result(d: Diagnostic, index: int) -> dict:
    text = "\n".join([d.message, *d.notes]) + (f" (help: {d.hint})" if d.hint else "")
    result = {
        "ruleId": d.code,
        "ruleIndex": index,
        "level": d.severity.value,
        "message": {"text": text},
        "locations": [_location(d.location)],
    }
    if d.related:
        result["relatedLocations"] = [{"id": i, **_location(loc)} for i, loc in enumerate(d.related)]
    return result
