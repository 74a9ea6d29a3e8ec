"""``mlcc-runtime sync`` (the mountS3Box init container) against a real S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlcc_runtime.sync import SyncError, plan, sync_command


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_sync_copies_the_prefix_keeping_its_layout(s3, bucket, tmp_path) -> None:
    base = "users/developer/file_groups/models"
    for key, body in {f"{base}/iris.joblib": b"model", f"{base}/sub/vocab.txt": b"v",
                      f"{base}/": b"", f"{base}2/other.bin": b"no",
                      "users/bob/file_groups/x": b"no"}.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    target = tmp_path / "models"
    assert sync_command(f"s3://{bucket}/{base}", str(target)) == 0
    assert _tree(target) == {"iris.joblib": b"model", "sub/vocab.txt": b"v"}


def test_sync_of_a_single_object(s3, bucket, tmp_path) -> None:
    s3.put_object(Bucket=bucket, Key="m/model.joblib", Body=b"1")
    assert sync_command(f"s3://{bucket}/m/model.joblib", str(tmp_path)) == 0
    assert _tree(tmp_path) == {"model.joblib": b"1"}


def test_sync_refuses_keys_escaping_the_folder_and_writes_nothing(s3, bucket, tmp_path,
                                                                  capsys) -> None:
    s3.put_object(Bucket=bucket, Key="m/a.txt", Body=b"a")
    s3.put_object(Bucket=bucket, Key="m/../../etc/evil", Body=b"x")
    target = tmp_path / "t"
    assert sync_command(f"s3://{bucket}/m", str(target)) == 1
    assert "refusing object 'm/../../etc/evil'" in capsys.readouterr().err
    assert not target.exists()


def test_plan_rejects_absolute_and_dot_segments(tmp_path) -> None:
    for key in ("p//abs", "p/./x", "p/a\\..\\b"):
        with pytest.raises(SyncError):
            plan([key], "p", tmp_path)


def test_sync_cli_exits_nonzero_with_a_clear_message(s3_endpoint, tmp_path) -> None:
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-m", "mlcc_runtime", "sync", "--log-format", "text",
         "s3://no-such-bucket/models", str(tmp_path / "t")],
        capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "cannot list s3://no-such-bucket/models: NoSuchBucket" in result.stderr
    bad = subprocess.run([sys.executable, "-m", "mlcc_runtime", "sync", "bucket/x", "d"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and "expected an s3://BUCKET/PREFIX URL" in bad.stderr


def test_an_object_that_is_also_a_folder_fails_before_writing(s3, bucket, tmp_path,
                                                             capsys) -> None:
    """S3 allows keys 'm/a' and 'm/a/b'; a folder cannot hold both a file and a folder 'a'."""
    s3.put_object(Bucket=bucket, Key="m/a", Body=b"1")
    s3.put_object(Bucket=bucket, Key="m/a/b", Body=b"2")
    s3.put_object(Bucket=bucket, Key="m/c", Body=b"3")
    target = tmp_path / "t"
    assert sync_command(f"s3://{bucket}/m", str(target)) == 1
    err = capsys.readouterr().err
    assert "refusing objects 'm/a' and 'm/a/b': 'a' would be both a file and a folder" in err
    assert "Traceback" not in err
    assert not target.exists()


@pytest.mark.parametrize("keys", [["p/a", "p/a/b"], ["p/a/b/c", "p/a/b"], ["p/x/y", "p/x"]])
def test_plan_rejects_a_file_that_another_key_needs_as_a_folder(tmp_path, keys) -> None:
    with pytest.raises(SyncError, match="would be both a file and a folder"):
        plan(keys, "p", tmp_path)


def test_a_file_in_the_target_where_a_folder_must_go_is_a_clear_error(s3, bucket, tmp_path,
                                                                      capsys) -> None:
    s3.put_object(Bucket=bucket, Key="m/sub/x", Body=b"1")
    (tmp_path / "sub").write_text("in the way")
    assert sync_command(f"s3://{bucket}/m", str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert f"cannot create folder {tmp_path / 'sub'}" in err and "Traceback" not in err
