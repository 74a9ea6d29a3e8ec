"""The compiler's imports go one way, down the pipeline (README, "Layout").

Each top-level folder of `compiler/mlcc/` is a layer. A module may import its own layer and any
layer below it, never one above; two layers on the same rank do not import each other. Imports are
read from the source with `ast`, lazy ones inside functions included, so a late import cannot hide
an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "compiler" / "mlcc"

# Highest first. Layers on one rank are independent of each other.
RANKS: tuple[tuple[str, ...], ...] = (
    ("cli",),
    ("tools",),
    ("build",),
    ("render", "rules"),
    ("frontend",),
    ("model", "k8s"),
    ("syntax",),
    ("diagnostics",),
)
RANK = {layer: rank for rank, layers in enumerate(RANKS) for layer in layers}
FACE = {"__init__", "__main__"}  # the package face: `mlcc.__version__`, `python -m mlcc`
MAX_TOP_LEVEL_MODULES = 8


def _layer(module: str) -> str | None:
    """`mlcc.render.module` → `render`; the package face → None."""
    parts = module.split(".")
    if parts[0] != "mlcc" or len(parts) == 1:
        return None
    return None if parts[1] in FACE else parts[1]


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every mlcc module `path` imports, with the line: `from mlcc.x import y` counts `mlcc.x.y`
    when y is a module, else `mlcc.x`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("mlcc")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlcc") and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists() or (
                    PACKAGE.parent / candidate.replace(".", "/") / "__init__.py"
                ).exists()
                found.append((node.lineno, candidate if is_module else node.module))
    return found


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "data" not in p.relative_to(PACKAGE).parts)


def test_every_module_lives_in_a_known_layer() -> None:
    strays = [p.relative_to(PACKAGE).as_posix() for p in _sources() if _layer(_module_of(p)) not in RANK and _module_of(p).split(".")[-1] not in FACE and _module_of(p) != "mlcc"]
    assert not strays, f"modules outside every layer (add them to a layer folder): {strays}"


def test_top_level_holds_only_the_package_face_and_few_modules() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules
    assert set(modules) <= {"__init__.py", "__main__.py"}, f"put these in a layer folder: {modules}"


def test_imports_only_go_down_the_pipeline() -> None:
    wrong = []
    for path in _sources():
        here = _layer(_module_of(path))
        if here is None:
            continue
        for line, imported in _imports(path):
            there = _layer(imported)
            if there is None or there == here:
                continue
            if RANK[there] <= RANK[here]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line}: {here} imports {imported} ({there} is not below it)")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_no_import_circle_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for path in _sources():
        graph[_module_of(path)] = {imported for _, imported in _imports(path)}
    # Tarjan-free check: depth-first search for a back edge.
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    # A package's face importing its own modules is not a circle of design.
    circles = [c for c in circles if not any(a.startswith(b + ".") or b.startswith(a + ".") for a, b in zip(c, c[1:]))]
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("bad", ["from mlcc.cli.common import UsageError\n", "def f():\n    from mlcc.build import tree\n"])
def test_the_check_sees_upward_imports_even_lazy_ones(tmp_path: Path, bad: str) -> None:
    """The rule itself can fail: a k8s module importing the CLI or the build is caught."""
    probe = PACKAGE / "k8s" / "_layer_probe.py"
    probe.write_text(bad)
    try:
        with pytest.raises(AssertionError, match="k8s imports"):
            test_imports_only_go_down_the_pipeline()
    finally:
        probe.unlink()
