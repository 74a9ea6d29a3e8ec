"""The request body cap is one number: the runtime's (derived from the container's memory limit by
the runtime's own rule, or `serving.maxBodyBytes`), rendered into its configuration and into the
route, so the proxy refuses with 413 what the runtime would, and no accepted body can take the pod
past its memory limit."""

from __future__ import annotations

from pathlib import Path

import yaml
from mlcc_runtime.memory import max_body_for
from rendertools import mlcc_inprocess, scratch_repo

from mlcc.model.quantity import parse_quantity

NS = "pu-alice-pa-iris"


def _build(tmp_path: Path, edit=None) -> Path:
    repo = scratch_repo(tmp_path / "repo")
    if edit:
        manifest = repo / "modules" / "iris" / "iris-mlcmp.yaml"
        manifest.write_text(edit(manifest.read_text()))
    run = mlcc_inprocess("build", "--env", "dev", "-o", "out", "modules", cwd=repo)
    assert run.code == 0, run.text
    return repo / "out" / "dev" / NS


def _caps(folder: Path) -> tuple[int, int]:
    (config,) = [yaml.safe_load(p.read_text()) for p in folder.glob("configmap-iris-mlcmp-runtime.yaml")]
    ingress = yaml.safe_load((folder / "ingress-iris-api.yaml").read_text())
    return (int(config["data"]["MLCC_MAX_BODY_BYTES"]),
            int(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]))


def test_the_cap_follows_the_memory_limit_by_the_runtimes_rule(tmp_path: Path) -> None:
    runtime, route = _caps(_build(tmp_path))
    assert runtime == route == max_body_for(int(parse_quantity("256M")))  # iris: memory 256M
    assert runtime < 64 * 1024 * 1024  # the old fixed cap would let one body exhaust the pod


def test_serving_max_body_bytes_sets_both(tmp_path: Path) -> None:
    folder = _build(tmp_path, lambda text: text.replace(
        "      examples: examples.json\n", "      examples: examples.json\n      serving:\n        maxBodyBytes: 2Mi\n"))
    assert _caps(folder) == (2 * 1024 * 1024, 2 * 1024 * 1024)
