"""Hostile input: every request below answers 4xx, and nothing is read or written outside the
caller's prefix (S3) or the files folder (local)."""

from __future__ import annotations

import base64
import json
import struct
import uuid
from pathlib import Path
from typing import Any

import pytest
import rel_functions as fns
from rel_support import record
from starlette.testclient import TestClient

from mlcc_runtime import fileapi
from mlcc_runtime.app import create_app
from mlcc_runtime.config import FileBox, ServeSettings
from mlcc_runtime.service import Service

REJECTED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    record("runtime_hostile", rejected=sum(REJECTED.values()), by_status=dict(sorted(REJECTED.items())))


def _expect_4xx(r: Any, *statuses: int) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    if statuses:
        assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/json" and "error" in r.json()
    REJECTED[str(r.status_code)] = REJECTED.get(str(r.status_code), 0) + 1


def _client(function, **overrides: Any) -> TestClient:
    settings = ServeSettings(function=f"{function.__module__}.{function.__name__}", **overrides)
    c = TestClient(create_app(Service(settings, function)), raise_server_exceptions=False)
    c.__enter__()
    return c


@pytest.fixture(scope="module")
def small() -> Any:
    c = _client(fns.small, max_body_bytes=4096)
    yield c
    c.__exit__(None, None, None)


def _binary(header: dict, payload: bytes, declared: int | None = None) -> tuple[bytes, dict]:
    head = json.dumps(header).encode()
    return head + payload, {"Inference-Header-Content-Length": str(len(head) if declared is None else declared),
                            "Content-Type": "application/octet-stream"}


def test_oversize_bodies_are_413(small) -> None:
    big = b'{"inputs": [' + b" " * 5000 + b"]}"
    _expect_4xx(small.post("/predict", content=big), 413)
    _expect_4xx(small.post("/v2/models/model/infer", content=iter([big[:3000], big[3000:]])), 413)  # chunked
    assert small.get("/v2/health/ready").status_code == 200


FP = {"name": "x", "datatype": "FP32", "shape": [2]}


@pytest.mark.parametrize("case", [
    "header_not_int", "header_negative", "header_past_body", "header_zero", "size_past_body",
    "size_negative", "size_not_int", "leftover_bytes", "fp32_ragged", "bytes_truncated_length",
    "bytes_bomb_length", "header_not_json", "shape_mismatch_binary",
])
def test_malformed_binary_framing_is_400(small, case: str) -> None:
    payload = struct.pack("<2f", 1.0, 2.0)
    tensor = dict(FP, parameters={"binary_data_size": 8})
    header = {"inputs": [tensor]}
    declared = None
    if case == "header_not_int":
        body, headers = _binary(header, payload)
        headers["Inference-Header-Content-Length"] = "12abc"
    elif case == "header_negative":
        body, headers = _binary(header, payload, -5)
    elif case == "header_past_body":
        body, headers = _binary(header, payload, 10**6)
    elif case == "header_zero":
        body, headers = _binary(header, payload, 0)
    elif case == "size_past_body":
        tensor["parameters"]["binary_data_size"] = 10**9
        body, headers = _binary(header, payload)
    elif case == "size_negative":
        tensor["parameters"]["binary_data_size"] = -8
        body, headers = _binary(header, payload)
    elif case == "size_not_int":
        tensor["parameters"]["binary_data_size"] = "8"
        body, headers = _binary(header, payload)
    elif case == "leftover_bytes":
        body, headers = _binary(header, payload + b"junk")
    elif case == "fp32_ragged":
        tensor["parameters"]["binary_data_size"] = 7
        body, headers = _binary(header, payload[:7])
    elif case == "bytes_truncated_length":
        t = {"name": "x", "datatype": "BYTES", "shape": [1], "parameters": {"binary_data_size": 2}}
        body, headers = _binary({"inputs": [t]}, b"\x05\x00")
    elif case == "bytes_bomb_length":
        t = {"name": "x", "datatype": "BYTES", "shape": [1], "parameters": {"binary_data_size": 8}}
        body, headers = _binary({"inputs": [t]}, struct.pack("<I", 0xFFFFFFFF) + b"abcd")
    elif case == "header_not_json":
        body, headers = b"\xff\xfe{not json" + payload, {"Inference-Header-Content-Length": "11"}
    else:  # shape_mismatch_binary
        tensor["shape"] = [3]
        body, headers = _binary(header, payload)
    del declared
    _expect_4xx(small.post("/v2/models/model/infer", content=body, headers=headers), 400)


