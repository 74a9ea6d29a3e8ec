"""`mlcc run --code DIR`: a module whose folder holds only manifests (its code lives in another
repository) runs with its code taken from a checkout of that repository."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from test_run_e2e import ROOT, Running, credentials_file

pytest.importorskip("moto")
pytest.importorskip("sklearn")

MODEL = "data/models/users/developer/file_groups/models/iris.joblib"


def test_a_manifests_only_module_runs_with_its_code_from_elsewhere(tmp_path):
    iris = ROOT / "modules" / "iris"
    # The module repository: manifests (and example requests), no Python code.
    module = tmp_path / "modules" / "iris"
    shutil.copytree(iris, module, ignore=shutil.ignore_patterns("*.py", "iris", "__pycache__", "*.joblib"))
    assert not list(module.rglob("*.py"))
    # The code repository, checked out elsewhere.
    code = tmp_path / "iris-code"
    shutil.copytree(iris / "iris", code / "iris", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, str(iris / "train.py"), str(module / MODEL)], check=True, capture_output=True)

    running = Running(module, credentials_file(tmp_path, "iris-apis-cred"), tmp_path, ("--code", str(code)))
    try:
        status, answer = running.call(
            "POST", "/pu-alice-pa-iris/iris/predict",
            {"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 4], "data": [5.1, 3.5, 1.4, 0.2]}],
             "output_fields": [{"name": "species"}]},
        )
        assert status == 200, (answer, running.output())
        assert {o["name"]: o["data"] for o in answer["outputs"]}["species"] == ["setosa"]
    finally:
        assert running.stop() == 0
