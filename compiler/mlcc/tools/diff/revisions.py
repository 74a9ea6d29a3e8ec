"""`mlcc diff`: render a Git revision and the working tree in-process, compare them semantically.

The base revision's modules and overlays are extracted with `git archive REF -- PATHS | tar -x` into
a temporary folder; both sides go through `mlcc.build.tree.build`, so the comparison is of exactly what
`mlcc build` would write on each side.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mlcc.build.pipeline import select_environments
from mlcc.build.tree import build
from mlcc.diagnostics import Diagnostic, has_errors
from mlcc.frontend.environments import overlays_dir


class GitError(Exception):
    """Not a Git repository, unknown ref, git missing: a usage error."""


@dataclass
class Side:
    label: str
    objects: dict[str, dict] = field(default_factory=dict)  # "<env>/<namespace>/<file>" → object
    diagnostics: list[Diagnostic] = field(default_factory=list)
    modules: int = 0
    failed: bool = False


def render_side(label: str, paths: list[Path], overlays: Path | None, envs: list[str] | None,
                strict_envs: bool = True) -> Side:
    """What `mlcc build` would write for `paths` with the environments of `overlays` (None: built-in)."""
    import yaml

    environments = select_environments(overlays, envs, strict=strict_envs)
    side = Side(label, diagnostics=list(environments.problems))
    if paths:
        result = build(paths, environments)
        side.modules = len(result.outputs)
        side.diagnostics = sorted(result.diagnostics, key=Diagnostic.sort_key)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        side.objects = {
            rel: yaml.load(text, Loader=loader)
            for rel, text in result.plan.files.items()
            if rel.endswith(".yaml") and not rel.endswith("/kustomization.yaml")
        }
    side.failed = has_errors(side.diagnostics)
    return side


# --- Git ----------------------------------------------------------------------------


def _git(args: list[str], cwd: Path, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=not binary, check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed (mlcc diff needs it to read the base revision)") from exc


def repo_root(cwd: Path) -> Path:
    done = _git(["rev-parse", "--show-toplevel"], cwd)
    if done.returncode != 0:
        raise GitError(f"'{cwd}' is not inside a Git repository (mlcc diff compares against a Git revision)")
    return Path(done.stdout.strip())


def resolve_ref(root: Path, ref: str) -> str:
    if ref.startswith("-"):
        raise GitError(f"'{ref}' is not a Git revision")
    done = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if done.returncode != 0:
        raise GitError(f"unknown Git revision '{ref}'")
    return done.stdout.strip()


def exists_at(root: Path, commit: str, rel: str) -> bool:
    if rel in ("", "."):
        return True
    return _git(["cat-file", "-e", f"{commit}:{rel}"], root).returncode == 0


def extract(root: Path, commit: str, rels: list[str], dest: Path) -> None:
    """Write the files under `rels` (paths relative to the repo root) as of `commit` into dest."""
    rels = [r for r in rels if exists_at(root, commit, r)]
    if not rels:
        return
    spec = [] if "." in rels or "" in rels else ["--", *rels]
    done = _git(["archive", "--format=tar", commit, *spec], root, binary=True)
    if done.returncode != 0:
        raise GitError(f"git archive {commit[:12]} failed: {done.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        try:
            tar.extractall(dest, filter="data")
        except TypeError:  # Python < 3.12 without extraction filters
            tar.extractall(dest)


def in_repo(root: Path, path: Path) -> str:
    """`path` (relative to the current folder) relative to the repository root, POSIX style."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        try:
            return absolute.resolve().relative_to(root.resolve()).as_posix() or "."
        except ValueError as exc:
            raise GitError(f"'{path}' is outside the Git repository {root}") from exc


@dataclass
class Sides:
    base: Side
    head: Side
    commit: str


def render_both(paths: list[Path], overlays: Path | None, envs: list[str] | None, ref: str) -> Sides:
    cwd = Path.cwd()
    root = repo_root(cwd)
    commit = resolve_ref(root, ref)
    head_overlays = overlays_dir(overlays)
    rel_paths = [in_repo(root, p) for p in paths]
    for path, rel in zip(paths, rel_paths):
        if not path.exists() and not exists_at(root, commit, rel):
            raise GitError(f"'{path}' exists neither in the working tree nor at {ref}")
    # A path that exists on one side only (a module added or deleted) renders as nothing on the other.
    head = render_side("working tree", [p for p in paths if p.exists()], head_overlays, envs)
    overlays_rel = in_repo(root, head_overlays if head_overlays is not None else Path("overlays"))
    with tempfile.TemporaryDirectory(prefix="mlcc-diff-") as tmp:
        top = Path(tmp)
        extract(root, commit, [*rel_paths, overlays_rel], top)
        base_paths = [top / r for r in rel_paths if (top / r).exists()]
        base_overlays = top / overlays_rel
        if not any(base_overlays.glob("*/environment.yaml")):
            base_overlays = None  # none yet at the base: `mlcc build` used the built-in environment then
        base = render_side(ref, base_paths, base_overlays, envs, strict_envs=False)
        base.diagnostics = [_relocate(d, top, ref) for d in base.diagnostics]
    return Sides(base, head, commit)


def _relocate(d: Diagnostic, top: Path, ref: str) -> Diagnostic:
    """Show base diagnostics as `REF:path` instead of the temporary folder."""
    from dataclasses import replace

    file = d.location.file
    for prefix in (str(top) + os.sep, str(top.resolve()) + os.sep):
        if file.startswith(prefix):
            return replace(d, location=replace(d.location, file=f"{ref}:{file[len(prefix):]}"))
    return d
