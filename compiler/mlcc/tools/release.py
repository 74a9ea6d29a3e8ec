"""`mlcc model push`: release a model version through Git.

The file is uploaded into the component's model box under a content-addressed name
(`<stem>-<sha256 prefix><suffix>`, so a version is never overwritten and an upload is idempotent),
and the MLComponent's `modelPath` is rewritten in place to point at it, every other byte of the
manifest kept. Committing that change rolls the pods (the runtime's ConfigMap is named by a hash of
its contents, MLCC_MODEL_KEY among them); `git revert` points back at the previous version, which
is still in the box.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
from dataclasses import dataclass
from pathlib import Path

from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.model import MLComponent
from mlcc.render.providers.storage.contract import BoxLocation

MODEL_PATH = ("spec", "mlService", "inference", "model", "modelPath")
DIGEST_CHARS = 12


class ReleaseError(Exception):
    """The release cannot be made as asked (no model box, an unreadable file, a failed upload)."""


@dataclass(frozen=True)
class Target:
    """Where a component's model lives: its box, the part of the box it mounts, and the mount."""

    component: Resource[MLComponent]
    box_name: str  # the DataBox
    sub_path: str  # the part of the box mounted at `mount`
    mount: str  # where the container sees it
    model_path: str  # the current modelPath


@dataclass(frozen=True)
class Release:
    key: str  # the object key inside the box
    model_path: str  # the new modelPath
    changed: bool  # False when modelPath already named this version


def target_of(module: Module, component_name: str | None) -> Target:
    """The component whose model is released (the only one, or the one named)."""
    with_model = [c for c in module.mlcomponents if c.obj.spec.ml_service.inference.model is not None]
    if component_name is not None:
        with_model = [c for c in with_model if c.name == component_name]
    if len(with_model) != 1:
        names = ", ".join(c.name for c in module.mlcomponents if c.obj.spec.ml_service.inference.model) or "none"
        raise ReleaseError(
            f"name the MLComponent whose model to release with --component (components with a model: {names})"
            if len(with_model) > 1 or component_name is None
            else f"module '{module.name}' has no MLComponent '{component_name}' with a model (with a model: {names})"
        )
    component = with_model[0]
    model = component.obj.spec.ml_service.inference.model
    assert model is not None
    box = next(b for b in component.obj.spec.connected_boxes if b.name == model.model_box)
    assert box.mount_s3_box is not None and box.path is not None  # the rules checked the model box
    return Target(component, box.mount_s3_box.s3_box_name, box.mount_s3_box.sub_path, box.path, model.model_path)


def versioned_name(file: Path) -> str:
    """`iris.joblib` → `iris-1a2b3c4d5e6f.joblib`, named by the first hex digits of its SHA-256."""
    digest = hashlib.sha256()
    with file.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    suffix = "".join(file.suffixes[-1:])
    return f"{file.name[: len(file.name) - len(suffix)]}-{digest.hexdigest()[:DIGEST_CHARS]}{suffix}"


def plan(target: Target, file: Path) -> Release:
    name = versioned_name(file)
    key = posixpath.join(target.sub_path.strip("/"), name) if target.sub_path.strip("/") else name
    model_path = posixpath.join(target.mount, name)
    return Release(key, model_path, model_path != target.model_path)


def copy_to_seed(module: Module, target: Target, file: Path, release: Release) -> Path:
    """Into the module's local seed (`data/<box>/<key>`), what `mlcc run` fills the box from."""
    destination = module.source.root / "data" / target.box_name / release.key
    destination.parent.mkdir(parents=True, exist_ok=True)
    if not destination.exists():
        shutil.copyfile(file, destination)
    return destination


def upload(location: BoxLocation, file: Path, release: Release) -> str:
    """Into the environment's bucket with the caller's own S3 credentials (the AWS_* variables or
    any boto3 credential source); an object already there under the name is left as it is."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise ReleaseError("uploading needs boto3: pip install 'mlcc[run]'") from None
    key = location.prefix + release.key
    client = boto3.client("s3", endpoint_url=location.endpoint, region_name=location.region)
    try:
        try:
            client.head_object(Bucket=location.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            client.upload_file(str(file), location.bucket, key)
    except (BotoCoreError, ClientError) as exc:
        raise ReleaseError(f"upload to s3://{location.bucket}/{key} failed: {exc}") from None
    return f"s3://{location.bucket}/{key}"


def rewrite_model_path(target: Target, release: Release) -> Path:
    """Point `modelPath` at the release: only the value's characters change in the manifest."""
    where = target.component.doc.locate(MODEL_PATH)
    path = Path(where.file)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = lines[where.line - 1]
    start = where.column - 1
    at = line.find(target.model_path, start)
    if at < 0 or line[start:at].strip("'\" "):
        raise ReleaseError(f"{path}:{where.line}: cannot find modelPath '{target.model_path}' to rewrite")
    lines[where.line - 1] = line[:at] + release.model_path + line[at + len(target.model_path):]
    # Written beside it and renamed over it: the manifest is either the old one or the new one.
    staged = path.with_name(f".{path.name}.mlcc-push")
    staged.write_text("".join(lines), encoding="utf-8")
    os.replace(staged, path)
    return path
