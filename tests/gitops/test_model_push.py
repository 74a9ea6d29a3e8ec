"""`mlcc model push`: a model version released through Git, against a real S3 server on loopback.

Upload under a content-addressed key, `modelPath` rewritten with every other byte of the manifest
kept, the runtime's ConfigMap renamed (so Argo CD rolls the pods), and a revert gives back exactly
the objects of the previous version.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from clirun import mlcc_subprocess

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "pu-alice-pa-iris"


@pytest.fixture()
def s3(monkeypatch) -> str:
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="ml-modules")
    yield endpoint
    server.stop()


def _repo(tmp_path: Path, endpoint: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "modules" / "iris", repo / "modules" / "iris", ignore=shutil.ignore_patterns("data", "__pycache__"))
    env = repo / "overlays" / "lab" / "environment.yaml"
    env.parent.mkdir(parents=True)
    env.write_text(
        "apiVersion: unified-platform.cs.hse.ru/v1\nkind: Environment\nmetadata: {name: lab}\n"
        "spec:\n  storage:\n    provider: external\n"
        f"    external: {{endpoint: '{endpoint}', bucket: ml-modules}}\n"
    )
    return repo


def _run(repo: Path, *args: str):
    run = mlcc_subprocess(*args, cwd=repo)
    assert run.code == 0, run.text
    return run


def _runtime_config(repo: Path) -> dict:
    _run(repo, "build", "modules", "-o", "out", "--no-cache")
    (path,) = (repo / "out" / "lab" / NAMESPACE).glob("configmap-iris-mlcmp-runtime.yaml")
    return yaml.safe_load(path.read_text())


def test_push_uploads_pins_and_rolls_and_a_revert_rolls_back(tmp_path: Path, s3: str) -> None:
    import boto3

    repo = _repo(tmp_path, s3)
    manifest = repo / "modules" / "iris" / "iris-mlcmp.yaml"
    before_text = manifest.read_text()
    before = _runtime_config(repo)
    v1, v2 = tmp_path / "iris.joblib", tmp_path / "v2" / "iris.joblib"
    v2.parent.mkdir()
    v1.write_bytes(b"model version one")
    v2.write_bytes(b"model version two")

    run = _run(repo, "model", "push", str(v1), "modules/iris", "--env", "lab")
    first = yaml.safe_load(manifest.read_text())["spec"]["mlService"]["inference"]["model"]["modelPath"]
    assert first.startswith("/home/app/models/iris-") and first.endswith(".joblib") and first in run.out
    # Only the value changed: comments, order and quoting of the rest are the developer's.
    assert manifest.read_text() == before_text.replace("/home/app/models/iris.joblib", first)
    key = f"{NAMESPACE}/models/users/developer/file_groups/models/{first.rsplit('/', 1)[1]}"
    s3_client = boto3.client("s3", endpoint_url=s3, region_name="us-east-1")
    assert s3_client.get_object(Bucket="ml-modules", Key=key)["Body"].read() == b"model version one"
    released = _runtime_config(repo)
    assert released["data"]["MLCC_MODEL_KEY"] == first
    # A new ConfigMap name is a new pod template: Argo CD's sync rolls the Deployment.
    assert released["metadata"]["name"] != before["metadata"]["name"]

    again = _run(repo, "model", "push", str(v1), "modules/iris", "--env", "lab")
    assert "nothing to commit" in again.out  # the same bytes are the same version

    _run(repo, "model", "push", str(v2), "modules/iris", "--env", "lab")
    second = yaml.safe_load(manifest.read_text())["spec"]["mlService"]["inference"]["model"]["modelPath"]
    assert second != first
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket="ml-modules")["Contents"]}
    assert key in keys and len(keys) == 2  # the previous version stays for a rollback

    # `git revert` of the second release = the manifest as the first release left it.
    manifest.write_text(before_text.replace("/home/app/models/iris.joblib", first))
    assert _runtime_config(repo) == released


def test_local_push_seeds_what_mlcc_run_serves(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "http://127.0.0.1:9")
    model = tmp_path / "iris.joblib"
    model.write_bytes(b"weights")
    _run(repo, "model", "push", str(model), "modules/iris", "--local")
    seeded = list((repo / "modules" / "iris" / "data" / "models").rglob("iris-*.joblib"))
    assert len(seeded) == 1 and seeded[0].read_bytes() == b"weights"
    assert seeded[0].relative_to(repo / "modules" / "iris" / "data" / "models").parent.as_posix() == "users/developer/file_groups/models"


def test_an_environment_that_generates_bucket_names_asks_for_the_bucket(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "modules" / "iris", repo / "modules" / "iris", ignore=shutil.ignore_patterns("data", "__pycache__"))
    shutil.copytree(ROOT / "overlays", repo / "overlays")
    model = tmp_path / "iris.joblib"
    model.write_bytes(b"weights")
    run = mlcc_subprocess("model", "push", str(model), "modules/iris", "--env", "dev", cwd=repo)
    assert run.code == 2 and "--bucket" in run.err and "get configmap box-models" in run.err
    assert "https://s3.dev.example.com" in run.err and "Secret box-models" in run.err
