"""The hooks in .pre-commit-hooks.yaml, run by the real `pre-commit` tool in a temp Git repository.

Remote hook repositories cannot be fetched here, so the test turns our hook
definitions into `repo: local` hooks (same ids, entries, file patterns) with
`language: system` and mlcc from this virtualenv on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (it is in the test extra)")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for folder in ("modules", "overlays", "rendered"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("*.joblib", "__pycache__"))
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    local = [{**hook, "language": "system"} for hook in hooks]
    config = {"repos": [{"repo": "local", "hooks": local}]}
    with open(repo / ".pre-commit-config.yaml", "w") as out:
        YAML(typ="safe").dump(config, out)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    return repo


def pre_commit(repo: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
    }
    return subprocess.run([PRE_COMMIT, "run", "--all-files"], cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def test_hooks_pass_on_a_clean_repository(repo: Path):
    result = pre_commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mlcc lint" in result.stdout and "mlcc build --check" in result.stdout


def test_lint_hook_fails_on_a_typo_with_the_diagnostic(repo: Path):
    manifest = repo / "modules/iris/iris-mlcmp.yaml"
    manifest.write_text(manifest.read_text().replace("modelPath:", "modelPth:"))
    git(repo, "add", "-A")
    result = pre_commit(repo)
    assert result.returncode != 0
    assert "iris-mlcmp.yaml" in result.stdout and "error[MLCC201]" in result.stdout
    assert "did you mean 'modelPath'?" in result.stdout


def test_build_check_hook_fails_when_rendered_output_is_stale(repo: Path):
    manifest = repo / "modules/iris/iris-mlcmp.yaml"
    manifest.write_text(manifest.read_text().replace("iris:1f3c9a2", "iris:2a4b6c8"))
    git(repo, "add", "-A")
    result = pre_commit(repo)
    assert result.returncode != 0
    assert "deployment-iris-mlcmp.yaml: stale" in result.stdout


def test_lint_hook_ignores_yaml_inside_the_module_code(repo: Path):
    """Only a module's top-level *.yaml files are manifests; the code may keep its own YAML."""
    config = repo / "modules/iris/iris/settings.yaml"
    config.write_text("threshold: 0.5\n")
    git(repo, "add", "-A")
    result = pre_commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
