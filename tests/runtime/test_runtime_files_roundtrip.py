"""Files that round-trip: upload through the file API, run a FILE output, download the output by
the very key the service answered — real uvicorn servers, a real S3 server (moto, loopback) and a
real HTTP client for every step."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request

import pytest

from rt_support import make_service, running_app, running_server
from fixtures import echo_fn
from mlcc_runtime import fileapi
from mlcc_runtime.config import FileBox


def _call(method: str, url: str, data: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/octet-stream", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture
def servers(bucket, tmp_path):
    """(file API base URL, service base URL) over the same box, under a key prefix."""
    boxes = fileapi.parse_boxes([f"users=s3://{bucket}/tenant"])
    box = FileBox(bucket=bucket, prefix="tenant", local_path=str(tmp_path / "files"))
    service = make_service(echo_fn.upper_file, files=box)
    with running_app(fileapi.create_app(boxes, expires=60)) as files_at, \
            running_server(service) as service_at:
        yield f"http://{files_at}", f"http://{service_at}"


def test_upload_infer_download_by_the_returned_key(servers, s3, bucket) -> None:
    files, service = servers
    alice = {"X-Forwarded-User": "alice"}
    # 1. upload: the file API answers a pre-signed URL, the bytes go to S3
    status, body = _call("PUT", f"{files}/files/users/inbox/note.txt", headers=alice)
    assert status == 200, body
    assert _call("PUT", json.loads(body)["url"], b"round trip")[0] == 200
    # 2. a FILE input names the upload, the FILE output comes back as a box key
    request = {"inputs": [{"name": "doc", "datatype": "FILE", "data": ["inbox/note.txt"]}]}
    status, body = _call("POST", f"{service}/predict", json.dumps(request).encode(),
                         {**alice, "Content-Type": "application/json"})
    assert status == 200, body
    upper = next(o for o in json.loads(body)["outputs"] if o["name"] == "upper")
    (key,) = upper["data"]
    assert key.startswith("users/alice/file_groups/outputs/")
    # 3. that key, exactly as returned, downloads through the file API
    status, body = _call("GET", f"{files}/files/users/{key}", headers=alice)
    assert status == 200, body
    answer = json.loads(body)
    assert answer["key"] == key
    assert _call("GET", answer["url"]) == (200, b"ROUND TRIP")
    # and as a FILE input of the next call
    again = {"inputs": [{"name": "doc", "datatype": "FILE", "data": [key]}]}
    status, body = _call("POST", f"{service}/predict", json.dumps(again).encode(),
                         {**alice, "Content-Type": "application/json"})
    assert status == 200, body
    # 4. nobody else gets it, by the full key or by climbing out of their folder
    bob = {"X-Forwarded-User": "bob"}
    status, body = _call("GET", f"{files}/files/users/{key}", headers=bob)
    assert status == 403 and b"outside your folder 'users/bob/file_groups/'" in body
    status, body = _call("GET", f"{files}/files/users/{key}")  # no identity: no folder at all
    assert status == 401
    stored = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert "tenant/" + key in stored  # stored under the box prefix, found under it


def test_a_put_with_the_file_in_it_answers_400_over_http(servers, s3, bucket) -> None:
    files, _ = servers
    host, port = files.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("PUT", "/files/users/inbox/data.csv", body=b"x" * 100_000,
                           headers={"X-Forwarded-User": "alice"})
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 400
    assert "PUT the file to that URL" in body["error"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
