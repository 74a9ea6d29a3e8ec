from __future__ import annotations

import argparse
import sys

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, UsageError, add_overlays, add_paths, paths


def register(commands) -> None:
    diff = commands.add_parser(
        "diff",
        help="what a change does to the rendered objects: added/removed/changed, restarts, destructive changes",
        description=(
            "Render a Git revision (default HEAD) and the working tree and compare them per environment, "
            "module and object. Exit 0 whatever the changes; 1 when a side does not build; 2 on usage errors."
        ),
    )
    add_paths(diff)
    diff.add_argument("--base", default="HEAD", metavar="GIT_REF", help="revision to compare against (default: HEAD)")
    diff.add_argument("--env", action="append", default=None, metavar="NAME", help="compare only these environments (repeatable)")
    add_overlays(diff)
    diff.add_argument("--format", choices=("text", "markdown"), default="text", help="text (default) or markdown (a pull-request comment)")
    diff.add_argument("--raw", action="store_true", help="add the unified diff of the rendered YAML")
    diff.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.build.pipeline import PipelineError
    from mlcc.diagnostics.formats.text import format_diagnostics
    from mlcc.tools.diff.compare import compare, format_markdown, format_text
    from mlcc.tools.diff.revisions import GitError, render_both

    try:
        sides = render_both(paths(args), args.overlays, args.env, args.base)
    except (GitError, PipelineError) as exc:
        raise UsageError(str(exc)) from None
    failed = False
    for side in (sides.base, sides.head):
        if side.failed:
            sys.stderr.write(f"--- {side.label} ---\n")
            sys.stderr.write(format_diagnostics(side.diagnostics, side.modules))
            print(f"mlcc: diff failed: {side.label} does not build", file=sys.stderr)
            failed = True
    if failed:
        return EXIT_PROBLEMS
    result = compare(sides.base.objects, sides.head.objects, raw=args.raw)
    base = f"{args.base} ({sides.commit[:12]})" if args.base != sides.commit else sides.commit[:12]
    formatter = format_markdown if args.format == "markdown" else format_text
    sys.stdout.write(formatter(result, base, "working tree"))
    return EXIT_OK
