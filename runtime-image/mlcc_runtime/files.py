"""FILE exchange between the file box (S3) and the per-request folder under inferenceFilesPath.

For one request: FILE inputs name objects in the box (relative to the caller's
``users/<user>/file_groups/``; box keys only when identity is off, ``user`` None), are downloaded
into a fresh folder, and the function sees local paths. FILE outputs the function wrote (inside inferenceFilesPath) are
uploaded to ``<user root><output group>/<request id>/...`` and the answer carries their box keys.
The folder is removed afterwards. All methods are blocking: call them from a worker thread.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import uuid
from pathlib import Path

from mlcc_runtime import paths, s3
from mlcc_runtime.config import FileBox
from mlcc_runtime.errors import ApiError, invalid

ANONYMOUS = "anonymous"  # owner of outputs when identity is off


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
        root = paths.user_root(user)
        if key.startswith(paths.USERS + "/"):
            if not key.startswith(root):
                raise invalid(f"{where}: {key!r} is outside your folder {root!r}")
            return key
        return root + key

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
        """Replace each FILE input's keys by local paths, downloading the objects."""
        taken: set[str] = set()
        for tensor in inputs:
            if tensor["datatype"] != "FILE":
                continue
            local = []
            for key in tensor["data"]:
                box_key = self.input_key(key, user, f"input {tensor['name']!r}")
                name = _unique(box_key.rsplit("/", 1)[-1], taken)
                target = folder / name
                try:
                    s3.client().download_file(self.box.bucket, self.prefix + box_key, str(target))
                except Exception as exc:
                    if s3.is_not_found(exc):
                        raise invalid(f"input {tensor['name']!r}: no file {box_key!r} in the "
                                      "file box") from None
                    raise s3.as_api_error(exc, f"download {box_key!r}") from None
                local.append(str(target))
            tensor["data"] = local

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
            self._delete_quietly(uploaded)
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

    def _delete_quietly(self, keys: list[str]) -> None:
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


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        candidate, n = f"{n}-{name}", n + 1
    taken.add(candidate)
    return candidate
