"""FILE exchange between the file box (S3) and the per-request folder under inferenceFilesPath.

For one request: FILE inputs name objects in the box (relative to the caller's
``users/<user>/file_groups/``; box keys only when identity is off, ``user`` None), are downloaded
into a fresh folder, and the function sees local paths. FILE outputs the function wrote (inside
inferenceFilesPath) are uploaded to ``<user root><output group>/<request id>/...`` and the answer
carries their box keys. The folder is removed afterwards. All methods are blocking: call them from
a worker thread.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator

from mlcc_runtime import paths, s3
from mlcc_runtime.config import FileBox
from mlcc_runtime.errors import ApiError, invalid

ANONYMOUS = "anonymous"  # owner of outputs when identity is off
CHUNK = 1024 * 1024


class FileExchange:
    def __init__(self, box: FileBox) -> None:
        self.box = box
        self.prefix = FileBox.normalized_prefix(box.prefix)
        self.root = Path(box.local_path).resolve()

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    # -- keys -------------------------------------------------------------------------------

    def input_key(self, key: str, user: str | None, where: str) -> str:
        """The box key a FILE input names; 400 when it leaves the caller's folder."""
        try:
            key = paths.clean_key(key)
        except ValueError as exc:
            raise invalid(f"{where}: {exc}") from None
        if user is None:
            return key
        try:
            return paths.user_key(key, user)
        except ValueError as exc:
            raise invalid(f"{where}: {exc}") from None

    def output_key(self, user: str | None, request_id: str, relative: str) -> str:
        return (f"{paths.user_root(user or ANONYMOUS)}{self.box.output_group}/{request_id}/"
                f"{relative}")

    # -- per request ------------------------------------------------------------------------

    def new_request_dir(self) -> tuple[str, Path]:
        request_id = uuid.uuid4().hex
        folder = self.root / request_id
        folder.mkdir(parents=True)
        return request_id, folder

    @staticmethod
    def remove(folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def download_inputs(self, inputs: list[dict], user: str | None, folder: Path) -> None:
        """Replace each FILE input's keys by local paths, downloading each named object once.

        Every key is checked before the first download, and the request's downloads are capped
        in number and bytes: a few bytes of request must not fill the disk.
        """
        tensors = [t for t in inputs if t["datatype"] == "FILE"]
        count = sum(len(t["data"]) for t in tensors)
        if count > self.box.max_files:
            raise ApiError(413, f"the request names {count} files; at most {self.box.max_files} "
                                "FILE values are accepted per request (--max-input-files)")
        planned: dict[str, tuple[Path, str]] = {}  # box key -> (local file, input name)
        taken: set[str] = set()
        keys_of = []
        for tensor in tensors:
            where = f"input {tensor['name']!r}"
            keys = [self.input_key(key, user, where) for key in tensor["data"]]
            for box_key in keys:
                if box_key not in planned:  # named twice: downloaded once, same local path
                    planned[box_key] = (folder / _local_name(box_key, taken, where), where)
            keys_of.append(keys)
        budget = self.box.max_bytes
        for box_key, (target, where) in planned.items():
            budget -= self._download(box_key, target, budget, where)
        for tensor, keys in zip(tensors, keys_of):
            tensor["data"] = [str(planned[k][0]) for k in keys]

    def _download(self, box_key: str, target: Path, budget: int, where: str) -> int:
        """Stream one object into ``target``; 413 once the request's byte budget would be passed
        (by the announced size, and while reading). Returns the bytes written."""
        try:
            answer = s3.client().get_object(Bucket=self.box.bucket, Key=self.prefix + box_key)
        except Exception as exc:
            if s3.is_not_found(exc):
                raise invalid(f"{where}: no file {box_key!r} in the file box") from None
            raise s3.as_api_error(exc, f"download {box_key!r}") from None
        body = answer["Body"]
        try:
            if answer.get("ContentLength", 0) > budget:
                raise self._too_many_bytes()
            written = 0
            # Opened outside the store's error mapping: a full disk is our failure, not the box's.
            with open(target, "wb") as out:
                for chunk in _chunks(body, box_key):
                    written += len(chunk)
                    if written > budget:
                        raise self._too_many_bytes()
                    out.write(chunk)
            return written
        finally:
            body.close()

    def _too_many_bytes(self) -> ApiError:
        return ApiError(413, f"the FILE inputs of this request exceed {self.box.max_bytes} bytes "
                             "(--max-input-bytes)")

    def upload_outputs(self, outputs: list[dict], user: str | None, request_id: str | None,
                       folder: Path | None) -> None:
        """Upload each FILE output and replace its local paths by box keys.

        ``folder`` is the request folder, or None when the request had none (no FILE input):
        then relative paths resolve against the files folder and each file is removed after upload.
        """
        request_id = request_id or uuid.uuid4().hex
        folder = (folder or self.root).resolve()
        owned = folder != self.root  # a request folder is removed as a whole by the caller
        uploaded: list[str] = []
        loose: list[Path] = []  # files outside the request folder: removed here, stored or not
        try:
            for out in outputs:
                if out["datatype"] != "FILE":
                    continue
                keys = []
                for value in out["data"]:
                    local = self._output_path(value, folder, out["name"])
                    inside = owned and local.is_relative_to(folder)
                    if not inside:
                        loose.append(local)
                    relative = (local.relative_to(folder) if inside else Path(local.name)).as_posix()
                    key = self.output_key(user, request_id, relative)
                    extra = {"ContentType": out.get("content_type")
                             or mimetypes.guess_type(local.name)[0] or "application/octet-stream"}
                    try:
                        s3.client().upload_file(str(local), self.box.bucket, self.prefix + key,
                                                ExtraArgs=extra)
                    except Exception as exc:
                        raise s3.as_api_error(exc, f"upload output {out['name']!r}") from None
                    uploaded.append(key)
                    keys.append(key)
                out["data"] = keys
        except BaseException:
            # The caller gets an error, so no output of this request may stay half-stored.
            self.delete_quietly(uploaded)
            raise
        finally:
            for local in loose:  # the runtime owns the files folder: never leave strays
                local.unlink(missing_ok=True)

    def discard_outputs(self, outputs: list[dict]) -> None:
        """Remove the files FILE outputs name under the files folder, for a request that fails
        before their upload (the runtime owns the folder: no strays)."""
        for out in outputs:
            if out["datatype"] != "FILE":
                continue
            for value in out["data"]:
                if type(value) is not str or not value:
                    continue
                path = Path(value)
                path = (path if path.is_absolute() else self.root / path).resolve()
                if path.is_relative_to(self.root) and path.is_file():
                    path.unlink(missing_ok=True)

    def delete_quietly(self, keys: list[str]) -> None:
        for key in keys:
            try:
                s3.client().delete_object(Bucket=self.box.bucket, Key=self.prefix + key)
            except Exception:  # best effort: the store is failing already
                pass

    def _output_path(self, value: object, folder: Path, name: str) -> Path:
        if type(value) is not str or not value:
            raise ApiError(500, f"FILE output {name!r} must hold local file paths")
        path = Path(value)
        path = (path if path.is_absolute() else folder / path).resolve()
        if not path.is_relative_to(self.root):
            raise ApiError(500, f"FILE output {name!r} was written outside the files folder "
                                f"{str(self.root)!r}")
        if not path.is_file():
            raise ApiError(500, f"FILE output {name!r}: the function did not write "
                                f"{os.path.relpath(path, self.root)!r}")
        return path


def _local_name(box_key: str, taken: set[str], where: str) -> str:
    """The file name an input gets in the request folder: the key's last segment, made unique."""
    name = box_key.rsplit("/", 1)[-1]
    candidate, n = name, 1
    while candidate in taken:
        candidate, n = f"{n}-{name}", n + 1
    if len(candidate.encode()) > paths.NAME_MAX:
        raise invalid(f"{where}: {paths.name_too_long(box_key)}")
    taken.add(candidate)
    return candidate


def _chunks(body: Any, box_key: str) -> Iterator[bytes]:
    """The object's bytes; a failure while reading them is the store's (502/503)."""
    try:
        yield from body.iter_chunks(CHUNK)
    except Exception as exc:
        raise s3.as_api_error(exc, f"download {box_key!r}") from None
