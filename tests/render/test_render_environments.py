"""Environments (overlays/<name>/environment.yaml) are checked like modules: each mistake is a
located diagnostic, the build exits 1 and writes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rendertools import API, Tree, copy_modules, mlcc_inprocess, runtime_config, snapshot, write_env

# case: (environment.yaml after its apiVersion/kind lines, code, (line, column) in the file, words)
BROKEN = {
    "typo-field": (
        "metadata:\n  name: x\nspec:\n  domian: ml.example.com\n",
        "MLCC201", (6, 3), "domian",
    ),
    "gateway-without-gateway": (
        "metadata:\n  name: x\nspec:\n  routes:\n    style: gateway\n",
        "MLCC203", (6, 3), "gateway",
    ),
    "csi-mount-with-obc": (
        "metadata:\n  name: x\nspec:\n  storage:\n    provider: obc\n    mount: csi\n",
        "MLCC203", (6, 3), "csi",
    ),
    "folder-name-mismatch": (
        "metadata:\n  name: y\nspec: {}\n",
        "MLCC701", (4, 9), "folder 'x'",
    ),
    "unpinned-runtime-image": (
        "metadata:\n  name: x\nspec:\n  runtime:\n    image: registry.example.com/mlcc-runtime:latest\n",
        "MLCC203", (7, 12), "image",
    ),
    "bad-injection-mode": (
        "metadata:\n  name: x\nspec:\n  runtime:\n    injection: vendored\n",
        "MLCC203", (7, 16), "injection",
    ),
    "csi-provider-without-section": (
        "metadata:\n  name: x\nspec:\n  storage:\n    provider: csi-s3\n    mount: csi\n",
        "MLCC203", (6, 3), "csiS3",
    ),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy_modules(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_environment_is_a_located_error_and_nothing_is_written(repo: Path, case: str) -> None:
    body, code, (line, column), words = BROKEN[case]
    path = repo / "overlays" / "x" / "environment.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(f"apiVersion: {API}\nkind: Environment\n{body}")

    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=repo)

    assert run.code == 1, run.text
    found = [d for d in run.diagnostics() if d["file"] == "overlays/x/environment.yaml"]
    assert found, run.err
    first = found[0]
    assert first["code"] == code, run.err
    assert (int(first["line"]), int(first["col"])) == (line, column), run.err
    assert words in first["message"], run.err
    assert "nothing under out was changed" in run.err
    assert not (repo / "out").exists()


def test_broken_environment_leaves_previous_output_untouched(repo: Path) -> None:
    write_env(repo / "overlays", "dev", {"domain": "ml.dev.example.com"})
    assert mlcc_inprocess("build", "modules", "-o", "out", cwd=repo).code == 0
    before = snapshot(repo / "out")
    write_env(repo / "overlays", "dev", {"domain": "ml.dev.example.com", "replica": 2})
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=repo)
    assert run.code == 1
    assert any(d["code"] == "MLCC201" for d in run.diagnostics())
    assert snapshot(repo / "out") == before


def test_every_problem_of_every_environment_is_reported_at_once(repo: Path) -> None:
    write_env(repo / "overlays", "a", {"domian": "x"})
    write_env(repo / "overlays", "b", {"replicas": -1})
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=repo)
    assert run.code == 1
    files = {d["file"] for d in run.diagnostics()}
    assert files == {"overlays/a/environment.yaml", "overlays/b/environment.yaml"}


def test_unknown_env_is_a_usage_error(repo: Path) -> None:
    write_env(repo / "overlays", "dev", {})
    run = mlcc_inprocess("build", "modules", "-o", "out", "--env", "nope", cwd=repo)
    assert run.code == 2, run.text
    assert "nope" in run.err and "dev" in run.err
    assert not (repo / "out").exists()


def test_overlays_folder_that_does_not_exist(repo: Path) -> None:
    run = mlcc_inprocess("build", "modules", "-o", "out", "--overlays", "missing", cwd=repo)
    assert run.code == 1
    assert "MLCC701" in run.err
    assert not (repo / "out").exists()


def test_package_registry_missing_from_an_environment_names_it(repo: Path) -> None:
    write_env(repo / "overlays", "dev", {})
    write_env(repo / "overlays", "edge", {"packageRegistries": {"internal": "https://pypi.edge.example.com/simple"}})
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=repo)
    assert run.code == 1, run.text
    found = [d for d in run.diagnostics() if d["code"] == "MLCC304"]
    assert {d["file"] for d in found} == {"modules/iris/iris-mlcmp.yaml", "modules/textstats/textstats-mlcmp.yaml"}
    for d in found:
        assert "environment 'edge'" in d["message"]
        assert "environment 'dev'" not in d["message"]
        source = (repo / d["file"]).read_text().splitlines()[int(d["line"]) - 1]
        assert source[int(d["col"]) - 1:].startswith("python-package-registry")
    assert not (repo / "out").exists()


def test_selecting_the_environment_that_has_the_registry_builds(repo: Path) -> None:
    """MLCC304 is about the environments being built: leave the odd one out and it builds."""
    write_env(repo / "overlays", "dev", {})
    write_env(repo / "overlays", "edge", {"packageRegistries": {"internal": "https://pypi.edge.example.com/simple"}})
    run = mlcc_inprocess("build", "modules", "-o", "out", "--env", "dev", cwd=repo)
    assert run.code == 0, run.text
    assert Tree(repo / "out").envs() == ["dev"]


def test_runtime_configmap_name_changes_with_the_function(repo: Path) -> None:
    """Content-hashed name: pods roll when what the runtime is told changes."""
    write_env(repo / "overlays", "dev", {})
    assert mlcc_inprocess("build", "modules", "-o", "before", cwd=repo).code == 0
    iris = repo / "modules" / "iris"
    (iris / "iris" / "predict_v2.py").write_text((iris / "iris" / "predict.py").read_text())
    manifest = iris / "iris-mlcmp.yaml"
    manifest.write_text(manifest.read_text().replace("iris.predict.inference", "iris.predict_v2.inference"))
    assert mlcc_inprocess("build", "modules", "-o", "after", cwd=repo).code == 0

    names = []
    for out in ("before", "after"):
        tree = Tree(repo / out)
        config_map = runtime_config(tree, "dev", "pu-alice-pa-iris")
        name = config_map["metadata"]["name"]
        deployment = tree.get("dev", "pu-alice-pa-iris", "Deployment", "iris-mlcmp")
        assert {"configMapRef": {"name": name}} in deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        names.append(name)
    assert names[0] != names[1]
    assert all(re.fullmatch(r"iris-mlcmp-runtime-[0-9a-f]{10}", n) for n in names)
    # Only the ConfigMap and the Deployment that points at it change; the other module not at all.
    before, after = repo / "before" / "dev", repo / "after" / "dev"
    changed = sorted(
        p.relative_to(before).as_posix()
        for p in before.rglob("*.yaml")
        if p.read_bytes() != (after / p.relative_to(before)).read_bytes()
    )
    assert changed == ["pu-alice-pa-iris/configmap-iris-mlcmp-runtime.yaml", "pu-alice-pa-iris/deployment-iris-mlcmp.yaml"]


def test_oidc_on_gateway_needs_the_external_auth_service(tmp_path: Path) -> None:
    from rendertools import make_oidc_module

    modules = tmp_path / "modules"
    make_oidc_module(modules)
    write_env(
        tmp_path / "overlays",
        "gw",
        {
            "routes": {"style": "gateway", "gateway": {"name": "public", "namespace": "gateway-system"}},
            "auth": {"oidc": {"authUrl": "https://auth.example.com/oauth2/auth"}},
        },
    )
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=tmp_path)
    assert run.code == 1
    (found,) = [d for d in run.diagnostics() if d["code"] == "MLCC702"]
    assert found["file"] == "modules/oidc/iris-api.yaml"
    assert "extAuthService" in found["message"]
    assert not (tmp_path / "out").exists()


def test_oidc_groups_are_never_silently_dropped(tmp_path: Path) -> None:
    """An API restricted to OIDC groups must not be published open to every signed-in user."""
    from rendertools import make_oidc_module

    folder = make_oidc_module(tmp_path / "modules")
    api = folder / "iris-api.yaml"
    api.write_text(api.read_text().replace("      oidc: {}\n", "      oidc:\n        groups: [ml-admins]\n", 1))
    write_env(tmp_path / "overlays", "dev", {"auth": {"oidc": {"authUrl": "https://auth.example.com/oauth2/auth"}}})
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=tmp_path)
    assert run.code == 1, run.text
    (found,) = [d for d in run.diagnostics() if d["code"] == "MLCC702"]
    assert (found["file"], int(found["line"])) == ("modules/oidc/iris-api.yaml", 14)
    assert "ml-admins" in found["message"]
    assert not (tmp_path / "out").exists()
