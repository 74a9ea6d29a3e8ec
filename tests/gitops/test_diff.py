"""`mlcc diff`: a scratch Git repo with the example modules, edited, compared with its HEAD."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from clirun import mlcc_inprocess

REPO = Path(__file__).resolve().parents[2]
IRIS = "pu-alice-pa-iris"
TEXTSTATS = "pu-bob-pa-textstats"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def mlcc(*args, cwd: Path) -> tuple[int, str, str]:
    run = mlcc_inprocess(*args, cwd=cwd)
    return run.code, run.out, run.err


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("diff-base") / "repo"
    ignore = shutil.ignore_patterns("data", "__pycache__", "*.joblib")
    shutil.copytree(REPO / "modules", root / "modules", ignore=ignore)
    shutil.copytree(REPO / "overlays", root / "overlays", ignore=ignore)
    git("init", "-q", "-b", "main", cwd=root)
    git("add", ".", cwd=root)
    git("commit", "-q", "-m", "base", cwd=root)
    return root


@pytest.fixture
def repo(pristine, tmp_path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(pristine, copy)
    return copy


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_no_changes(repo):
    code, out, err = mlcc("diff", cwd=repo)
    assert code == 0, err
    assert "no changes to rendered objects" in out


def test_image_tag_restarts_pods(repo):
    edit(repo / "modules/iris/iris-mlcmp.yaml", "iris:1f3c9a2", "iris:2b4d6e8")
    code, out, err = mlcc("diff", "--env", "dev", cwd=repo)
    assert code == 0, err
    assert "=== environment dev ===" in out and "=== environment prod ===" not in out
    assert f"--- module iris (namespace {IRIS}) ---" in out
    assert "  ~ changed Deployment iris-mlcmp" in out
    assert (
        "      spec.template.spec.containers[inference].image: "
        "registry.example.com/lab/iris:1f3c9a2 → registry.example.com/lab/iris:2b4d6e8"
    ) in out
    assert "  pods restart: Deployment iris-mlcmp (pod template changed: spec.containers[inference].image)" in out
    assert "DESTRUCTIVE" not in out
    assert "textstats" not in out


def test_runtime_config_change_renames_configmap_and_restarts(repo):
    edit(repo / "modules/iris/iris-mlcmp.yaml", "value: INFO", "value: DEBUG")
    code, out, _ = mlcc("diff", "--env", "dev", "modules/iris", cwd=repo)
    assert code == 0
    assert "  pods restart: Deployment iris-mlcmp" in out
    assert "spec.template.spec.containers[inference].env[LOG_LEVEL].value: INFO → DEBUG" in out


def test_capacity_shrink_is_destructive(repo):
    edit(repo / "modules/iris/boxes.yaml", "capacity: 1G", "capacity: 500M")  # the models box
    code, out, err = mlcc("diff", cwd=repo)
    assert code == 0, err
    assert (
        f"DESTRUCTIVE: dev/{IRIS}: DataBox storage ObjectBucketClaim box-models capacity shrinks 1G → 500M "
        "(spec.additionalConfig.maxSize)"
    ) in out
    assert f"DESTRUCTIVE: prod/{IRIS}: DataBox storage PersistentVolumeClaim box-models capacity shrinks 1G → 500M" in out
    assert f"DESTRUCTIVE: prod/{IRIS}: DataBox storage PersistentVolume {IRIS}.models capacity shrinks 1G → 500M" in out
    assert "      spec.additionalConfig.maxSize: 1G → 500M" in out


def test_capacity_growth_is_not_destructive(repo):
    edit(repo / "modules/iris/boxes.yaml", "capacity: 1G", "capacity: 2Gi")
    code, out, _ = mlcc("diff", "--env", "dev", cwd=repo)
    assert code == 0
    assert "spec.additionalConfig.maxSize: 1G → 2Gi" in out
    assert "DESTRUCTIVE" not in out


def test_removed_api_component_removes_a_route(repo):
    git("rm", "-q", "modules/iris/iris-api.yaml", cwd=repo)
    code, out, err = mlcc("diff", cwd=repo)
    assert code == 0, err
    assert f"DESTRUCTIVE: dev/{IRIS}: route Ingress iris-api removed: its URLs stop answering" in out
    assert f"DESTRUCTIVE: prod/{IRIS}: route HTTPRoute iris-api removed: its URLs stop answering" in out
    assert "  - removed Ingress iris-api" in out
    assert "  - removed SecurityPolicy iris-api" in out


def test_renamed_databox_is_destructive(repo):
    edit(repo / "modules/iris/boxes.yaml", "name: models", "name: weights")
    edit(repo / "modules/iris/iris-mlcmp.yaml", "s3BoxName: models", "s3BoxName: weights")
    code, out, err = mlcc("diff", "--env", "dev", cwd=repo)
    assert code == 0, err
    assert (
        f"DESTRUCTIVE: dev/{IRIS}: DataBox storage ObjectBucketClaim renamed box-models → box-weights: "
        "the new one starts empty"
    ) in out
    assert "  - removed ObjectBucketClaim box-models" in out
    assert "  + added ObjectBucketClaim box-weights" in out
    assert "  pods restart: Deployment iris-mlcmp" in out


def test_removed_module_removes_namespace(repo):
    shutil.rmtree(repo / "modules/textstats")
    code, out, err = mlcc("diff", "--env", "prod", cwd=repo)
    assert code == 0, err
    assert f"DESTRUCTIVE: prod/{TEXTSTATS}: Namespace {TEXTSTATS} removed: the whole module goes away" in out
    assert f"--- Argo CD Applications ---" in out
    assert f"  - removed Application prod-{TEXTSTATS}" in out or "  - removed Application" in out


def test_base_is_a_ref(repo):
    edit(repo / "modules/iris/iris-mlcmp.yaml", "iris:1f3c9a2", "iris:2b4d6e8")
    git("commit", "-q", "-am", "bump", cwd=repo)
    code, out, _ = mlcc("diff", "--env", "dev", cwd=repo)
    assert "no changes to rendered objects" in out
    code, out, _ = mlcc("diff", "--env", "dev", "--base", "HEAD~1", cwd=repo)
    assert code == 0
    assert out.startswith("mlcc diff HEAD~1 (")
    assert "containers[inference].image" in out


def test_markdown(repo):
    edit(repo / "modules/iris/iris-mlcmp.yaml", "iris:1f3c9a2", "iris:2b4d6e8")
    edit(repo / "modules/iris/boxes.yaml", "capacity: 1G", "capacity: 500M")
    code, out, _ = mlcc("diff", "--format", "markdown", "--env", "dev", cwd=repo)
    assert code == 0
    assert out.startswith("## mlcc diff: `HEAD")
    assert "> [!CAUTION]" in out
    assert f"> - `dev/{IRIS}`: DataBox storage ObjectBucketClaim box-models capacity shrinks 1G → 500M" in out
    assert "### Environment `dev`" in out
    assert f"#### module iris (namespace {IRIS})" in out
    assert "| | object | changes |" in out
    row = next(line for line in out.splitlines() if "`Deployment/iris-mlcmp`" in line)
    assert row.startswith("| ✏️ changed |") and "🔄 **pods restart**" in row
    assert "containers[inference].image" in row
    assert "<details>" not in out


def test_raw_adds_unified_diff(repo):
    edit(repo / "modules/iris/iris-mlcmp.yaml", "iris:1f3c9a2", "iris:2b4d6e8")
    code, out, _ = mlcc("diff", "--raw", "--env", "dev", cwd=repo)
    assert code == 0
    assert "=== raw diff of the rendered YAML ===" in out
    assert f"--- a/dev/{IRIS}/deployment-iris-mlcmp.yaml" in out
    assert f"+++ b/dev/{IRIS}/deployment-iris-mlcmp.yaml" in out
    assert "-        image: registry.example.com/lab/iris:1f3c9a2" in out
    assert "+        image: registry.example.com/lab/iris:2b4d6e8" in out
    code, md, _ = mlcc("diff", "--raw", "--format", "markdown", "--env", "dev", cwd=repo)
    assert "<details><summary>Raw diff of the rendered YAML</summary>" in md and "```diff" in md


def test_unknown_ref_is_a_usage_error(repo):
    code, out, err = mlcc("diff", "--base", "no-such-branch", cwd=repo)
    assert code == 2
    assert "unknown Git revision 'no-such-branch'" in err
    assert "Traceback" not in err


def test_outside_git_is_a_usage_error(tmp_path):
    shutil.copytree(REPO / "overlays", tmp_path / "overlays")
    code, _, err = mlcc("diff", cwd=tmp_path)
    assert code == 2
    assert "not inside a Git repository" in err


def test_working_tree_build_failure_exits_1(repo):
    edit(repo / "modules/iris/iris-mlcmp.yaml", "s3BoxName: models", "s3BoxName: model")
    code, out, err = mlcc("diff", cwd=repo)
    assert code == 1
    assert "MLCC301" in err and "working tree does not build" in err
    assert out == ""


def test_base_build_failure_exits_1(repo):
    edit(repo / "modules/iris/iris-mlcmp.yaml", "s3BoxName: models", "s3BoxName: model")
    git("commit", "-q", "-am", "broken", cwd=repo)
    edit(repo / "modules/iris/iris-mlcmp.yaml", "s3BoxName: model", "s3BoxName: models")
    code, _, err = mlcc("diff", cwd=repo)
    assert code == 1
    assert "HEAD:modules/iris/iris-mlcmp.yaml" in err and "MLCC301" in err
    assert "HEAD does not build" in err


def test_new_module_is_all_added(repo):
    shutil.copytree(repo / "modules/iris", repo / "modules/iris2")
    for path in (repo / "modules/iris2").glob("*.yaml"):
        edit(path, f"namespace: {IRIS}", "namespace: pu-alice-pa-iris2", count=-1)
    code, out, err = mlcc("diff", "--env", "dev", "modules/iris2", cwd=repo)
    assert code == 0, err
    assert "--- module iris2 (namespace pu-alice-pa-iris2) ---" in out
    assert "  + added Namespace pu-alice-pa-iris2" in out
    assert " 0 removed, 0 changed" in out


def test_overlays_added_since_the_base_compare_with_the_built_in_environment(repo):
    """Before overlays/ existed, `mlcc build` rendered the built-in environment: that is the base."""
    git("rm", "-r", "-q", "overlays", cwd=repo)
    git("commit", "-q", "-m", "no overlays yet", cwd=repo)
    git("checkout", "-q", "HEAD~1", "--", "overlays", cwd=repo)
    code, out, err = mlcc("diff", "--env", "dev", cwd=repo)
    assert code == 0, err
    assert "=== environment dev ===" in out
    assert f"  + added Namespace {IRIS}" in out
