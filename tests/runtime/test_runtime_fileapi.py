"""``mlcc-runtime files``: pre-signed URLs that really work against an S3 server."""

from __future__ import annotations

import urllib.request

import pytest
from starlette.testclient import TestClient

from mlcc_runtime.fileapi import create_app, parse_boxes


@pytest.fixture
def api(bucket):
    boxes = parse_boxes([f"users=s3://{bucket}/pfx", f"other=s3://{bucket}"])
    with TestClient(create_app(boxes, expires=60)) as client:
        yield client


def _http(method: str, url: str, data: bytes | None = None) -> bytes:
    # an explicit type: urllib's default (form-urlencoded) makes moto's werkzeug eat the body
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.read()


ALICE = {"X-Forwarded-User": "alice"}


def test_put_then_get_through_presigned_urls(api, s3, bucket) -> None:
    r = api.put("/files/users/inbox/data.csv", headers=ALICE)
    assert r.status_code == 200
    put = r.json()
    assert put["method"] == "PUT" and put["key"] == "users/alice/file_groups/inbox/data.csv"
    _http("PUT", put["url"], b"a,b\n1,2\n")
    stored = s3.get_object(Bucket=bucket, Key="pfx/users/alice/file_groups/inbox/data.csv")
    assert stored["Body"].read() == b"a,b\n1,2\n"
    get = api.get("/files/users/inbox/data.csv", headers=ALICE).json()
    assert get["expires_in"] == 60
    assert _http("GET", get["url"]) == b"a,b\n1,2\n"


def test_group_paths_list_files(api, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="pfx/users/alice/file_groups/inbox/a.txt", Body=b"A")
    s3.put_object(Bucket=bucket, Key="pfx/users/alice/file_groups/inbox/deep/b.txt", Body=b"B")
    s3.put_object(Bucket=bucket, Key="pfx/users/bob/file_groups/inbox/c.txt", Body=b"C")
    for path in ("inbox", "inbox/"):  # one segment, or a trailing slash: a file group
        r = api.get(f"/files/users/{path}", headers=ALICE)
        assert r.status_code == 200
        files = r.json()["files"]
        assert [f["key"] for f in files] == ["users/alice/file_groups/inbox/a.txt",
                                             "users/alice/file_groups/inbox/deep/b.txt"]
        assert _http("GET", files[0]["url"]) == b"A"
    r = api.put("/files/users/inbox/", headers=ALICE)
    assert r.status_code == 400 and "names a file group" in r.json()["error"]


@pytest.mark.parametrize("path, headers, status, message", [
    ("/files/users/inbox/a.txt", {}, 401, "X-Forwarded-User is missing"),
    ("/files/nope/inbox/a.txt", ALICE, 404, "unknown box 'nope'"),
    ("/files/users/inbox/%2e%2e/%2e%2e/bob/x", ALICE, 400, "segment"),  # clients fold a plain ..
    ("/files/users/inbox//x", ALICE, 400, "segment"),
    ("/files/users/inbox/a.txt", {"X-Forwarded-User": ".."}, 400, "single path segment"),
])
def test_file_api_rejections(api, path, headers, status, message) -> None:
    r = api.get(path, headers=headers)
    assert r.status_code == status
    assert message in r.json()["error"]


def test_box_specs_are_checked() -> None:
    with pytest.raises(ValueError, match="NAME=s3://"):
        parse_boxes(["users"])
    with pytest.raises(ValueError, match="given twice"):
        parse_boxes(["a=s3://b", "a=s3://c"])
    assert parse_boxes(["a=s3://b/x/y/"])["a"].prefix == "x/y/"


def test_files_command_configured_by_env(s3, bucket) -> None:
    import json
    import os
    import subprocess
    import sys

    from rt_support import free_port, wait_http

    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/g/f.txt", Body=b"F")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    env.update({"MLCC_FILES_BOXES": f"users=s3://{bucket},models=s3://{bucket}/m",
                "MLCC_HOST": "127.0.0.1", "MLCC_PORT": str(port)})
    proc = subprocess.Popen([sys.executable, "-m", "mlcc_runtime", "files"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/v2/health/ready", proc=proc)
        request = urllib.request.Request(base + "/files/users/g/f.txt", headers=ALICE)
        with urllib.request.urlopen(request, timeout=10) as r:
            answer = json.loads(r.read())
        assert _http("GET", answer["url"]) == b"F"
    finally:
        proc.terminate()
        proc.wait(10)
