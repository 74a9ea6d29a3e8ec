"""Fault injection: the file box (a real moto S3 server, behind a fault-injecting proxy) and the
inference function misbehave; the runtime answers 4xx/5xx with a clear message, never reports an
output it did not store, leaves nothing behind in inferenceFilesPath, and keeps serving."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import rel_functions as fns
from faultproxy import FaultProxy
from rel_support import free_port, record
from starlette.testclient import TestClient

from mlcc_runtime import s3 as s3_mod
from mlcc_runtime.app import create_app
from mlcc_runtime.config import FileBox, ServeSettings
from mlcc_runtime.service import Service

FAULTS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    record("runtime_faults", injected=sum(FAULTS.values()), kinds=dict(sorted(FAULTS.items())))


def _count(kind: str, n: int = 1) -> None:
    FAULTS[kind] = FAULTS.get(kind, 0) + n


def _client(function, **overrides: Any) -> TestClient:
    settings = ServeSettings(function=f"{function.__module__}.{function.__name__}", **overrides)
    client = TestClient(create_app(Service(settings, function)), raise_server_exceptions=False)
    client.__enter__()
    return client


@pytest.fixture
def box(s3: Any, s3_env: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    bucket = f"rel-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/in/a.txt", Body=b"hello")
    files = tmp_path / "files"
    monkeypatch.setenv("MLCC_FILES_PATH", str(files))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("MLCC_S3_READ_TIMEOUT", "1")
    monkeypatch.setenv("MLCC_S3_CONNECT_TIMEOUT", "1")
    host, port = s3_env["AWS_ENDPOINT_URL_S3"].removeprefix("http://").split(":")
    proxy = FaultProxy((host, int(port)))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    clients: list[TestClient] = []

    def serve(function=fns.copy_file, **overrides: Any) -> TestClient:
        c = _client(function, files=FileBox(bucket=bucket, local_path=str(files)), **overrides)
        clients.append(c)
        return c

    yield {"bucket": bucket, "files": files, "proxy": proxy, "serve": serve}
    for c in clients:
        c.__exit__(None, None, None)
    proxy.close()
    s3_mod._clients.clear()


def _request(**params: Any) -> dict:
    return {"inputs": [{"name": "document", "datatype": "FILE", "data": ["in/a.txt"]}],
            "parameters": [{"name": k, "value": v} for k, v in params.items()]}


def _post(c: TestClient, body: dict) -> Any:
    return c.post("/predict", json=body, headers={"X-Forwarded-User": "alice"})


def _outputs(s3: Any, bucket: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="users/alice/file_groups/outputs/")
    return [o["Key"] for o in listed.get("Contents", [])]


def _assert_clean(files: Path) -> None:
    assert not files.exists() or list(files.rglob("*")) == [], list(files.rglob("*"))


def _assert_healthy(c: TestClient) -> None:
    assert c.get("/v2/health/ready").status_code == 200
    assert c.get("/v2/health/live").status_code == 200


def test_healthy_path_through_the_proxy(box, s3) -> None:
    c = box["serve"]()
    r = _post(c, _request())
    assert r.status_code == 200, r.text
    (key,) = r.json()["outputs"][0]["data"]
    assert s3.get_object(Bucket=box["bucket"], Key=key)["Body"].read() == b"hello"
    _assert_clean(box["files"])


def test_store_down_at_start(box, s3, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")  # nothing listens
    c = box["serve"]()
    for _ in range(3):
        r = _post(c, _request())
        _count("store down at start")
        assert r.status_code == 503 and "unreachable" in r.json()["error"], r.text
    _assert_clean(box["files"])
    _assert_healthy(c)
    assert c.post("/predict", json={"inputs": []}).status_code in (200, 400)  # not a FILE request


def test_store_stopped_mid_service(box, s3, monkeypatch) -> None:
    """A dedicated real moto server is stopped while the runtime serves."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    import boto3

    own = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    own.create_bucket(Bucket=box["bucket"])
    own.put_object(Bucket=box["bucket"], Key="users/alice/file_groups/in/a.txt", Body=b"hello")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://{host}:{port}")
    c = box["serve"]()
    assert _post(c, _request()).status_code == 200
    server.stop()
    r = _post(c, _request())
    _count("store stopped")
    assert r.status_code in (502, 503) and "file box" in r.json()["error"], r.text
    _assert_clean(box["files"])
    _assert_healthy(c)


