"""A failed build writes nothing: the previous output stays byte-for-byte (and mtime-for-mtime)
as it was, whatever stage failed. mlcc never replaces a folder it did not write."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rendertools import (
    Tree,
    copy_modules,
    make_oidc_module,
    mlcc_inprocess,
    mlcc_subprocess,
    snapshot,
    write_env,
)


def _line_of(path: Path, needle: str) -> tuple[int, int]:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture
def built(scratch: Path) -> Path:
    """The scratch repo built once into out/; returns the repo."""
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=scratch)
    assert run.code == 0, run.text
    return scratch


def test_broken_reference_fails_with_a_located_diagnostic_and_changes_nothing(built: Path) -> None:
    before = snapshot(built / "out")
    manifest = built / "modules" / "iris" / "iris-mlcmp.yaml"
    manifest.write_text(manifest.read_text().replace("s3BoxName: models", "s3BoxName: modelz"))
    line, column = _line_of(manifest, "modelz")

    run = mlcc_subprocess("build", "modules", "-o", "out", cwd=built)

    assert run.code == 1, run.text
    diagnostics = run.diagnostics()
    assert diagnostics, run.err
    first = diagnostics[0]
    assert (first["file"], int(first["line"]), int(first["col"])) == ("modules/iris/iris-mlcmp.yaml", line, column)
    assert first["code"].startswith("MLCC3")
    assert "modelz" in first["message"]
    assert "help:" in run.err  # a likely fix comes with it
    assert snapshot(built / "out") == before


def test_module_the_environment_cannot_render_fails_and_changes_nothing(built: Path) -> None:
    """OIDC on an environment with no auth endpoint is found while rendering (MLCC702)."""
    before = snapshot(built / "out")
    make_oidc_module(built / "modules")
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=built)
    assert run.code == 1, run.text
    codes = {(d["file"], d["code"]) for d in run.diagnostics()}
    assert ("modules/oidc/iris-api.yaml", "MLCC702") in codes, run.err
    assert "oidc" in run.err
    assert snapshot(built / "out") == before


def test_invalid_rendered_object_is_a_loud_compiler_bug_and_changes_nothing(built: Path, monkeypatch) -> None:
    """An emitter bug (here: a privileged init container) is caught by verification (MLCC901)."""
    from mlcc.render.providers import runtime as injection

    def escalating() -> dict:
        return {"allowPrivilegeEscalation": True, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True, "seccompProfile": {"type": "RuntimeDefault"}}

    monkeypatch.setattr(injection, "container_security_context", escalating)
    before = snapshot(built / "out")
    run = mlcc_inprocess("build", "modules", "-o", "out", "--no-cache", cwd=built)  # patched code is not a source change
    assert run.code == 1, run.text
    bugs = [d for d in run.diagnostics() if d["code"] == "MLCC901"]
    assert bugs, run.err
    assert all(d["file"].endswith("-mlcmp.yaml") for d in bugs)
    assert "Deployment" in bugs[0]["message"] and "allowPrivilegeEscalation" in bugs[0]["message"]
    assert "bug in mlcc" in run.err
    assert snapshot(built / "out") == before


def test_output_folder_not_written_by_mlcc_is_refused_and_left_alone(scratch: Path) -> None:
    foreign = scratch / "docs"
    (foreign / "dev").mkdir(parents=True)
    (foreign / "index.md").write_text("hand-written\n")
    (foreign / "dev" / "notes.yaml").write_text("a: 1\n")
    before = snapshot(foreign)
    run = mlcc_inprocess("build", "modules", "-o", "docs", cwd=scratch)
    assert run.code == 1, run.text
    assert "not written by mlcc" in run.err
    assert snapshot(foreign) == before


def test_output_path_that_is_a_file_is_refused(scratch: Path) -> None:
    (scratch / "out").write_text("not a folder\n")
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=scratch)
    assert run.code == 1
    assert (scratch / "out").read_text() == "not a folder\n"


def test_empty_or_new_output_folder_is_written_with_its_marker(scratch: Path) -> None:
    (scratch / "empty").mkdir()
    for target in ("empty", "new/nested"):
        run = mlcc_inprocess("build", "modules", "-o", target, cwd=scratch)
        assert run.code == 0, run.text
        assert (scratch / target / ".mlcc-output").is_file()
        assert Tree(scratch / target).envs() == ["dev", "prod"]
        assert not list((scratch / target).glob(".mlcc-staging-*"))


def test_building_one_environment_leaves_the_others_untouched(built: Path) -> None:
    prod = snapshot(built / "out" / "prod")
    overlay = built / "overlays" / "dev" / "environment.yaml"
    overlay.write_text(overlay.read_text().replace("replicas: 1", "replicas: 3"))
    run = mlcc_inprocess("build", "modules", "-o", "out", "--env", "dev", cwd=built)
    assert run.code == 0, run.text
    assert snapshot(built / "out" / "prod") == prod
    assert "replicas: 3" in (built / "out" / "dev" / "pu-alice-pa-iris" / "deployment-iris-mlcmp.yaml").read_text()


def test_a_rebuild_removes_objects_whose_source_is_gone(built: Path) -> None:
    (built / "modules" / "iris" / "files-api.yaml").unlink()
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=built)
    assert run.code == 0, run.text
    folder = built / "out" / "dev" / "pu-alice-pa-iris"
    assert not (folder / "ingress-files-api.yaml").exists()
    assert not (folder / "deployment-files-users.yaml").exists()
    assert "files-api" not in (folder / "kustomization.yaml").read_text()


def test_a_removed_environment_leaves_no_stale_folder(built: Path) -> None:
    """Dropping overlays/dev/ must not leave rendered/dev/ (and its Argo CD apps) behind."""
    write_env(built / "overlays", "staging", {"domain": "ml.staging.example.com"})
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=built)
    assert run.code == 0, run.text
    assert Tree(built / "out").envs() == ["dev", "prod", "staging"]

    for path in sorted((built / "overlays" / "staging").iterdir()):
        path.unlink()
    (built / "overlays" / "staging").rmdir()
    check = mlcc_inprocess("build", "modules", "-o", "out", "--check", cwd=built)
    assert check.code == 1, check.text
    assert re.search(r"out/staging/argocd/application-staging-pu-alice-pa-iris\.yaml: stale", check.out), check.out

    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=built)
    assert run.code == 0, run.text
    assert Tree(built / "out").envs() == ["dev", "prod"]
    assert mlcc_inprocess("build", "modules", "-o", "out", "--check", cwd=built).code == 0


def test_no_overlays_uses_the_builtin_default_environment(default_env_build) -> None:
    tree = default_env_build.tree
    assert tree.envs() == ["default"]
    app = tree.get("default", "argocd", "Application", "default-pu-alice-pa-iris")
    assert app["spec"]["source"]["path"] == "rendered/default/pu-alice-pa-iris"


def test_module_folders_given_as_absolute_paths_build(tmp_path: Path) -> None:
    """Module folders given one by one, as absolute paths, build like the modules root."""
    modules = copy_modules(tmp_path)
    run = mlcc_inprocess("build", modules / "iris", "-o", tmp_path / "out", cwd=tmp_path)
    assert run.code == 0, run.text
    assert {f.name for f in Tree(tmp_path / "out").folders("default")} == {"argocd", "pu-alice-pa-iris"}


def test_two_modules_in_one_namespace_fail_instead_of_overwriting_each_other(built: Path) -> None:
    """One module is one namespace: a copy of iris under another folder name would otherwise
    render into the same folder and silently replace half of it."""
    import shutil

    before = snapshot(built / "out")
    copy = built / "modules" / "iris-copy"
    shutil.copytree(built / "modules" / "iris", copy)
    for path in copy.glob("*.yaml"):
        path.write_text(path.read_text().replace("iris-mlcmp", "iris2-mlcmp").replace("name: iris-api", "name: iris2-api"))
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=built)
    assert run.code == 1, run.text
    found = [d for d in run.diagnostics() if d["code"] == "MLCC312"]
    assert found and found[0]["file"].startswith("modules/iris"), run.err
    assert "pu-alice-pa-iris" in found[0]["message"]
    assert snapshot(built / "out") == before


@pytest.mark.parametrize("part", ["modules/iris", "modules/iris/boxes.yaml"])
def test_building_some_modules_never_removes_the_others(built: Path, part: str) -> None:
    """Committing that output would make Argo CD delete every module left out."""
    before = snapshot(built / "out")
    run = mlcc_inprocess("build", part, "-o", "out", cwd=built)
    assert run.code == 1, run.text
    assert "out also holds dev/pu-bob-pa-textstats, prod/pu-bob-pa-textstats" in run.err
    assert snapshot(built / "out") == before
    assert mlcc_inprocess("build", part, "-o", "iris-only", cwd=built).code == 0


def test_a_module_deleted_from_the_modules_root_leaves_the_output(built: Path) -> None:
    shutil.rmtree(built / "modules" / "textstats")
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=built)
    assert run.code == 0, run.text
    assert sorted(p.name for p in (built / "out" / "dev").iterdir()) == ["argocd", "pu-alice-pa-iris"]


def test_a_module_built_on_its_own_may_move_to_another_namespace(tmp_path: Path) -> None:
    modules = copy_modules(tmp_path)
    assert mlcc_inprocess("build", "modules/iris", "-o", "out", cwd=tmp_path).code == 0
    for manifest in (modules / "iris").glob("*.yaml"):
        manifest.write_text(manifest.read_text().replace("namespace: pu-alice-pa-iris", "namespace: pu-alice-pa-flowers"))
    run = mlcc_inprocess("build", "modules/iris", "-o", "out", cwd=tmp_path)
    assert run.code == 0, run.text
    assert sorted(p.name for p in (tmp_path / "out" / "default").iterdir()) == ["argocd", "pu-alice-pa-flowers"]
