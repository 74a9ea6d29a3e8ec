"""SARIF 2.1.0 for code-scanning uploads (GitHub, GitLab)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from mlcc import __version__
from mlcc.diagnostics import CODES, Code, Diagnostic, Location

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def format_diagnostics(diagnostics: list[Diagnostic], modules: int, sources: Mapping[str, str] | None = None) -> str:
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
                        "rules": [_rule(CODES[code]) for code in codes],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, codes.index(d.code)) for d in diagnostics],
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _rule(code: Code) -> dict:
    """A reporting descriptor: the title, the whole explanation as description and help, the level."""
    explanation = code.explanation
    summary = explanation.split("\n\n", 2)[1] if explanation.count("\n\n") >= 2 else code.title
    return {
        "id": code.id,
        "name": _rule_name(code.title),
        "shortDescription": {"text": code.title},
        "fullDescription": {"text": summary.strip()},
        "help": {"text": explanation, "markdown": explanation},
        "defaultConfiguration": {"level": code.severity.value},
    }


def _rule_name(title: str) -> str:
    """'no example requests: warm-up is off' → NoExampleRequestsWarmUpIsOff (apiVersion → ApiVersion)."""
    words = re.sub(r"[^A-Za-z0-9]+", " ", title).split()
    return "".join(word[:1].upper() + word[1:] for word in words)


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