@pytest.mark.parametrize("tensor", [
    {"name": "x", "datatype": "FP32", "shape": [3], "data": [1.0, 2.0]},
    {"name": "x", "datatype": "FP32", "shape": [2**62, 2**62], "data": [1.0]},
    {"name": "x", "datatype": "FP32", "shape": [-1, 2], "data": [1.0, 2.0]},
    {"name": "x", "datatype": "FP32", "shape": [0, 10**18], "data": [1.0]},
    {"name": "x", "datatype": "FP32", "shape": "2", "data": [1.0, 2.0]},
    {"name": "x", "datatype": "FP32", "shape": [1.5], "data": [1.0]},
    {"name": "x", "datatype": "FP32", "shape": [True], "data": [1.0]},
    {"name": "x", "datatype": "FP32", "data": ["1.0"]},
    {"name": "x", "datatype": "FP32", "data": [[1.0], "x"]},
    {"name": "x", "datatype": "FP32", "data": [{"a": 1}]},
    {"name": "x", "datatype": "COMPLEX128", "data": [1]},
    {"name": "x", "datatype": "BYTES", "data": ["a"]},
    {"name": "", "datatype": "FP32", "data": [1.0]},
    {"name": "nope", "datatype": "FP32", "data": [1.0]},
    {"name": "x", "datatype": "INT32", "data": [1.5]},
])
def test_shape_and_data_mismatches_are_400(small, tensor: dict) -> None:
    # V2 requires a shape (422 without one, see tests/runtime/test_runtime_protocol.py): the
    # data checks are reached with the shape the data has.
    v2_tensor = dict(tensor)
    if "shape" not in v2_tensor and isinstance(v2_tensor.get("data"), list):
        v2_tensor["shape"] = [len(v2_tensor["data"])]
    for path, body in (("/predict", {"inputs": [tensor]}),
                       ("/v2/models/model/infer", {"inputs": [v2_tensor]})):
        _expect_4xx(small.post(path, json=body), 400)


def test_json_nesting_bomb_is_400(small) -> None:
    deep = b'{"inputs": [{"name": "x", "datatype": "FP32", "data": ' + b"[" * 1500 + b"]" * 1500 + b"}]}"
    _expect_4xx(small.post("/predict", content=deep), 400)


def test_lying_content_length_is_rejected(small) -> None:
    _expect_4xx(small.post("/predict", content=b'{"inputs": []}', headers={"Content-Length": "nope"}))


# --- FILE inputs and identity ----------------------------------------------------------------

@pytest.fixture
def filebox(s3: Any, s3_env: dict, tmp_path: Path, monkeypatch) -> Any:
    bucket = f"hostile-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="users/bob/file_groups/in/secret.txt", Body=b"bob's")
    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/in/a.txt", Body=b"alice's")
    s3.put_object(Bucket=bucket, Key="top.txt", Body=b"box root")
    files = tmp_path / "files"
    c = _client(fns.copy_file, files=FileBox(bucket=bucket, local_path=str(files)))
    yield c, bucket, files
    c.__exit__(None, None, None)


HOSTILE_KEYS = ["../bob/file_groups/in/secret.txt", "/etc/passwd", "/users/bob/file_groups/in/secret.txt",
                "users/bob/file_groups/in/secret.txt", "in/../../../bob/file_groups/in/secret.txt",
                "in\\..\\..\\bob", "in/./a.txt", "in//a.txt", "in/a.txt\x00.png", "", "..",
                "users/alice/../bob/file_groups/in/secret.txt", "in/\x1b[2Ja.txt"]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_file_input_outside_the_callers_folder_is_400(filebox, key: str) -> None:
    c, bucket, files = filebox
    body = {"inputs": [{"name": "document", "datatype": "FILE", "data": [key]}]}
    r = c.post("/predict", json=body, headers={"X-Forwarded-User": "alice"})
    _expect_4xx(r, 400)
    assert "bob's" not in r.text
    assert not files.exists() or list(files.rglob("*")) == []


