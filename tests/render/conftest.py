"""Fixtures of the render tests.

Builds are the expensive part, so each distinct input is built once per session
and shared read-only: the committed golden tree, and one build of the example
modules (plus an OIDC module) for every environment variant in
`rendertools.VARIANTS`. Tests that change files get their own scratch copies.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # makes `rendertools` importable

from rendertools import (  # noqa: E402
    OVERLAYS,
    RENDERED,
    VARIANTS,
    Run,
    Tree,
    copy_modules,
    make_oidc_module,
    mlcc_inprocess,
    variant_spec,
    write_env,
)


@dataclass
class Build:
    """A scratch repo (modules/, overlays/) and the result of building it into out/."""

    repo: Path
    run: Run

    @property
    def out(self) -> Path:
        return self.repo / "out"

    @property
    def tree(self) -> Tree:
        return Tree(self.out)


@pytest.fixture(scope="session")
def golden() -> Tree:
    return Tree(RENDERED)


@pytest.fixture(scope="session")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """iris, textstats and an OIDC module, built for every variant environment at once."""
    repo = tmp_path_factory.mktemp("variants")
    make_oidc_module(copy_modules(repo))
    for name in VARIANTS:
        write_env(repo / "overlays", name, variant_spec(name))
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=repo)
    assert run.code == 0, run.text
    return Build(repo, run)


@pytest.fixture(scope="session")
def default_env_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The example modules with no overlays/: the built-in default environment."""
    repo = tmp_path_factory.mktemp("default-env")
    copy_modules(repo)
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=repo)
    assert run.code == 0, run.text
    return Build(repo, run)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A private copy of the example modules and the repo's overlays, to break at will."""
    copy_modules(tmp_path)
    shutil.copytree(OVERLAYS, tmp_path / "overlays")
    return tmp_path
