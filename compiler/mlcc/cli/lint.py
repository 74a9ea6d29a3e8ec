from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, add_code, add_ignore, add_overlays, add_paths, check


def register(commands) -> None:
    lint = commands.add_parser("lint", help="check modules or manifest files")
    add_paths(lint)
    add_overlays(lint)
    add_ignore(lint)
    lint.add_argument("--env", action="append", default=None, metavar="NAME", help="check only for these environments (repeatable)")
    lint.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    lint.add_argument("--output", "-o", type=Path, help="write the report to a file instead of stdout")
    lint.add_argument("--no-entrypoint", action="store_true", help="skip the static check of the Python entry point")
    add_code(lint)
    lint.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.diagnostics import has_errors
    from mlcc.diagnostics.formats import FORMATTERS

    _, result = check(args, render_too=True)
    report = FORMATTERS[args.format](result.diagnostics, len(result.modules), result.sources)
    if args.output:
        args.output.write_text(report)
    else:
        sys.stdout.write(report)
    return EXIT_PROBLEMS if has_errors(result.diagnostics) else EXIT_OK
