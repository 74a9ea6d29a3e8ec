"""The `mlcc` command line. Exit codes: 0 clean, 1 problems found, 2 usage error, 3 internal error."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mlcc import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


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

    lint = commands.add_parser("lint", help="check modules or manifest files")
    lint.add_argument("paths", nargs="*", type=Path, help="module folders, modules roots or files (default: modules/)")
    _add_overlays(lint)
    lint.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    lint.add_argument("--output", "-o", type=Path, help="write the report to a file instead of stdout")
    lint.add_argument("--no-entrypoint", action="store_true", help="skip the static check of the Python entry point")
    lint.set_defaults(run=_lint)

    explain = commands.add_parser("explain", help="show a module's resolved components and inference contracts")
    explain.add_argument("paths", nargs="*", type=Path)
    _add_overlays(explain)
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.set_defaults(run=_explain)

    build = commands.add_parser("build", help="render modules to Kubernetes, Kustomize and Argo CD")
    build.add_argument("paths", nargs="*", type=Path, help="modules root or module folders (default: modules/)")
    build.add_argument("-o", "--output", type=Path, default=Path("rendered"), help="output folder (default: rendered/)")
    build.add_argument("--env", action="append", default=None, metavar="NAME", help="render only these environments (repeatable)")
    _add_overlays(build)
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 and list files when the output is stale")
    build.set_defaults(run=_build)

    schema = commands.add_parser("schema", help="write JSON Schemas and CRDs of the kinds")
    schema.add_argument("-o", "--output", type=Path, default=Path("schema"))
    schema.add_argument("--check", action="store_true", help="exit 1 if the files under -o are not current")
    schema.set_defaults(run=_schema)
    return parser


def _add_overlays(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--overlays", type=Path, default=None,
        help="environments folder (default: overlays/ if it exists, else the built-in environment)",
    )


def _paths(args: argparse.Namespace) -> list[Path]:
    return args.paths or [Path("modules")]


def _check(args: argparse.Namespace):
    """Environments and modules, checked together: every problem of both in one list."""
    from mlcc.environments import load_environments, registry_catalogs
    from mlcc.frontend import check_paths
    from mlcc.rules.context import LintContext

    environments, env_problems = load_environments(args.overlays)
    selected = getattr(args, "env", None)
    if selected:
        unknown = sorted(set(selected) - {e.name for e in environments})
        if unknown and not env_problems:
            known = ", ".join(e.name for e in environments)
            raise UsageError(f"unknown environment(s) {', '.join(unknown)}; known: {known}")
        environments = [e for e in environments if e.name in selected]
    context = LintContext(
        registries=registry_catalogs(environments),
        check_entrypoints=not getattr(args, "no_entrypoint", False),
    )
    result = check_paths(_paths(args), context)
    result.diagnostics = env_problems + result.diagnostics
    return environments, result


class UsageError(Exception):
    pass


def _lint(args: argparse.Namespace) -> int:
    from mlcc.diagnostics import has_errors
    from mlcc.formats import FORMATTERS

    _, result = _check(args)
    report = FORMATTERS[args.format](result.diagnostics, len(result.modules))
    if args.output:
        args.output.write_text(report)
    else:
        sys.stdout.write(report)
    return EXIT_PROBLEMS if has_errors(result.diagnostics) else EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from mlcc.diagnostics import has_errors
    from mlcc.explain import explain
    from mlcc.formats.text import format_diagnostics

    _, result = _check(args)
    if has_errors(result.diagnostics):
        sys.stderr.write(format_diagnostics(result.diagnostics, len(result.modules)))
        return EXIT_PROBLEMS
    sys.stdout.write(explain(result.modules, args.format))
    return EXIT_OK


def _build(args: argparse.Namespace) -> int:
    from mlcc.build import OutputError, render_tree, stale_files, write_tree
    from mlcc.diagnostics import has_errors
    from mlcc.formats.text import format_diagnostics

    environments, result = _check(args)
    diagnostics = result.diagnostics
    if not has_errors(diagnostics):
        tree = render_tree(result.modules, environments)
        diagnostics = sorted(diagnostics + tree.diagnostics, key=lambda d: d.sort_key())
    if diagnostics:
        sys.stderr.write(format_diagnostics(diagnostics, len(result.modules)))
    if has_errors(diagnostics):
        print(f"mlcc: build failed; nothing under {args.output} was changed", file=sys.stderr)
        return EXIT_PROBLEMS
    names = [e.name for e in environments]
    if args.check:
        stale = stale_files(args.output, tree.files, names)
        for rel in stale:
            print(f"{args.output / rel}: stale")
        if stale:
            print(f"mlcc: {len(stale)} file(s) under {args.output} are not current; run `mlcc build -o {args.output}`", file=sys.stderr)
        return EXIT_PROBLEMS if stale else EXIT_OK
    try:
        write_tree(args.output, tree.files, names)
    except (OutputError, OSError) as exc:
        print(f"mlcc: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    modules = sum(1 for m in result.modules if m.resources)
    print(
        f"rendered {tree.objects} objects from {modules} module(s) for environment(s) "
        f"{', '.join(names)} into {args.output}/ ({len(tree.files)} files)"
    )
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from mlcc import schema_gen

    if args.check:
        stale = schema_gen.stale(args.output)
        for rel in stale:
            print(f"{args.output / rel}: not current; run `mlcc schema -o {args.output}`")
        return EXIT_PROBLEMS if stale else EXIT_OK
    for path in schema_gen.write(args.output):
        print(f"wrote {path}")
    return EXIT_OK
