"""The committed `rendered/` is the reviewed golden output, and every folder of it is a
valid Kustomize build with exactly the objects its kustomization lists."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from rendertools import MODULES, REPO, RENDERED, Tree, mlcc_subprocess

GOLDEN_FOLDERS = sorted(p for p in RENDERED.glob("*/*") if p.is_dir())
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH; install it to run the kustomize build tests")


def test_rendered_is_current() -> None:
    """Golden files: rebuilding the examples changes nothing under rendered/.

    On failure, review the diff of `mlcc build modules/ -o rendered/` and commit it."""
    run = mlcc_subprocess("build", "modules/", "-o", "rendered/", "--check", cwd=REPO)
    assert run.code == 0, f"rendered/ is stale or the build failed:\n{run.text}"
    assert run.out == ""


def test_golden_covers_every_module_and_environment(golden: Tree) -> None:
    envs = sorted(p.parent.name for p in (REPO / "overlays").glob("*/environment.yaml"))
    assert golden.envs() == envs
    namespaces = {
        doc["metadata"]["namespace"]
        for path in MODULES.glob("*/*.y*ml")
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("apiVersion", "").startswith("unified-platform.cs.hse.ru/")
    }
    for env in envs:
        assert {f.name for f in golden.folders(env)} == namespaces | {"argocd"}
    assert (RENDERED / ".mlcc-output").is_file()


@pytest.mark.parametrize("folder", GOLDEN_FOLDERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_folder_is_one_file_per_object_with_a_kustomization(folder: Path) -> None:
    resources = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    files = sorted(p.name for p in folder.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(resources) == files
    assert len(set(resources)) == len(resources)
    for name in resources:
        docs = [d for d in yaml.safe_load_all((folder / name).read_text()) if d is not None]
        assert len(docs) == 1, f"{name} holds {len(docs)} objects"
        obj = docs[0]
        stem = f"{obj['kind'].lower()}-{obj['metadata']['name']}"
        if obj["kind"] == "ConfigMap":  # content-hashed name, stable file name
            assert obj["metadata"]["name"].startswith(name[len("configmap-"):-len(".yaml")] + "-")
        else:
            assert name == f"{stem}.yaml"
    if folder.name != "argocd":
        sources = json.loads((folder / "sourcemap.json").read_text())
        assert sorted(sources) == sorted(resources)
        for where in sources.values():
            file, line, column = where.rsplit(":", 2)
            assert (REPO / file).is_file(), where
            assert 1 <= int(line) <= len((REPO / file).read_text().splitlines()), where
            assert int(column) >= 1


def kustomize(folder: Path) -> list[dict]:
    proc = subprocess.run([KUBECTL, "kustomize", str(folder)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"kubectl kustomize {folder} failed:\n{proc.stderr}"
    return [d for d in yaml.safe_load_all(proc.stdout) if d is not None]


def assert_kustomize_builds(folder: Path) -> None:
    resources = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    built = kustomize(folder)
    assert len(built) == len(resources), f"{folder}: {len(built)} objects built, {len(resources)} listed"
    on_disk = [yaml.safe_load((folder / name).read_text()) for name in resources]
    key = lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])  # noqa: E731
    assert sorted(map(key, built)) == sorted(map(key, on_disk))
    # Kustomize adds nothing and drops nothing: the objects are the files, as written.
    by_key = {key(o): o for o in on_disk}
    for obj in built:
        assert obj == by_key[key(obj)]


@needs_kubectl
@pytest.mark.parametrize("folder", GOLDEN_FOLDERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_kubectl_kustomize_builds_golden_folder(folder: Path) -> None:
    assert_kustomize_builds(folder)


@needs_kubectl
def test_kubectl_kustomize_builds_every_variant_folder(variants) -> None:
    folders = variants.tree.folders()
    assert len(folders) >= 16
    for folder in folders:
        assert_kustomize_builds(folder)