@pytest.mark.parametrize("user", ["..", "bob/../alice", "a/b", "x" * 300, "\x00", "al\nice", "."])
def test_forged_user_names_are_400(filebox, user: str) -> None:
    c, _, _ = filebox
    body = {"inputs": [{"name": "document", "datatype": "FILE", "data": ["in/a.txt"]}]}
    try:
        r = c.post("/predict", json=body, headers={"X-Forwarded-User": user})
    except Exception:  # the HTTP client itself refuses some header values: nothing sent
        REJECTED["client-refused"] = REJECTED.get("client-refused", 0) + 1
        return
    _expect_4xx(r, 400)


@pytest.mark.parametrize("headers", [{}, {"X-Forwarded-User": ""}])
def test_no_user_with_identity_on_is_401_not_the_whole_box(filebox, headers: dict) -> None:
    c, bucket, files = filebox
    body = {"inputs": [{"name": "document", "datatype": "FILE",
                        "data": ["users/bob/file_groups/in/secret.txt"]}]}
    r = c.post("/predict", json=body, headers=headers)
    _expect_4xx(r, 401)
    assert "bob's" not in r.text
    assert not files.exists() or list(files.rglob("*")) == []


def test_outputs_land_only_in_the_callers_prefix(filebox, s3) -> None:
    c, bucket, files = filebox
    body = {"inputs": [{"name": "document", "datatype": "FILE", "data": ["in/a.txt"]}]}
    r = c.post("/predict", json=body, headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 200, r.text
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    new = keys - {"users/bob/file_groups/in/secret.txt", "users/alice/file_groups/in/a.txt", "top.txt"}
    assert new and all(k.startswith("users/alice/file_groups/outputs/") for k in new), new


# --- the file API ------------------------------------------------------------------------------

@pytest.fixture
def files_api(s3: Any, s3_env: dict) -> Any:
    bucket = f"fapi-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="pre/users/bob/file_groups/g/secret.txt", Body=b"bob's")
    app = fileapi.create_app(fileapi.parse_boxes([f"users=s3://{bucket}/pre"]))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("path", [
    "../bob/file_groups/g/secret.txt", "g/../../bob/file_groups/g/secret.txt", "%2e%2e/bob/x",
    "g/..%2f..%2fbob", "g//x", "g/./x", "g\\..\\x", "g/%00x",
])
def test_file_api_traversal_is_4xx(files_api, path: str) -> None:
    for method in ("GET", "PUT"):
        r = files_api.request(method, f"/files/users/{path}", headers={"X-Forwarded-User": "alice"})
        if r.status_code == 200:  # a literal key (e.g. '%2e%2e' stays text): must stay in alice's root
            key = r.json().get("key") or r.json().get("group")
            assert key.startswith("users/alice/file_groups/"), r.json()
            assert "bob's" not in r.text
            continue
        _expect_4xx(r)


def test_file_api_other_users_prefix_stays_in_callers_root(files_api) -> None:
    # a path starting with users/ is a full key (as FILE outputs answer): another user's is 403
    r = files_api.get("/files/users/users/bob/file_groups/g/secret.txt", headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 403 and "bob's" not in r.text and "url" not in r.json()
    _expect_4xx(files_api.get("/files/users/g/x.txt"), 401)  # no identity at all
    forged = base64.b64encode(b"../bob:pw").decode()
    app = fileapi.create_app(fileapi.parse_boxes(["users=s3://b/p"]), user_header="Authorization")
    with TestClient(app, raise_server_exceptions=False) as c:
        _expect_4xx(c.get("/files/users/g/x.txt", headers={"Authorization": f"Basic {forged}"}), 400)
        _expect_4xx(c.get("/files/users/g/x.txt", headers={"Authorization": "Bearer abc"}), 400)
