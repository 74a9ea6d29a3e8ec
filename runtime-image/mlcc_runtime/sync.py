"""``mlcc-runtime sync s3://BUCKET/PREFIX DIR``: the init container behind ``mountS3Box``.

Copies every object under PREFIX into DIR, keeping the key layout below PREFIX. Safe by
construction: every key is checked before anything is written (a key that would land outside DIR
fails the whole sync), each file is written to a temporary name and renamed into place, and a
failure removes the temporary files and exits non-zero with the reason.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from mlcc_runtime import paths, s3

log = logging.getLogger("mlcc_runtime.sync")


class SyncError(Exception):
    pass


def plan(keys: list[str], prefix: str, target: Path) -> list[tuple[str, Path]]:
    """Map object keys to local files under ``target``; raises SyncError on an unsafe key."""
    base = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    target = target.resolve()
    planned = []
    for key in keys:
        if key == prefix and prefix and not prefix.endswith("/"):
            relative = key.rsplit("/", 1)[-1]  # the prefix names one object: copy just it
        elif key.startswith(base):
            relative = key[len(base):]
        else:
            continue  # "models2/x" is listed for prefix "models" but is not below it
        if relative == "" or relative.endswith("/"):
            continue  # folder marker objects
        try:
            paths.clean_key(relative)
        except ValueError as exc:
            raise SyncError(f"refusing object {key!r}: {exc}") from None
        local = (target / relative).resolve()
        if not local.is_relative_to(target):
            raise SyncError(f"refusing object {key!r}: it would be written outside {target}")
        planned.append((key, local))
    _check_files_and_folders(planned, target)
    return planned


def _check_files_and_folders(planned: list[tuple[str, Path]], target: Path) -> None:
    """S3 may hold both ``m/a`` and ``m/a/b``; a folder cannot: refuse before writing anything."""
    file_keys = {local.relative_to(target).as_posix(): key for key, local in planned}
    for key, local in planned:
        parts = local.relative_to(target).parts
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in file_keys:
                raise SyncError(f"refusing objects {file_keys[folder]!r} and {key!r}: {folder!r} "
                                "would be both a file and a folder")


def sync(bucket: str, prefix: str, target: Path) -> tuple[int, int]:
    """Copy the objects; returns (files, bytes)."""
    client = s3.client()
    keys: list[str] = []
    list_prefix = prefix.rstrip("/") if prefix else ""
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                     Prefix=list_prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
    except Exception as exc:
        raise SyncError(f"cannot list s3://{bucket}/{prefix}: {_reason(exc)}") from None
    planned = plan(keys, prefix, target)
    _make_folder(target)
    total = 0
    for key, local in planned:
        _make_folder(local.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{local.name}.", suffix=".part", dir=local.parent)
        os.close(fd)
        try:
            client.download_file(bucket, key, tmp)
            os.replace(tmp, local)  # atomic: readers never see a half-written file
        except Exception as exc:
            Path(tmp).unlink(missing_ok=True)
            raise SyncError(f"cannot download s3://{bucket}/{key}: {_reason(exc)}") from None
        total += local.stat().st_size
    return len(planned), total


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # e.g. a file already in the target where a folder must go
        raise SyncError(f"cannot create folder {folder}: {exc.strerror or exc}") from None


def _reason(exc: BaseException) -> str:
    code = s3.error_code(exc)
    return f"{code} ({exc})" if code else f"{type(exc).__name__}: {exc}"


def sync_command(source: str, target: str) -> int:
    try:
        bucket, prefix = s3.parse_url(source)
        files, size = sync(bucket, prefix, Path(target))
    except (SyncError, ValueError) as exc:
        log.error("sync failed: %s", exc)
        print(f"mlcc-runtime sync: error: {exc}", file=sys.stderr)
        return 1
    if files == 0:
        log.warning("no objects under %s; %s is empty", source, target)
    log.info("synced %d file(s), %d bytes, from %s to %s", files, size, source, target,
             extra={"files": files, "bytes": size})
    return 0
