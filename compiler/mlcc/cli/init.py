from __future__ import annotations

import argparse
import getpass
import re
from pathlib import Path

from mlcc.cli.common import EXIT_OK, UsageError

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def register(commands) -> None:
    init = commands.add_parser("init", help="scaffold a new module that lints and builds at once")
    init.add_argument("module", type=Path, help="the new module folder, e.g. modules/churn")
    init.add_argument("--owner", default=None, help="owner in the namespace pu-<owner>-pa-<module> (default: your user name)")
    init.add_argument("--namespace", default=None, help="the module's namespace (default: pu-<owner>-pa-<module>)")
    init.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.tools.scaffold import scaffold

    folder: Path = args.module
    owner = args.owner or re.sub(r"[^a-z0-9-]", "-", getpass.getuser().lower()).strip("-") or "developer"
    for what, value in (("module name", folder.name), ("owner", owner)):
        if not _LABEL.match(value) or len(value) > 40:
            raise UsageError(f"{what} '{value}' must be lower-case letters, digits and '-' (at most 40)")
    if not folder.name[0].isalpha():  # it names the Python package and the Service
        raise UsageError(f"module name '{folder.name}' must start with a letter")
    namespace = args.namespace or f"pu-{owner}-pa-{folder.name}"
    if len(namespace) > 63 or not _LABEL.match(namespace):
        raise UsageError(f"namespace '{namespace}' is not a valid Kubernetes name; pass --namespace")
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"'{folder}' exists and is not empty; mlcc init never overwrites files")
    for path in scaffold(folder, owner, namespace):
        print(f"created {path}")
    print(f"next: mlcc lint {folder} && mlcc run {folder}")
    return EXIT_OK
