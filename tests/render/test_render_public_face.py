"""The runtime's OpenAPI document describes the service as callers reach it: the route's path
prefix (`servers`) and the auth the route applies (`securitySchemes`), both rendered from the
APIComponent that publishes the component, so the document and the route cannot disagree."""

from __future__ import annotations

from pathlib import Path

import yaml
from rendertools import mlcc_inprocess, scratch_repo

NS = "pu-alice-pa-iris"


def _runtime_config(tmp_path: Path, edit=None) -> dict:
    repo = scratch_repo(tmp_path / "repo")
    if edit:
        api = repo / "modules" / "iris" / "iris-api.yaml"
        api.write_text(edit(api.read_text()))
    run = mlcc_inprocess("build", "--env", "dev", "-o", "out", "modules", cwd=repo)
    assert run.code == 0, run.text
    folder = repo / "out" / "dev" / NS
    config = yaml.safe_load((folder / "configmap-iris-mlcmp-runtime.yaml").read_text())["data"]
    ingress = folder / "ingress-iris-api.yaml"
    return {**config, "ingress": yaml.safe_load(ingress.read_text()) if ingress.exists() else None}


def test_prefix_and_auth_follow_the_route(tmp_path: Path) -> None:
    config = _runtime_config(tmp_path)
    path = config["ingress"]["spec"]["rules"][0]["http"]["paths"][0]["path"]
    assert path.startswith(config["MLCC_PUBLIC_PREFIX"] + "(") and config["MLCC_PUBLIC_PREFIX"] == f"/{NS}/iris"
    assert config["MLCC_SECURITY"] == "basic"


def test_an_unpublished_component_has_no_public_face(tmp_path: Path) -> None:
    config = _runtime_config(tmp_path, lambda text: text.replace("published: true", "published: false"))
    assert config["ingress"] is None
    assert (config["MLCC_PUBLIC_PREFIX"], config["MLCC_SECURITY"]) == ("", "none")
