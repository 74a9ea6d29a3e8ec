"""Copy injection between real images, as the rendered Deployment does it.

The developer image is ``modules/iris/Dockerfile`` (code and dependencies, no runtime) on a plain
Python base: Debian bookworm (Python 3.11, the runtime image's own) and Debian trixie (Python 3.13).
The init container's command, the shared volume's mount paths, the app container's command and its
environment (``PYTHONPATH`` and the runtime ConfigMap) are all read from ``mlcc build`` output."""

from __future__ import annotations

import pytest

import imagetools as it
from test_image_runtime import assert_iris_predicts

DEVELOPER = {"bookworm": "3.11", "trixie": "3.13"}


def mount_path(container: dict, volume: str) -> str:
    return next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume)


@pytest.fixture(scope="module")
def injected_runtime(rendered, runtime_image, tmp_path_factory):
    """The emptyDir after the init container ran: the runtime image's own command, as the pod's
    user, with the volume at the rendered mount path."""
    init, pod = rendered["init"], rendered["pod"]
    user = f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"
    target = init["command"][-1].rstrip("/")
    volume = next(m["name"] for m in init["volumeMounts"] if m["mountPath"].rstrip("/") == target)
    empty_dir = it.owned_dir(tmp_path_factory.mktemp("emptydir") / volume)
    ctr = it.Container(runtime_image)
    try:
        ctr.run(init["command"], user=user,
                volumes=[f"{empty_dir}:{mount_path(init, volume)}"])
    finally:
        ctr.remove()
    assert (empty_dir / "mlcc_runtime" / "__main__.py").is_file()
    return {"dir": empty_dir, "volume": volume, "user": user}


def test_developer_image_has_no_runtime(developer_image, container_factory):
    ctr = container_factory(developer_image("bookworm"))
    probe = ctr.run(["python", "-c", "import importlib.util as u; "
                     "print([m for m in ('mlcc_runtime', 'starlette', 'uvicorn', 'orjson') "
                     "if u.find_spec(m)])"])
    assert probe.stdout.strip() == "[]"


@pytest.mark.parametrize("suite", list(DEVELOPER))
def test_serve_iris_in_the_developer_image(suite, rendered, injected_runtime, developer_image,
                                           container_factory, tmp_path):
    app, user = rendered["app"], injected_runtime["user"]
    ctr = container_factory(developer_image(suite))
    version = ctr.run(["python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    assert version.stdout.strip() == DEVELOPER[suite]

    env = dict(rendered["env"])
    models_dir = env["MLCC_MODEL_KEY"].rsplit("/", 1)[0]
    models = it.owned_dir(tmp_path / "models")
    ctr.run(["python", "train.py", env["MLCC_MODEL_KEY"]], user=user,
            volumes=[f"{models}:{models_dir}"])
    runtime_mount = f"{injected_runtime['dir']}:{mount_path(app, injected_runtime['volume'])}:ro"
    files = it.owned_dir(tmp_path / "files")

    # the compiled dependencies load natively in this Python (no silent pure-Python fallback)
    native = ctr.run(["python", "-c", "import orjson, uvloop, httptools.parser.parser, yaml; "
                      "print(orjson.__file__); print(yaml.__with_libyaml__)"],
                     env={"PYTHONPATH": env["PYTHONPATH"]}, user=user, volumes=[runtime_mount])
    assert native.stdout.split()[0].startswith(env["PYTHONPATH"] + "/orjson/")
    assert native.stdout.split()[1] == "True"

    port = it.free_port()
    env.update({"MLCC_PORT": str(port), "MLCC_HOST": "127.0.0.1"})
    with ctr.serve(app["command"], port, env=env, user=user,
                   volumes=[runtime_mount, f"{models}:{models_dir}:ro",
                            f"{files}:{env['MLCC_FILES_PATH']}", *rendered["config_volumes"]]) as base:
        assert_iris_predicts(base)
