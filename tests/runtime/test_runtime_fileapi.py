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
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:  # what the PodMonitor
            assert r.headers["Content-Type"].startswith("text/plain")   # scrapes
            text = r.read().decode()
        assert _samples(text)[("mlcc_requests_total",
                               (("code", "200"), ("endpoint", "download")))] == 1.0
    finally:
        proc.terminate()
        proc.wait(10)


# -- metrics ---------------------------------------------------------------------------------

def _samples(text: str) -> dict[tuple[str, tuple], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_requests_by_endpoint_and_code(api, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="pfx/users/alice/file_groups/inbox/a.txt", Body=b"A")
    assert api.get("/files/users/inbox/a.txt", headers=ALICE).status_code == 200
    assert api.get("/files/users/inbox/a.txt", headers=ALICE).status_code == 200
    assert api.get("/files/users/inbox", headers=ALICE).status_code == 200
    assert api.put("/files/users/inbox/b.txt", headers=ALICE).status_code == 200
    assert api.put("/files/users/inbox/b.txt", headers=ALICE, content=b"x").status_code == 400
    assert api.get("/files/users/inbox/a.txt").status_code == 401  # refused before resolving
    assert api.get("/files/users/users/bob/file_groups/inbox/c.txt",
                   headers=ALICE).status_code == 403
    api.get("/v2/health/ready")  # probes are not counted
    r = api.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = _samples(r.text)
    requests = {labels: value for (name, labels), value in samples.items()
                if name == "mlcc_requests_total"}
    assert requests == {
        (("code", "200"), ("endpoint", "download")): 2.0,
        (("code", "401"), ("endpoint", "download")): 1.0,
        (("code", "403"), ("endpoint", "download")): 1.0,
        (("code", "200"), ("endpoint", "list")): 1.0,
        (("code", "200"), ("endpoint", "upload")): 1.0,
        (("code", "400"), ("endpoint", "upload")): 1.0,
    }
    durations = {dict(labels)["endpoint"]: value for (name, labels), value in samples.items()
                 if name == "mlcc_request_duration_seconds_count"}
    assert durations == {"download": 4.0, "list": 1.0, "upload": 2.0}
    assert samples[("mlcc_request_duration_seconds_sum", (("endpoint", "list"),))] > 0
    assert samples[("mlcc_requests_in_flight", ())] == 0.0
    assert not any(name.endswith("_created") for name, _ in samples)


def test_each_file_api_app_has_its_own_registry(bucket) -> None:
    boxes = parse_boxes([f"users=s3://{bucket}"])
    with TestClient(create_app(boxes)) as first, TestClient(create_app(boxes)) as second:
        assert first.get("/files/users/inbox/a.txt").status_code == 401
        assert _samples(first.get("/metrics").text)[
            ("mlcc_requests_total", (("code", "401"), ("endpoint", "download")))] == 1.0
        assert not any(name == "mlcc_requests_total"
                       for name, _ in _samples(second.get("/metrics").text))
        assert first.app.state.metrics.registry is not second.app.state.metrics.registry


# -- keys as the runtime answers them, bodies, long names ------------------------------------

def test_a_full_key_in_the_callers_folder_is_taken_as_it_is(api, s3, bucket) -> None:
    key = "users/alice/file_groups/outputs/r1/report.txt"
    s3.put_object(Bucket=bucket, Key="pfx/" + key, Body=b"R")
    r = api.get(f"/files/users/{key}", headers=ALICE)
    assert r.status_code == 200, r.text
    assert r.json()["key"] == key  # not users/alice/file_groups/users/alice/...
    assert _http("GET", r.json()["url"]) == b"R"
    listing = api.get("/files/users/users/alice/file_groups/outputs/r1/", headers=ALICE).json()
    assert [f["key"] for f in listing["files"]] == [key]
    # one segment below the folder is a group, as for a relative path
    assert "files" in api.get("/files/users/users/alice/file_groups/outputs",
                              headers=ALICE).json()


@pytest.mark.parametrize("path", [
    "users/bob/file_groups/inbox/c.txt",
    "users/bob/file_groups/inbox/",
    "users/alice/secrets/c.txt",  # the user's folder, but not its file groups
    "users/alicex/file_groups/c.txt",
    "users/alice",
])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_full_key_outside_the_callers_folder_is_403(api, s3, bucket, path, method) -> None:
    s3.put_object(Bucket=bucket, Key="pfx/users/bob/file_groups/inbox/c.txt", Body=b"C")
    r = api.request(method, f"/files/users/{path}", headers=ALICE)
    assert r.status_code == 403, r.text
    assert r.json() == {"error": f"{path!r} is outside your folder "
                                 "'users/alice/file_groups/'"}


@pytest.mark.parametrize("chunked", [False, True])
def test_a_put_carrying_the_file_is_refused_and_stores_nothing(api, s3, bucket,
                                                               chunked) -> None:
    content = iter([b"a,b\n", b"1,2\n"]) if chunked else b"a,b\n1,2\n"
    r = api.put("/files/users/inbox/data.csv", headers=ALICE, content=content)
    assert r.status_code == 400
    assert "pre-signed URL" in r.json()["error"] and "PUT the file to that URL" in \
        r.json()["error"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    # without a body (or an empty one) it is the first of the two steps
    for content in (None, b""):
        r = api.put("/files/users/inbox/data.csv", headers=ALICE, content=content)
        assert r.status_code == 200 and r.json()["method"] == "PUT"


def test_file_names_longer_than_255_bytes_are_refused(api) -> None:
    fits, too_long = "a" * 251 + ".txt", "é" * 126 + ".txt"  # 255 and 256 bytes
    assert api.put(f"/files/users/inbox/{fits}", headers=ALICE).status_code == 200
    for method in ("PUT", "GET"):
        r = api.request(method, f"/files/users/inbox/{too_long}", headers=ALICE)
        assert r.status_code == 400
        assert "is longer than 255 bytes" in r.json()["error"]
    r = api.put(f"/files/users/{'g' * 300}/{'d' * 300}/{'k' * 300}/{'x' * 200}/a.txt",
                headers=ALICE)
    assert r.status_code == 400 and "longer than 1024 bytes" in r.json()["error"]
