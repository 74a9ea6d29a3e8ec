"""What several commands share: exit codes, the overlays option, checking modules with environments."""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """Bad arguments; `mlcc` prints the message and exits 2."""


def add_overlays(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--overlays", type=Path, default=None,
        help="environments folder (default: overlays/ if it exists, else the built-in environment)",
    )


def add_paths(command: argparse.ArgumentParser) -> None:
    command.add_argument("paths", nargs="*", type=Path, help="module folders, modules roots or files (default: modules/)")


def paths(args: argparse.Namespace) -> list[Path]:
    return args.paths or [Path("modules")]


def select_environments(args: argparse.Namespace):
    """The environments asked for (`--env`), their problems, and the lint context they imply."""
    from mlcc.environments import lint_context, load_environments

    environments, problems = load_environments(args.overlays)
    selected = getattr(args, "env", None)
    if selected:
        unknown = sorted(set(selected) - {e.name for e in environments})
        if unknown and not problems:
            known = ", ".join(e.name for e in environments)
            raise UsageError(f"unknown environment(s) {', '.join(unknown)}; known: {known}")
        environments = [e for e in environments if e.name in selected]
    context = lint_context(environments, check_entrypoints=not getattr(args, "no_entrypoint", False))
    return environments, problems, context


def check(args: argparse.Namespace):
    """Environments and modules, checked together: every problem of both in one list."""
    from mlcc.frontend import check_paths

    environments, problems, context = select_environments(args)
    result = check_paths(paths(args), context)
    result.diagnostics = problems + result.diagnostics
    return environments, result


def checked_modules(args: argparse.Namespace):
    """The checked modules, or None after printing their errors (the caller exits 1)."""
    import sys

    from mlcc.diagnostics import has_errors
    from mlcc.formats.text import format_diagnostics

    _, result = check(args)
    if has_errors(result.diagnostics):
        sys.stderr.write(format_diagnostics(result.diagnostics, len(result.modules)))
        return None
    return result.modules
