from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError, add_overlays, select_environments


def register(commands) -> None:
    run_ = commands.add_parser("run", help="run a module locally from its rendered manifests")
    run_.add_argument("module", type=Path, help="the module folder, e.g. modules/iris")
    run_.add_argument("--env", default=None, help="environment to render with (default: the first one)")
    add_overlays(run_)
    run_.add_argument("--port", type=int, default=8080, help="local gateway port (default 8080)")
    run_.add_argument("--credentials", type=Path, default=None,
                      help="basic-auth users, lines `SECRET user:password` (default: random passwords, printed)")
    run_.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.build.pipeline import check, render
    from mlcc.diagnostics import has_errors
    from mlcc.diagnostics.formats.text import format_diagnostics
    from mlcc.tools.local.session import RunError, Session, load_credentials, local_environment

    if not args.module.is_dir():
        raise UsageError(f"'{args.module}' is not a module folder")
    # One environment: the one asked for, else the first.
    environments = select_environments(args, [args.env] if args.env else None, first=True)
    result = check([args.module], environments)
    diagnostics = result.diagnostics
    module = result.modules[0] if result.modules else None
    objects = []
    if module is not None and not has_errors(diagnostics):
        rendered = render(module, local_environment(environments.selected[0]))
        objects = rendered.objects
        diagnostics += rendered.problems
    if has_errors(diagnostics) or module is None:
        sys.stderr.write(format_diagnostics(diagnostics, len(result.modules), result.sources))
        return EXIT_PROBLEMS
    env = environments.selected[0]
    print(f"running module {module.name} (namespace {module.namespace}) as environment '{env.name}' renders it")
    wanted = {o.obj["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/auth-secret") for o in objects if o.kind == "Ingress"}
    try:
        credentials = load_credentials(args.credentials, {w for w in wanted if w})
    except (OSError, RunError) as exc:
        print(f"mlcc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    session = Session(module, env, objects, say=lambda line: print(line, flush=True), credentials=credentials)
    # A plain flag polled by sleep: a signal handler must not take a lock the
    # interrupted main thread may hold (threading.Event.set could deadlock here).
    stopping: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _frame: stopping.append(number))
    try:
        session.start(args.port)
        while not stopping:
            time.sleep(0.1)
        return EXIT_OK
    except (RunError, OSError) as exc:
        print(f"mlcc: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    finally:
        session.stop()
