"""The `mlcc` command line: argument parsing and printing only, one file per sub-command.

Each command module has `register(subparsers)`; its parser's `run` default is called with the
parsed arguments. Add a command by adding its module name to `COMMANDS`.
Exit codes: 0 clean, 1 problems found, 2 usage error, 3 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from mlcc import __version__
from mlcc.cli.common import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError

COMMANDS = ("lint", "explain", "build", "schema", "run", "model", "graph", "init", "diff", "apply")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"mlcc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug in mlcc, never the user's input
        if os.environ.get("MLCC_DEBUG"):
            raise
        print(
            f"mlcc: internal error: {type(exc).__name__}: {exc}\n"
            "  = help: this is a bug in mlcc; rerun with MLCC_DEBUG=1 for the traceback and report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlcc", description="GitOps compiler for ML modules.")
    parser.add_argument("--version", action="version", version=f"mlcc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"mlcc.cli.{name}").register(commands)
    return parser
