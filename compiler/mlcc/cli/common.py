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


def add_ignore(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--ignore", action="append", default=[], metavar="CODE",
        help="do not report this warning code (repeatable, or comma-separated); errors cannot be ignored",
    )


def ignored_codes(args: argparse.Namespace) -> frozenset[str]:
    """The `--ignore` codes, each a warning mlcc declares (else a usage error)."""
    from mlcc.rules.ignores import problem_with

    codes = frozenset(code.strip().upper() for given in getattr(args, "ignore", []) for code in given.split(",") if code.strip())
    for code in sorted(codes):
        problem = problem_with(code)
        if problem is not None:
            raise UsageError(f"--ignore {code}: {problem}")
    return codes


def add_code(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--code", type=Path, default=None, metavar="DIR",
        help="a checkout of the code repository: entry points are checked there (pythonPath relative to DIR), "
        "not in the module folder",
    )


def code_folder(args: argparse.Namespace) -> Path | None:
    """`--code DIR`, which must be a folder (else a usage error)."""
    code = getattr(args, "code", None)
    if code is not None and not code.is_dir():
        raise UsageError(f"--code {code}: not a folder (name a checkout of the code repository)")
    return code


def add_paths(command: argparse.ArgumentParser) -> None:
    command.add_argument("paths", nargs="*", type=Path, help="module folders, modules roots or files (default: modules/)")


def paths(args: argparse.Namespace) -> list[Path]:
    return args.paths or [Path("modules")]


def select_environments(args: argparse.Namespace, names: list[str] | None = None, first: bool = False):
    """The environments asked for (`names`, else `--env`) of the overlays in use, their problems and
    lint context; with `first`, only the first of them."""
    from mlcc.build.pipeline import PipelineError
    from mlcc.build.pipeline import select_environments as select
    from mlcc.frontend.environments import overlays_dir

    try:
        return select(
            overlays_dir(args.overlays),
            names if names is not None else getattr(args, "env", None),
            check_entrypoints=not getattr(args, "no_entrypoint", False),
            first=first,
            ignore=ignored_codes(args),
            code=code_folder(args),
        )
    except PipelineError as exc:
        raise UsageError(str(exc)) from None


def check(args: argparse.Namespace, render_too: bool = False):
    """Environments and modules, checked together: every problem of both in one list (with
    `render_too`, also what rendering for each environment finds, as `mlcc build` would)."""
    from mlcc.build.pipeline import check as check_paths

    environments = select_environments(args)
    return environments, check_paths(paths(args), environments, render_too)


def checked_modules(args: argparse.Namespace):
    """The checked modules, or None after printing their errors (the caller exits 1)."""
    import sys

    from mlcc.diagnostics import has_errors
    from mlcc.diagnostics.formats.text import format_diagnostics

    _, result = check(args)
    if has_errors(result.diagnostics):
        sys.stderr.write(format_diagnostics(result.diagnostics, len(result.modules), result.sources))
        return None
    return result.modules
