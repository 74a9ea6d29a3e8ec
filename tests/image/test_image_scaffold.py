"""The image `mlcc init` scaffolds builds for real, with a requirement that installs, and warms up.

Before: the scaffolded Dockerfile ran `pip install -r requirements.txt` as uid 10001 over the
root-owned environment of the runtime image, so it failed as soon as requirements.txt listed a
package.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import imagetools as it

MLCC = Path(sys.executable).parent / "mlcc"


def test_scaffolded_image_builds_with_a_requirement_and_warms_up(runtime_image, container_factory, tmp_path):
    it.run([str(MLCC), "init", "modules/scorer", "--owner", "bob"], cwd=tmp_path, timeout=120)
    module = tmp_path / "modules" / "scorer"
    # a small pure-Python package from the registry, installed as the image's root, then dropped to 10001
    (module / "requirements.txt").write_text("six==1.16.0\n")
    image = it.build(module, "localhost/scorer-scaffold:test", build_args={"RUNTIME_IMAGE": runtime_image})
    assert it.image_config(image)["OCIv1"]["config"].get("User") == "10001:10001"
    ctr = container_factory(image)
    assert ctr.run(["python", "-c", "import six, scorer.predict; print(six.__version__)"]).stdout.strip() == "1.16.0"
    models = it.owned_dir(tmp_path / "models")
    (models / "model.json").write_text((module / "data/models/users/developer/file_groups/models/model.json").read_text())
    config = it.owned_dir(tmp_path / "config")
    (config / "examples.json").write_text((module / "examples.json").read_text())
    port = it.free_port()
    env = {
        "MLCC_FUNCTION": "scorer.predict.inference", "MLCC_PYTHON_PATH": "/home/app",
        "MLCC_MODEL_KEY": "/home/app/models/model.json", "MLCC_EXAMPLES_FILE": "/mlcc-config/examples.json",
        "MLCC_PORT": str(port), "MLCC_HOST": "127.0.0.1",
    }
    volumes = [f"{models}:/home/app/models:ro", f"{config}:/mlcc-config:ro"]
    with ctr.serve(["mlcc-runtime", "serve"], port, env=env, volumes=volumes) as base:
        # ready only after the warm-up example ran through the function, model load included
        with urllib.request.urlopen(f"{base}/v2/health/ready", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{base}/openapi.json", timeout=10) as response:
            assert "two-rows" in json.dumps(json.loads(response.read()))
