"""FILE exchange with the file box, against a real S3 server (moto, loopback)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from rt_support import REPO
from fixtures import echo_fn
from mlcc_runtime.config import FileBox


@pytest.fixture
def file_client(client_for, bucket, tmp_path):
    def build(function, prefix: str = "", box_options: dict | None = None, **overrides):
        box = FileBox(bucket=bucket, prefix=prefix, local_path=str(tmp_path / "files"),
                      **(box_options or {}))
        return client_for(function, files=box, **overrides)
    return build


def _upper_request(key: str) -> dict:
    return {"inputs": [{"name": "doc", "datatype": "FILE", "data": [key], "shape": [1]}]}


def test_file_in_file_out_in_the_callers_folder(file_client, s3, bucket, tmp_path) -> None:
    s3.put_object(Bucket=bucket, Key="tenant/users/alice/file_groups/inbox/note.txt",
                  Body=b"hello box")
    c = file_client(echo_fn.upper_file, prefix="tenant")
    r = c.post("/predict", json=_upper_request("inbox/note.txt"),
               headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 200, r.text
    upper, size = r.json()["outputs"]
    assert size["data"] == [9]
    (key,) = upper["data"]
    assert key.startswith("users/alice/file_groups/outputs/") and key.endswith("/note.upper.txt")
    obj = s3.get_object(Bucket=bucket, Key="tenant/" + key)
    assert obj["Body"].read() == b"HELLO BOX"
    assert obj["ContentType"] == "text/plain"
    # the per-request folder is gone; nothing is left behind under inferenceFilesPath
    assert list((tmp_path / "files").iterdir()) == []
    # a full key inside the caller's folder is accepted too (e.g. a previous output)
    r = c.post("/predict", json=_upper_request(key), headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 200


@pytest.mark.parametrize("key, user, message", [
    ("../bob/file_groups/x.txt", "alice", "'..' segment"),
    ("users/bob/file_groups/inbox/note.txt", "alice", "outside your folder"),
    ("/etc/passwd", "alice", "must be relative"),
    ("inbox/note.txt", "../alice", "not a single path segment"),
    ("inbox/missing.txt", "alice", "no file 'users/alice/file_groups/inbox/missing.txt'"),
])
def test_file_inputs_outside_the_folder_or_missing_are_400(file_client, s3, bucket, key, user,
                                                           message) -> None:
    s3.put_object(Bucket=bucket, Key="users/bob/file_groups/inbox/note.txt", Body=b"secret")
    c = file_client(echo_fn.upper_file)
    r = c.post("/predict", json=_upper_request(key), headers={"X-Forwarded-User": user})
    assert r.status_code == 400
    assert message in r.json()["error"]


def test_output_written_outside_the_files_folder_is_500(file_client, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/a.txt", Body=b"x")
    c = file_client(echo_fn.upper_file)
    body = _upper_request("a.txt") | {"parameters": [{"name": "escape", "value": True}]}
    r = c.post("/predict", json=body, headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 500 and "outside the files folder" in r.json()["error"]


def test_file_output_without_file_input(file_client, s3, bucket, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLCC_FILES_PATH", str(tmp_path / "files"))
    c = file_client(echo_fn.make_file, user_header="none")
    r = c.post("/predict", json={"inputs": []})  # identity off: outputs belong to "anonymous"
    assert r.status_code == 200, r.text
    (key,) = r.json()["outputs"][0]["data"]
    assert key.startswith("users/anonymous/file_groups/outputs/")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"report"
    assert list((tmp_path / "files").iterdir()) == []  # uploaded and removed


def test_file_input_without_a_file_box_is_400(client_for) -> None:
    c = client_for(echo_fn.upper_file)
    r = c.post("/predict", json=_upper_request("a.txt"))
    assert r.status_code == 400 and "no file box" in r.json()["error"]


def test_failed_upload_is_502_not_a_silently_lost_output(client_for, s3_endpoint, tmp_path,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("MLCC_FILES_PATH", str(tmp_path))
    box = FileBox(bucket="no-such-bucket", local_path=str(tmp_path))
    c = client_for(echo_fn.make_file, files=box)
    r = c.post("/predict", json={"inputs": []}, headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 502
    assert r.json() == {"error": "file box refused to upload output 'report': NoSuchBucket"}


def test_unreachable_store_is_503(client_for, s3_endpoint, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    c = client_for(echo_fn.upper_file, files=FileBox(bucket="b", local_path=str(tmp_path)))
    r = c.post("/predict", json=_upper_request("a.txt"), headers={"X-Forwarded-User": "al"})
    assert r.status_code == 503 and "unreachable" in r.json()["error"]
    assert list(tmp_path.iterdir()) == []  # the request folder was removed


def test_textstats_example_module_end_to_end(file_client, s3, bucket) -> None:
    module_dir = REPO / "modules" / "textstats"
    if not (module_dir / "textstats" / "analyze.py").exists():
        pytest.skip("modules/textstats is not in this tree")
    sys.path.insert(0, str(module_dir))
    try:
        analyze = importlib.import_module("textstats.analyze")
    finally:
        sys.path.remove(str(module_dir))
    stopwords = module_dir / "data/models/users/developer/file_groups/models/stopwords.txt"
    sample = module_dir / "data/users/users/alice/file_groups/inbox/sample.txt"
    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/inbox/sample.txt",
                  Body=sample.read_bytes())
    c = file_client(analyze.inference, model_key=str(stopwords))
    body = {"parameters": [{"name": "top_n", "value": 3}],
            "inputs": [{"name": "document", "datatype": "FILE", "data": ["inbox/sample.txt"],
                        "shape": [1]}],
            "output_fields": [{"name": "report"}, {"name": "word_count"}]}
    r = c.post("/predict", json=body, headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 200, r.text
    outputs = {o["name"]: o for o in r.json()["outputs"]}
    report_key = outputs["report"]["data"][0]
    assert report_key.endswith("/sample.report.json")
    import json

    report = json.loads(s3.get_object(Bucket=bucket, Key=report_key)["Body"].read())
    assert report["word_count"] == outputs["word_count"]["data"][0] > 0
    assert len(report["top_words"]) == 3


@pytest.mark.parametrize("path", ["/predict", "/v2/models/model/infer"])
def test_bytes_for_a_file_input_is_a_file_key_never_a_local_path(file_client, s3, bucket,
                                                                 tmp_path, path) -> None:
    """BYTES is the type-less textual type: for a field declared FILE it is a FILE, and its data
    go through the key checks and the download like any FILE input."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the server's secret")
    c = file_client(echo_fn.upper_file)
    for value in (str(secret), "../" * 8 + str(secret)[1:]):
        body = {"inputs": [{"name": "doc", "datatype": "BYTES", "data": [value], "shape": [1]}]}
        r = c.post(path, json=body, headers={"X-Forwarded-User": "mallory"})
        assert r.status_code == 400, r.text
        assert "secret" not in r.text.replace(str(secret), "")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0  # nothing was uploaded
    # a key in the caller's folder sent as BYTES is downloaded as a FILE
    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/in/a.txt", Body=b"hello")
    body = {"inputs": [{"name": "doc", "datatype": "BYTES", "data": ["in/a.txt"], "shape": [1]}]}
    r = c.post(path, json=body, headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 200, r.text
    assert {o["name"]: o["data"] for o in r.json()["outputs"]}["size"] == [5]


def test_bytes_for_a_file_or_text_input_is_ambiguous_and_refused(file_client, s3, bucket,
                                                                 tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the server's secret")
    c = file_client(echo_fn.file_or_text)
    r = c.post("/predict", json={"inputs": [{"name": "doc", "datatype": "BYTES",
                                             "data": [str(secret)]}]},
               headers={"X-Forwarded-User": "mallory"})
    assert r.status_code == 400, r.text
    assert "datatype BYTES; expected FILE or str" in r.json()["error"]
    r = c.post("/predict", json={"inputs": [{"name": "doc", "datatype": "str",
                                             "data": [str(secret)]}]},
               headers={"X-Forwarded-User": "mallory"})
    assert r.status_code == 200 and r.json()["outputs"][0]["data"] == [len(str(secret))]
    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/in/a.txt", Body=b"hello")
    r = c.post("/predict", json={"inputs": [{"name": "doc", "datatype": "FILE",
                                             "data": ["in/a.txt"]}]},
               headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 200 and r.json()["outputs"][0]["data"] == [5]


@pytest.mark.parametrize("header, headers", [
    ("X-Forwarded-User", {}),
    ("X-Forwarded-User", {"X-Forwarded-User": ""}),
    ("X-Forwarded-User", {"X-Forwarded-User": "  "}),
    ("Authorization", {}),
])
def test_identity_on_but_no_user_is_401_not_the_whole_box(file_client, s3, bucket, tmp_path,
                                                          header, headers) -> None:
    """Fail closed: with an identity header configured, "no user" must not mean "box keys"."""
    s3.put_object(Bucket=bucket, Key="users/bob/file_groups/in/secret.txt", Body=b"bob's")
    c = file_client(echo_fn.upper_file, user_header=header)
    r = c.post("/predict", json=_upper_request("users/bob/file_groups/in/secret.txt"),
               headers=headers)
    assert r.status_code == 401, r.text
    assert r.json() == {"error": f"no authenticated user: header {header} is missing or empty"}
    assert "BOB" not in r.text
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1  # no output stored
    assert not (tmp_path / "files").exists() or list((tmp_path / "files").iterdir()) == []


def test_identity_off_reads_box_keys_and_writes_as_anonymous(file_client, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="shared/note.txt", Body=b"hi")
    c = file_client(echo_fn.upper_file, user_header="none")
    r = c.post("/predict", json=_upper_request("shared/note.txt"),
               headers={"X-Forwarded-User": "bob"})  # not trusted: identity is off
    assert r.status_code == 200, r.text
    assert r.json()["outputs"][0]["data"][0].startswith("users/anonymous/file_groups/outputs/")


def test_undeclared_file_output_without_a_user_is_401_and_leaves_no_file(
        file_client, s3, bucket, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLCC_FILES_PATH", str(tmp_path / "files"))
    c = file_client(echo_fn.make_file)  # no contract: its FILE output shows only in the answer
    r = c.post("/predict", json={"inputs": []})
    assert r.status_code == 401, r.text
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert list((tmp_path / "files").iterdir()) == []


def test_malformed_identity_is_400_before_the_function_runs(file_client, s3, bucket, tmp_path,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("MLCC_FILES_PATH", str(tmp_path / "files"))
    c = file_client(echo_fn.make_file)
    r = c.post("/predict", json={"inputs": []}, headers={"X-Forwarded-User": "a/b"})
    assert r.status_code == 400 and "not a single path segment" in r.json()["error"]
    assert list((tmp_path / "files").iterdir()) == []  # the function did not run: no stray file
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def _files_request(keys: list[str]) -> dict:
    return {"inputs": [{"name": "files", "datatype": "FILE", "data": keys}]}


def test_a_key_named_many_times_is_downloaded_once(file_client, s3, bucket, tmp_path) -> None:
    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/in/big.bin", Body=b"\0" * 4096)
    c = file_client(echo_fn.file_stats)
    r = c.post("/predict", json=_files_request(["in/big.bin"] * 50),
               headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 200, r.text
    stats = {o["name"]: o["data"][0] for o in r.json()["outputs"]}
    assert stats == {"values": 50, "distinct": 1, "bytes": 4096}


def test_too_many_file_values_are_413_before_any_download(file_client, s3, bucket,
                                                          tmp_path) -> None:
    c = file_client(echo_fn.file_stats, box_options={"max_files": 3})
    r = c.post("/predict", json=_files_request(["in/a", "in/b", "in/c", "in/a"]),
               headers={"X-Forwarded-User": "alice"})  # none exists: no download was tried
    assert r.status_code == 413, r.text
    assert r.json() == {"error": "the request names 4 files; at most 3 FILE values are "
                                 "accepted per request (--max-input-files)"}


@pytest.mark.parametrize("sizes", [[2000], [600, 600]])
def test_downloads_past_the_byte_cap_are_413_and_leave_nothing(file_client, s3, bucket, tmp_path,
                                                               sizes) -> None:
    keys = []
    for i, size in enumerate(sizes):
        s3.put_object(Bucket=bucket, Key=f"users/alice/file_groups/in/{i}.bin", Body=b"x" * size)
        keys.append(f"in/{i}.bin")
    c = file_client(echo_fn.file_stats, box_options={"max_bytes": 1000})
    r = c.post("/predict", json=_files_request(keys), headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 413, r.text
    assert r.json() == {"error": "the FILE inputs of this request exceed 1000 bytes "
                                 "(--max-input-bytes)"}
    assert list((tmp_path / "files").iterdir()) == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == len(sizes)  # no output stored


def test_a_file_name_longer_than_the_filesystem_allows_is_400(file_client, s3, bucket,
                                                              tmp_path) -> None:
    s3.put_object(Bucket=bucket, Key="users/alice/file_groups/in/" + "n" * 300, Body=b"x")
    c = file_client(echo_fn.file_stats)
    r = c.post("/predict", json=_files_request(["in/" + "n" * 300]),
               headers={"X-Forwarded-User": "alice"})
    assert r.status_code == 400, r.text
    assert "is longer than 255 bytes" in r.json()["error"] and len(r.text) < 300
    assert list((tmp_path / "files").iterdir()) == []


def test_file_caps_come_from_the_environment(monkeypatch) -> None:
    from mlcc_runtime.cli import build_parser, serve_settings

    monkeypatch.setenv("MLCC_MAX_INPUT_FILES", "7")
    monkeypatch.setenv("MLCC_MAX_INPUT_BYTES", "1234")
    args = build_parser().parse_args(["serve", "--function", "m.f", "--files-bucket", "b"])
    box = serve_settings(args).files
    assert box is not None and (box.max_files, box.max_bytes) == (7, 1234)
