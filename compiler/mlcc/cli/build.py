from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, add_code, add_ignore, add_overlays, add_paths, paths, select_environments


def register(commands) -> None:
    build = commands.add_parser("build", help="render modules to Kubernetes, Kustomize and Argo CD")
    add_paths(build)
    build.add_argument("-o", "--output", type=Path, default=Path("rendered"), help="output folder (default: rendered/)")
    build.add_argument("--env", action="append", default=None, metavar="NAME", help="render only these environments (repeatable)")
    add_overlays(build)
    add_ignore(build)
    add_code(build)
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 and list files when the output is stale")
    build.add_argument("--no-cache", action="store_true", help="rebuild every module (default: skip unchanged ones)")
    build.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: one per CPU)")
    build.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.build.cache import BuildCache
    from mlcc.build.tree import build, record
    from mlcc.build.writer import OutputError, stale_files, write_tree
    from mlcc.cli.progress import Progress
    from mlcc.diagnostics import has_errors
    from mlcc.diagnostics.formats.text import format_diagnostics

    environments = select_environments(args)
    # The cache knows the module folders, not a code checkout elsewhere: with --code, build all.
    cache = None if args.no_cache or args.code else BuildCache.load(args.output, environments.selected)
    progress = Progress("building modules", 0)
    result = build(paths(args), environments, cache, args.jobs, progress.update, prune=not args.env)
    progress.close()
    diagnostics = result.diagnostics
    if diagnostics:
        sys.stderr.write(format_diagnostics(diagnostics, len(result.outputs)))
    if has_errors(diagnostics):
        print(f"mlcc: build failed; nothing under {args.output} was changed", file=sys.stderr)
        return EXIT_PROBLEMS
    others = _others_removed(args, result)
    if others:
        print(
            f"mlcc: error: {args.output} also holds {', '.join(others)}, which this build of some modules does not "
            "produce; writing would remove them and their Argo CD Applications\n"
            f"  = help: build every module (`mlcc build modules/ -o {args.output}`), or write these into another folder",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    if args.check:
        stale = stale_files(args.output, result.plan)
        for rel in stale:
            print(f"{args.output / rel}: stale")
        if stale:
            print(f"mlcc: {len(stale)} file(s) under {args.output} are not current; run `mlcc build -o {args.output}`", file=sys.stderr)
        return EXIT_PROBLEMS if stale else EXIT_OK
    try:
        write_tree(args.output, result.plan)
    except (OutputError, OSError) as exc:
        print(f"mlcc: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if cache is not None:
        record(cache, result)
    modules = sum(1 for o in result.outputs if o.folders)
    print(
        f"rendered {result.objects} objects from {modules} module(s) for environment(s) "
        f"{', '.join(result.plan.environments)} into {args.output}/ "
        f"({result.rebuilt} rebuilt, {len(result.outputs) - result.rebuilt} unchanged)"
    )
    return EXIT_OK


def _others_removed(args: argparse.Namespace, result) -> list[str]:
    """What a build of named modules (not whole modules roots) would delete of other modules' output.

    The built modules' own old folders (a namespace renamed) may go: their source maps name them.
    """
    from mlcc.build.writer import built_from
    from mlcc.frontend.loader import is_modules_root

    if all(is_modules_root(path) for path in paths(args)):
        return []  # every module is here: what is gone was deleted, and its output goes too
    roots = [Path(output.root) for output in result.outputs]
    return [rel for rel in result.plan.removed(args.output) if not built_from(args.output / rel, roots)]
