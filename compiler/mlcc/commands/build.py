from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcc.commands.common import EXIT_OK, EXIT_PROBLEMS, add_overlays, add_paths, check


def register(commands) -> None:
    build = commands.add_parser("build", help="render modules to Kubernetes, Kustomize and Argo CD")
    add_paths(build)
    build.add_argument("-o", "--output", type=Path, default=Path("rendered"), help="output folder (default: rendered/)")
    build.add_argument("--env", action="append", default=None, metavar="NAME", help="render only these environments (repeatable)")
    add_overlays(build)
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 and list files when the output is stale")
    build.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.build import OutputError, render_tree, stale_files, write_tree
    from mlcc.diagnostics import has_errors
    from mlcc.formats.text import format_diagnostics
    from mlcc.progress import Progress

    environments, result = check(args)
    diagnostics = result.diagnostics
    if not has_errors(diagnostics):
        progress = Progress("rendering", len(result.modules) * len(environments))
        tree = render_tree(result.modules, environments, progress)
        progress.close()
        diagnostics = sorted(diagnostics + tree.diagnostics, key=lambda d: d.sort_key())
    if diagnostics:
        sys.stderr.write(format_diagnostics(diagnostics, len(result.modules)))
    if has_errors(diagnostics):
        print(f"mlcc: build failed; nothing under {args.output} was changed", file=sys.stderr)
        return EXIT_PROBLEMS
    names = [e.name for e in environments]
    every = not args.env  # a full build also clears the folders of environments that are gone
    if args.check:
        stale = stale_files(args.output, tree.files, names, prune=every)
        for rel in stale:
            print(f"{args.output / rel}: stale")
        if stale:
            print(f"mlcc: {len(stale)} file(s) under {args.output} are not current; run `mlcc build -o {args.output}`", file=sys.stderr)
        return EXIT_PROBLEMS if stale else EXIT_OK
    try:
        write_tree(args.output, tree.files, names, prune=every)
    except (OutputError, OSError) as exc:
        print(f"mlcc: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    modules = sum(1 for m in result.modules if m.resources)
    print(
        f"rendered {tree.objects} objects from {modules} module(s) for environment(s) "
        f"{', '.join(names)} into {args.output}/ ({len(tree.files)} files)"
    )
    return EXIT_OK
