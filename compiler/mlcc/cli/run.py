from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError, add_code, add_overlays, select_environments


def register(commands) -> None:
    run_ = commands.add_parser("run", help="run a module locally from its rendered manifests")
    run_.add_argument("module", type=Path, help="the module folder, e.g. modules/iris")
    run_.add_argument("--env", default=None, help="environment to render with (default: the first one)")
    add_overlays(run_)
    add_code(run_)
    run_.add_argument("--port", type=int, default=8080, help="local gateway port (default 8080)")
    run_.add_argument("--credentials", type=Path, default=None,
                      help="basic-auth users, lines `SECRET user:password` (default: random passwords, printed)")
    run_.add_argument("--smoke", action="store_true",
                      help="send every example request of the module through its routes, report, and stop "
                      "(exit 1 when one does not answer 200)")
    run_.set_defaults(run=run)


def _require_run_extra() -> None:
    """`mlcc run` needs what `pip install 'mlcc[run]'` brings (a loopback S3 server and client) and
    the runtime it starts: a missing one is a usage error that names the install, not a crash."""
    import importlib

    try:
        importlib.import_module("boto3")
        importlib.import_module("moto.server")
    except ImportError as exc:
        raise UsageError(
            f"`mlcc run` needs the local S3 server and client, and '{exc.name or exc}' is not installed; "
            "install them with `pip install 'mlcc[run]'`"
        ) from None
    try:
        importlib.import_module("mlcc_runtime")
    except ImportError:
        raise UsageError(
            "`mlcc run` starts the runtime, and the 'mlcc-runtime' package is not installed; "
            "install it with `pip install ./runtime-image` (from a checkout of mlcc)"
        ) from None


def run(args: argparse.Namespace) -> int:
    from mlcc.build.pipeline import check, render
    from mlcc.diagnostics import has_errors
    from mlcc.diagnostics.formats.text import format_diagnostics
    from mlcc.rules.entrypoint import holds_python
    from mlcc.tools.local.session import RunError, Session, load_credentials, local_environment

    if not args.module.is_dir():
        raise UsageError(f"'{args.module}' is not a module folder")
    _require_run_extra()
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
    if args.code is None and module.mlcomponents and not holds_python(module.source.root):
        raise UsageError(
            f"module folder '{args.module}' holds no Python code, so there is nothing to run; name a checkout "
            f"of the code repository: `mlcc run --code DIR {args.module}` (pythonPath is relative to DIR)"
        )
    env = environments.selected[0]
    print(f"running module {module.name} (namespace {module.namespace}) as environment '{env.name}' renders it")
    wanted = {o.obj["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/auth-secret") for o in objects if o.kind == "Ingress"}
    try:
        credentials = load_credentials(args.credentials, {w for w in wanted if w})
    except (OSError, RunError) as exc:
        print(f"mlcc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    session = Session(
        module, env, objects, say=lambda line: print(line, flush=True), credentials=credentials, code=args.code
    )
    # A plain flag polled by sleep: a signal handler must not take a lock the
    # interrupted main thread may hold (threading.Event.set could deadlock here).
    stopping: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _frame: stopping.append(number))
    try:
        session.start(args.port)
        if args.smoke:
            return _smoke(session)
        print("press Ctrl-C to stop", flush=True)
        while not stopping:
            time.sleep(0.1)
        return EXIT_OK
    except (RunError, OSError) as exc:
        print(f"mlcc: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    finally:
        session.stop()


def _smoke(session) -> int:
    results = session.smoke()
    for r in results:
        print(f"smoke {r.component} example '{r.example}': {r.status or 'no answer'}"
              + ("" if r.ok else f" {r.body[:300]}"))
    if not results:
        print("mlcc: error: the module has no example requests to run (spec.mlService.inference.examples)", file=sys.stderr)
        return EXIT_PROBLEMS
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} of {len(results)} example(s) answered 200")
    return EXIT_PROBLEMS if failed else EXIT_OK
