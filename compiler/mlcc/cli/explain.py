from __future__ import annotations

import argparse
import sys

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, add_overlays, add_paths, checked_modules


def register(commands) -> None:
    explain = commands.add_parser("explain", help="show a module's resolved components and inference contracts")
    add_paths(explain)
    add_overlays(explain)
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.tools.explain import explain

    modules = checked_modules(args)
    if modules is None:
        return EXIT_PROBLEMS
    sys.stdout.write(explain(modules, args.format))
    return EXIT_OK
