from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from mlcc.cli.common import EXIT_OK, EXIT_PROBLEMS, UsageError, add_overlays, add_paths, checked_modules


def register(commands) -> None:
    graph = commands.add_parser("graph", help="draw the modules' reference graph (Mermaid, DOT or SVG), one cluster per module")
    add_paths(graph)
    add_overlays(graph)
    graph.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid")
    graph.add_argument("-o", "--output", type=Path, help="write to a file instead of stdout")
    graph.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mlcc.tools.graph import to_dot, to_mermaid

    checked = checked_modules(args)
    if checked is None:
        return EXIT_PROBLEMS
    modules = [m for m in checked if m.resources]
    text = to_mermaid(modules) if args.format == "mermaid" else to_dot(modules)
    if args.format == "svg":
        text = _svg(text)
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _svg(dot: str) -> str:
    binary = shutil.which("dot")
    if binary is None:
        raise UsageError("--format svg needs Graphviz (`dot` on PATH); use --format dot or mermaid instead")
    return subprocess.run([binary, "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
