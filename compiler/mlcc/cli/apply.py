from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, UsageError, add_overlays, add_paths, check


def register(commands) -> None:
    apply = commands.add_parser(
        "apply",
        help="server-side dry-run of the rendered objects against a real cluster (never applies)",
        description=(
            "Render the modules for one environment and send every object to the cluster of the kubeconfig "
            "context as a server-side apply with dryRun=All; report what the API server rejects at the source "
            "manifest. Nothing is persisted: mlcc never applies for real (Argo CD does). Needs the 'kubernetes' "
            "package (pip install 'mlcc[cluster]')."
        ),
    )
    add_paths(apply)
    apply.add_argument("--dry-run", dest="dry_run", metavar="server", help="required; only 'server' is accepted")
    apply.add_argument("--context", default=None, help="kubeconfig context (default: the current context)")
    apply.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    apply.add_argument("--env", action="append", default=None, metavar="NAME", help="the environment of this cluster (needed when there are several)")
    apply.add_argument("--force-conflicts", action="store_true", help="take over fields owned by other field managers (still a dry-run)")
    add_overlays(apply)
    apply.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.diagnostics import has_errors
    from mlcc.diagnostics.formats.text import format_diagnostics
    from mlcc.tools.dry_run import ClusterError, as_diagnostic, connect, dry_run

    if args.dry_run != "server":
        given = "no --dry-run" if args.dry_run is None else f"--dry-run={args.dry_run}"
        raise UsageError(
            f"{given}: mlcc apply only does `--dry-run=server` (mlcc never applies for real: Argo CD syncs rendered/)"
        )
    if args.env and len(args.env) > 1:
        raise UsageError("one cluster is one environment: give --env once")
    selection, result = check(args)
    environments = selection.selected
    if len(environments) > 1:
        names = ", ".join(e.name for e in environments)
        raise UsageError(f"several environments ({names}): choose the one of this cluster with --env")
    diagnostics = result.diagnostics
    items = []
    if not has_errors(diagnostics) and environments:
        items, problems = _render(result.modules, environments[0])
        diagnostics = sorted(diagnostics + problems, key=lambda d: d.sort_key())
    if has_errors(diagnostics) or not environments:
        if diagnostics:
            sys.stderr.write(format_diagnostics(diagnostics, len(result.modules), result.sources))
        print("mlcc: apply: the modules do not build; nothing was sent", file=sys.stderr)
        return EXIT_PROBLEMS
    env = environments[0].name
    try:
        api_client = connect(args.kubeconfig, args.context)
        host = api_client.configuration.host
        outcomes = dry_run(items, api_client, args.force_conflicts)
    except ClusterError as exc:
        print(f"mlcc: apply: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    reported = [as_diagnostic(o) for o in outcomes if o.verdict != "accepted"]
    if reported:
        sys.stdout.write(format_diagnostics(reported, len(result.modules)))
    rejected = sum(o.verdict == "rejected" for o in outcomes)
    unchecked = sum(o.verdict == "unchecked" for o in outcomes)
    accepted = len(outcomes) - rejected - unchecked
    print(
        f"server-side dry-run against {host} (environment {env}): {accepted} accepted, "
        f"{rejected} rejected, {unchecked} not checked of {len(outcomes)} object(s); nothing was persisted"
    )
    return EXIT_PROBLEMS if rejected else EXIT_OK


def _render(modules, env):
    from mlcc.build.pipeline import render

    items, diagnostics = [], []
    for module in modules:
        if not module.resources:
            continue
        rendered = render(module, env)
        diagnostics += rendered.problems
        if not rendered.failed:
            items += rendered.objects
    return items, diagnostics
