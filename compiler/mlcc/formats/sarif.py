"""SARIF 2.1.0 for code-scanning uploads (GitHub, GitLab)."""

from __future__ import annotations

import json
from pathlib import Path

from mlcc import __version__
from mlcc.diagnostics import CODES, Diagnostic

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
    return "".join(word.capitalize() for word in title.replace("-", " ").split())


def _result(d: Diagnostic, index: int) -> dict:
    loc = d.location
    physical: dict = {"artifactLocation": {"uri": Path(loc.file).as_posix()}}
    if loc.line:
        physical["region"] = {
            "startLine": loc.line,
            "startColumn": loc.column,
            "endColumn": loc.column + loc.length,
        }
    text = d.message + (f" (help: {d.hint})" if d.hint else "")
    return {
        "ruleId": d.code,
        "ruleIndex": index,
        "level": d.severity.value,
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
    }
