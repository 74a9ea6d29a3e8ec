"""`mlcc build --check` (CI, pre-commit) exits 1 and names each stale file; it writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rendertools import REPO, RENDERED, mlcc_inprocess, snapshot

IRIS_DEPLOYMENT = "dev/pu-alice-pa-iris/deployment-iris-mlcmp.yaml"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A private copy of the committed output to tamper with."""
    target = tmp_path / "out"
    shutil.copytree(RENDERED, target)
    return target


def check(out: Path):
    return mlcc_inprocess("build", "modules/", "-o", out, "--check", cwd=REPO)


def stale_lines(run) -> list[str]:
    return [line for line in run.out.splitlines() if line.endswith(": stale")]


def test_current_copy_passes(out: Path) -> None:
    run = check(out)
    assert run.code == 0, run.text
    assert run.out == ""


def test_edited_file_is_named(out: Path) -> None:
    path = out / IRIS_DEPLOYMENT
    path.write_text(path.read_text().replace("replicas: 1", "replicas: 5"))
    before = snapshot(out)
    run = check(out)
    assert run.code == 1
    assert stale_lines(run) == [f"{out / IRIS_DEPLOYMENT}: stale"]
    assert "not current" in run.err
    assert snapshot(out) == before  # --check writes nothing


def test_whitespace_only_edit_is_caught(out: Path) -> None:
    path = out / "prod" / "argocd" / "kustomization.yaml"
    path.write_text(path.read_text() + "\n")
    assert stale_lines(check(out)) == [f"{path}: stale"]


def test_deleted_file_is_named(out: Path) -> None:
    rel = "prod/pu-bob-pa-textstats/httproute-textstats-api.yaml"
    (out / rel).unlink()
    run = check(out)
    assert run.code == 1
    assert stale_lines(run) == [f"{out / rel}: stale"]


def test_extra_file_is_named(out: Path) -> None:
    rel = "dev/pu-alice-pa-iris/configmap-leftover.yaml"
    (out / rel).write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leftover}\n")
    run = check(out)
    assert run.code == 1
    assert stale_lines(run) == [f"{out / rel}: stale"]


def test_extra_module_folder_is_named(out: Path) -> None:
    """A module deleted from modules/ leaves its rendered folder behind: stale."""
    shutil.copytree(out / "dev" / "pu-bob-pa-textstats", out / "dev" / "pu-gone-pa-old")
    run = check(out)
    assert run.code == 1
    stale = stale_lines(run)
    assert stale and all("/dev/pu-gone-pa-old/" in line for line in stale)
    assert len(stale) == len(list((out / "dev" / "pu-gone-pa-old").iterdir()))


def test_several_problems_are_all_listed_sorted(out: Path) -> None:
    edited, deleted = out / IRIS_DEPLOYMENT, out / "prod" / "pu-alice-pa-iris" / "sourcemap.json"
    edited.write_text("kind: Deployment\n")
    deleted.unlink()
    run = check(out)
    assert run.code == 1
    assert stale_lines(run) == sorted([f"{edited}: stale", f"{deleted}: stale"])


def test_missing_output_is_stale_not_an_error(tmp_path: Path) -> None:
    run = check(tmp_path / "never-built")
    assert run.code == 1
    assert len(stale_lines(run)) == sum(1 for p in RENDERED.rglob("*") if p.is_file() and p.name != ".mlcc-output")
    assert not (tmp_path / "never-built").exists()
