from __future__ import annotations

import argparse
from pathlib import Path

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS


def register(commands) -> None:
    schema = commands.add_parser("schema", help="write JSON Schemas and CRDs of the kinds")
    schema.add_argument("-o", "--output", type=Path, default=Path("schema"))
    schema.add_argument("--check", action="store_true", help="exit 1 if the files under -o are not current")
    schema.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.tools import schema_gen

    if args.check:
        stale = schema_gen.stale(args.output)
        for rel in stale:
            print(f"{args.output / rel}: not current; run `mlcc schema -o {args.output}`")
        return EXIT_PROBLEMS if stale else EXIT_OK
    for path in schema_gen.write(args.output):
        print(f"wrote {path}")
    return EXIT_OK
