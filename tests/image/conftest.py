"""Fixtures of the image tests: the rendered Deployment of the iris example, the runtime image
built from ``runtime-image/`` on a local Debian base, and the iris developer image.

Every test here is marked ``image`` and skipped, with the reason, when buildah/debootstrap are
missing or the tests do not run as root. Deselect them with ``pytest -m "not image"``.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import imagetools as it  # noqa: E402
from imagetools import IRIS, REPO  # noqa: E402

DEVELOPER_SUITES = ["bookworm", "trixie"]  # Python 3.11 and 3.13
RUNTIME_SUITE = "bookworm"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = it.missing_prerequisites()
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.image)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _yaml_docs(path: Path) -> list[dict[str, Any]]:
    import yaml

    with open(path) as handle:
        return [d for d in yaml.safe_load_all(handle) if d]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, Any]:
    """What ``mlcc build`` renders for the iris MLComponent in ``dev``: the pod spec, the
    install-runtime init container, the inference container and its configuration."""
    out = tmp_path_factory.mktemp("rendered") / "out"
    mlcc = Path(sys.executable).parent / "mlcc"
    it.run([str(mlcc), "build", str(REPO / "modules"), "-o", str(out)], timeout=300)
    folder = out / "dev" / "pu-alice-pa-iris"
    deployment = next(d for d in _yaml_docs(folder / "deployment-iris-mlcmp.yaml")
                      if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    init = next(c for c in pod["initContainers"] if c["name"] == "install-runtime")
    app = next(c for c in pod["containers"] if c["name"] == "inference")
    configmaps = {}
    for path in folder.glob("configmap-*.yaml"):
        for doc in _yaml_docs(path):
            configmaps[doc["metadata"]["name"]] = doc.get("data") or {}
    env: dict[str, str] = {}
    for source in app.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]])
    for var in app.get("env", []):
        # literal values only: secrets, config maps of the S3 boxes and $(VAR) references belong
        # to the cluster (FILE exchange is not part of these tests)
        if "value" in var and "$(" not in var["value"]:
            env[var["name"]] = var["value"]
    # ConfigMap volumes (the examples the runtime warms up with), written as the kubelet would.
    config_volumes = []
    for volume in pod.get("volumes", []):
        if "configMap" in volume:
            folder = it.owned_dir(tmp_path_factory.mktemp(f"configmap-{volume['name']}"))
            for key, text in configmaps[volume["configMap"]["name"]].items():
                (folder / key).write_text(text)
            mount = next(m for m in app["volumeMounts"] if m["name"] == volume["name"])
            config_volumes.append(f"{folder}:{mount['mountPath']}:ro")
    return {"pod": pod, "init": init, "app": app, "env": env, "config_volumes": config_volumes}


@pytest.fixture(scope="session", autouse=True)
def prefetch_rootfs() -> Iterator[None]:
    """debootstrap the developer suites in the background while the runtime base is made (a cold
    cache costs minutes per suite); ``rootfs_tarball`` locks, so users simply wait for it."""
    def fetch(suite: str) -> None:
        try:
            it.rootfs_tarball(suite)
        except Exception:  # noqa: BLE001 - the fixture that needs it retries and reports
            pass

    threads = [threading.Thread(target=fetch, args=(suite,), daemon=True)
               for suite in DEVELOPER_SUITES if suite != RUNTIME_SUITE]
    for thread in threads:
        thread.start()
    yield
    for thread in threads:
        thread.join()


@pytest.fixture(scope="session")
def runtime_base() -> str:
    return it.base_image(RUNTIME_SUITE)


@pytest.fixture(scope="session")
def runtime_image(runtime_base) -> str:
    return it.build(REPO / "runtime-image", "localhost/mlcc-runtime:test",
                    build_args={"BASE_IMAGE": runtime_base})


@pytest.fixture
def container_factory() -> Iterator[Any]:
    made: list[it.Container] = []

    def make(image: str) -> it.Container:
        ctr = it.Container(image)
        made.append(ctr)
        return ctr

    yield make
    for ctr in made:
        ctr.remove()


@pytest.fixture(scope="session")
def developer_image() -> Any:
    """Iris developer images (``modules/iris/Dockerfile``: code and dependencies, no runtime)
    on the Debian base of a suite, built on first use."""
    built: dict[str, str] = {}

    def get(suite: str) -> str:
        if suite not in built:
            built[suite] = it.build(IRIS, f"localhost/iris-dev:{suite}",
                                    from_image=it.base_image(suite))
        return built[suite]

    return get
