from __future__ import annotations

import argparse
import re
import sys

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, UsageError, add_overlays, add_paths, checked_modules

_CODE = re.compile(r"^MLCC\d{3}$", re.IGNORECASE)


def register(commands) -> None:
    explain = commands.add_parser(
        "explain",
        help="explain a diagnostic code (mlcc explain MLCC301), or show a module's resolved components and contracts",
    )
    add_paths(explain)
    add_overlays(explain)
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    codes = [str(p) for p in args.paths if _CODE.match(str(p))]
    if codes:
        if len(codes) != len(args.paths):
            raise UsageError("explain either diagnostic codes or modules, not both at once")
        return _explain_codes([c.upper() for c in codes], args.format)
    from mlcc.tools.explain import explain

    modules = checked_modules(args)
    if modules is None:
        return EXIT_PROBLEMS
    sys.stdout.write(explain(modules, args.format))
    return EXIT_OK


def _explain_codes(codes: list[str], form: str) -> int:
    import json

    from mlcc.diagnostics import CODES
    from mlcc.diagnostics.suggest import did_you_mean

    unknown = [c for c in codes if c not in CODES]
    if unknown:
        hint = did_you_mean(unknown[0], CODES, "code")
        raise UsageError(f"{unknown[0]} is not an mlcc diagnostic code" + (f"; {hint}" if hint else ""))
    if form == "json":
        entries = [
            {"code": c, "title": CODES[c].title, "severity": CODES[c].severity.value, "explanation": CODES[c].explanation}
            for c in codes
        ]
        sys.stdout.write(json.dumps(entries, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(f"{CODES[c].explanation.rstrip()}\n\nseverity: {CODES[c].severity.value}\n" for c in codes))
    return EXIT_OK
