"""The copy injection path: ``pip install --target`` gives a self-contained folder; an init
container copies it into an emptyDir, and the developer's image — here a bare virtualenv that holds
none of the runtime's dependencies — runs ``python -m mlcc_runtime serve`` with only
``PYTHONPATH=<that folder>``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from rt_support import HERE, REPO, post_json, serve_process


@pytest.fixture(scope="module")
def injected(tmp_path_factory) -> tuple[str, str]:
    """(python of the developer's venv, copied runtime folder)."""
    root = tmp_path_factory.mktemp("inject")
    site = root / "opt-mlcc-runtime-site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--target", str(site), str(REPO / "runtime-image")],
                   check=True, capture_output=True, timeout=600)
    copied = root / "mlcc-runtime"  # the emptyDir; `cp -a /opt/mlcc-runtime/site/. /mlcc-runtime/`
    shutil.copytree(site, copied, symlinks=True)
    shutil.rmtree(site)  # nothing may point back at the install location
    venv = root / "devenv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = str(venv / "bin" / "python")
    return python, str(copied)


def test_developer_venv_has_none_of_the_runtime_dependencies(injected) -> None:
    python, _ = injected
    probe = subprocess.run([python, "-c", "import starlette"], capture_output=True, timeout=60)
    assert probe.returncode != 0


def test_serve_from_the_copied_folder(injected) -> None:
    python, copied = injected
    env = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.scale"}
    with serve_process(env, python=python, extra_path=copied) as (proc, base):
        status, answer = post_json(base + "/predict", {
            "inputs": [{"name": "x", "datatype": "FP32", "data": [1, 2]}]})
        assert status == 200 and answer["outputs"][0]["data"] == [2, 4]
        status, answer = post_json(base + "/v2/models/model/infer", {
            "inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [1.5]}]})
        assert status == 200 and answer["outputs"][0]["data"] == [3.0]
        with urllib.request.urlopen(base + "/metrics") as r:
            assert b'mlcc_requests_total{code="200",endpoint="predict"} 1.0' in r.read()
        with urllib.request.urlopen(base + "/openapi.json") as r:
            assert json.loads(r.read())["paths"]["/predict"]


def test_file_exchange_from_the_copied_folder(injected, s3, bucket, tmp_path) -> None:
    python, copied = injected
    s3.put_object(Bucket=bucket, Key="users/eve/file_groups/in/t.txt", Body=b"abc")
    env = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.upper_file",
           "MLCC_FILES_BUCKET": bucket, "MLCC_FILES_PATH": str(tmp_path / "files")}
    with serve_process(env, python=python, extra_path=copied) as (proc, base):
        status, answer = post_json(base + "/predict", {
            "inputs": [{"name": "doc", "datatype": "FILE", "data": ["in/t.txt"]}]},
            headers={"X-Forwarded-User": "eve"})
    assert status == 200, answer
    key = answer["outputs"][0]["data"][0]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"ABC"
    assert not any(Path(tmp_path / "files").iterdir())


@pytest.mark.skipif(os.environ.get("MLCC_SLOW_TESTS") != "1",
                    reason="installs numpy/scikit-learn into a fresh venv (~30 s); "
                           "set MLCC_SLOW_TESTS=1")
def test_iris_in_a_developer_venv_with_only_its_own_dependencies(injected, tmp_path) -> None:
    python, copied = injected
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
                    "--disable-pip-version-check", "numpy", "scikit-learn", "joblib"],
                   check=True, capture_output=True, timeout=600)
    iris = REPO / "modules" / "iris"
    model = tmp_path / "iris.joblib"
    subprocess.run([python, str(iris / "train.py"), str(model)], check=True,
                   capture_output=True, timeout=300)
    env = {"MLCC_PYTHON_PATH": str(iris), "MLCC_FUNCTION": "iris.predict.inference",
           "MLCC_MODEL_KEY": str(model)}
    with serve_process(env, python=python, extra_path=copied) as (proc, base):
        status, answer = post_json(base + "/predict", {"inputs": [
            {"name": "features", "datatype": "FP32", "shape": [1, 4],
             "data": [5.1, 3.5, 1.4, 0.2]}], "output_fields": [{"name": "species"}]})
    assert status == 200 and answer["outputs"][0]["data"] == ["setosa"]