@pytest.mark.parametrize("mode", ["reset", "cut"])
def test_store_dies_mid_request_then_recovers(box, s3, mode) -> None:
    c = box["serve"]()
    assert _post(c, _request()).status_code == 200  # a keep-alive connection is open now
    box["proxy"].mode = mode
    r = _post(c, _request())
    _count(f"store {mode} mid-request")
    assert r.status_code in (502, 503) and "file box" in r.json()["error"], r.text
    box["proxy"].mode = "pass"
    assert _post(c, _request()).status_code == 200
    _assert_clean(box["files"])


def test_store_slower_than_the_timeout(box, s3) -> None:
    c = box["serve"]()
    box["proxy"].mode = "hang"
    started = time.monotonic()
    r = _post(c, _request())
    _count("store hangs")
    box["proxy"].mode = "pass"
    assert time.monotonic() - started < 10
    assert r.status_code == 503 and "did not answer in time" in r.json()["error"], r.text
    assert "127.0.0.1" not in r.text  # no internal endpoint in the message
    _assert_clean(box["files"])
    _assert_healthy(c)


def test_upload_error_is_502_and_nothing_is_kept(box, s3) -> None:
    c = box["serve"]()
    box["proxy"].mode = "error_put"
    r = _post(c, _request())
    _count("upload refused")
    assert r.status_code == 502 and "upload output 'copy'" in r.json()["error"], r.text
    assert _outputs(s3, box["bucket"]) == []
    _assert_clean(box["files"])


def test_second_upload_fails_first_is_removed(box, s3) -> None:
    """Never report (or keep) half of a request's outputs."""
    c = box["serve"]()
    box["proxy"].mode, box["proxy"].after = "error_put_after", 1
    r = _post(c, _request(two=True))
    _count("second upload refused")
    assert r.status_code == 502, r.text
    assert _outputs(s3, box["bucket"]) == []
    _assert_clean(box["files"])


def test_loose_output_is_removed_when_its_upload_fails(box, s3) -> None:
    """A FILE output written straight into inferenceFilesPath (no request folder)."""
    c = box["serve"](fns.loose_file)
    box["proxy"].mode = "error_put"
    r = _post(c, {"inputs": []})
    _count("upload refused (no request folder)")
    assert r.status_code == 502, r.text
    _assert_clean(box["files"])


def test_timeout_leaves_no_files_behind(box, s3) -> None:
    c = box["serve"](timeout=0.3)
    r = _post(c, _request(sleep=1.0))
    _count("inference timeout with files")
    assert r.status_code == 504, r.text
    time.sleep(1.5)  # the function finished in the background and wrote its copy
    _assert_clean(box["files"])
    assert _outputs(s3, box["bucket"]) == []
    assert _post(c, _request()).status_code == 200


# --- the inference function misbehaves ------------------------------------------------------

@pytest.mark.parametrize("mode,status,text", [
    ("raise", 500, "inference function failed"),
    ("valueerror", 400, "x must be positive"),
    ("hang", 504, "did not finish within"),
    ("not_tuple", 500, "must return a tuple"),
    ("not_list", 500, "must return a list"),
    ("no_name", 500, "malformed output"),
    ("bad_shape", 500, "bad shape"),
    ("bad_type", 500, "unknown datatype"),
    ("unserializable", 500, ""),
    ("file_no_box", 500, "no file box"),
    ("exit", 500, ""),
])
def test_function_faults_then_healthy(mode: str, status: int, text: str) -> None:
    c = _client(fns.faulty, timeout=0.5)
    try:
        # Load the model first: a first call that hangs holds the load-once lock, and every
        # request waits for the model (README: concurrent first requests load it once).
        assert c.post("/predict", json={"inputs": []}).status_code == 200
        body = {"inputs": [], "parameters": [{"name": "mode", "value": mode}]}
        r = c.post("/predict", json=body)
        _count(f"function {mode}")
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/json"
        assert text in r.json()["error"]
        assert "secret-internal-detail" not in r.text and "Traceback" not in r.text
        _assert_healthy(c)
        ok = c.post("/predict", json={"inputs": []})
        assert ok.status_code == 200 and ok.json()["outputs"][0]["data"] == [1.0]
        v2 = c.post("/v2/models/model/infer", json={  # V2 takes one tensor at least
            "inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1.0]}],
            "parameters": {"mode": mode}})
        assert v2.status_code == status
    finally:
        c.__exit__(None, None, None)
