"""The runtime image built from ``runtime-image/Dockerfile``: its configuration (non-root UID
10001, entrypoint), the copy-injection folder the rendered init container copies, and serving the
iris example from a module image built ``FROM`` it (injection mode "image")."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import imagetools as it
from imagetools import IRIS

SAMPLES = [([5.1, 3.5, 1.4, 0.2], 0, "setosa"), ([6.4, 3.2, 4.5, 1.5], 1, "versicolor"),
           ([6.3, 3.3, 6.0, 2.5], 2, "virginica")]
MODULE_CONTAINERFILE = Path(__file__).resolve().parent / "module.Containerfile"
RUNTIME_BUDGET = 120_000_000  # bytes the runtime adds to its base, uncompressed (README.md)


def post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def assert_iris_predicts(base: str) -> None:
    with urllib.request.urlopen(base + "/v2/health/ready", timeout=5) as r:
        assert r.status == 200
    status, answer = post_json(base + "/predict", {
        "inputs": [{"name": "features", "datatype": "FP32", "shape": [3, 4],
                    "data": [v for f, _, _ in SAMPLES for v in f]}],
        "output_fields": [{"name": "class"}, {"name": "species"}]})
    assert status == 200, answer
    outputs = {o["name"]: o for o in answer["outputs"]}
    assert outputs["class"]["data"] == [c for _, c, _ in SAMPLES]
    assert outputs["species"]["data"] == [s for _, _, s in SAMPLES]


@pytest.fixture(scope="module")
def runtime_ctr(runtime_image):
    """One working container of the runtime image for the read-only checks (with vfs storage every
    container is a full copy of the image)."""
    ctr = it.Container(runtime_image)
    yield ctr
    ctr.remove()


def test_image_runs_as_uid_10001_with_the_runtime_entrypoint(runtime_image, runtime_ctr):
    config = it.image_config(runtime_image)["OCIv1"]["config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["mlcc-runtime"] and config["Cmd"] == ["serve"]
    assert "8002/tcp" in config.get("ExposedPorts", {})
    ctr = runtime_ctr
    ids = ctr.run(["sh", "-c", "id -u; id -g; command -v mlcc-runtime"]).stdout.split()
    assert ids == ["10001", "10001", "/opt/venv/bin/mlcc-runtime"]
    assert "usage" in ctr.run(["mlcc-runtime", "--help"]).stdout.lower()


def test_final_stage_has_no_build_tools(runtime_ctr):
    script = ("for t in gcc cc make git strip; do command -v $t || true; done; "
              "test -d /wheels || test -d /src || echo clean")
    assert runtime_ctr.run(["sh", "-c", script]).stdout.split() == ["clean"]


def test_image_size_is_within_budget(runtime_image, runtime_base):
    size, base = it.image_size(runtime_image), it.image_size(runtime_base)
    print(f"runtime image: {size / 1e6:.1f} MB, of which the base {base / 1e6:.1f} MB")
    assert size - base < RUNTIME_BUDGET


def test_rendered_init_container_matches_the_image(rendered, runtime_ctr):
    init, app, pod = rendered["init"], rendered["app"], rendered["pod"]
    command = init["command"]
    assert command[:2] == ["cp", "-a"] and command[2].endswith("/.")
    source, target = command[2][:-2], command[3].rstrip("/")
    init_mount = next(m for m in init["volumeMounts"] if m["mountPath"].rstrip("/") == target)
    app_mount = next(m for m in app["volumeMounts"] if m["name"] == init_mount["name"])
    assert app_mount["mountPath"].rstrip("/") == target and app_mount.get("readOnly")
    assert rendered["env"]["PYTHONPATH"] == target
    volume = next(v for v in pod["volumes"] if v["name"] == init_mount["name"])
    assert "emptyDir" in volume
    assert "mlcc-runtime" in init["image"]
    assert pod["securityContext"]["runAsUser"] == 10001
    listing = runtime_ctr.run(["sh", "-c", f"test -f {source}/mlcc_runtime/__main__.py && "
                       f"test ! -e {source}/bin && ls {source}"]).stdout.split()
    for package in ("mlcc_runtime", "starlette", "uvicorn", "orjson", "prometheus_client",
                    "boto3"):
        assert package in listing


def test_site_folder_carries_extension_modules_for_each_python(runtime_ctr):
    found = runtime_ctr.run(["sh", "-c", "cd /opt/mlcc-runtime/site && "
                             "ls orjson uvloop httptools/parser"]).stdout
    for minor in ("311", "312", "313", "314"):
        assert f"orjson.cpython-{minor}-" in found
        assert f"loop.cpython-{minor}-" in found
        assert f"parser.cpython-{minor}-" in found


def test_serve_iris_from_a_module_image_based_on_the_runtime(rendered, runtime_image,
                                                              container_factory, tmp_path):
    module_image = it.build(IRIS, "localhost/iris-on-runtime:test",
                            containerfile=MODULE_CONTAINERFILE,
                            build_args={"RUNTIME_IMAGE": runtime_image})
    ctr = container_factory(module_image)
    env = dict(rendered["env"])  # MLCC_FUNCTION, MLCC_PYTHON_PATH, MLCC_MODEL_KEY, ...
    env.pop("PYTHONPATH", None)  # the image has the runtime itself: no injected folder
    models_dir = str(Path(env["MLCC_MODEL_KEY"]).parent)
    # train with the module image's own scikit-learn, as the image's user
    models = it.owned_dir(tmp_path / "models")
    ctr.run(["python", "/src/train.py", f"{models_dir}/iris.joblib"],
            volumes=[f"{IRIS}:/src:ro", f"{models}:{models_dir}"])
    port = it.free_port()
    env.update({"MLCC_PORT": str(port), "MLCC_HOST": "127.0.0.1"})
    code_dir = env["MLCC_PYTHON_PATH"]
    with ctr.serve(["mlcc-runtime", "serve"], port, env=env,
                   volumes=[f"{IRIS / 'iris'}:{code_dir}/iris:ro", f"{models}:{models_dir}:ro",
                            *rendered["config_volumes"]]
                   ) as base:
        assert_iris_predicts(base)
