"""The storage-provider contract.

A provider turns a DataBox into the objects that create its storage, and tells
consumers how to reach it: `access` gives S3 coordinates as container env vars
(for copy boxes, init-container syncs and the file API); `volume` gives a CSI
volume when the provider can mount a box directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mlcc.environments import Environment
from mlcc.manifests import Resource
from mlcc.model import DataBox
from mlcc.render.objects import Emitted


@dataclass(frozen=True)
class BoxAccess:
    """How a container reaches a box over S3.

    `env` defines, in order, the AWS conventions (AWS_ENDPOINT_URL_S3,
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) and `bucket_var`;
    later values may refer to it as `$(bucket_var)`. `prefix` is the box's key
    prefix inside the bucket ('' or ending in '/').
    """

    env: tuple[dict[str, Any], ...]
    bucket_var: str
    prefix: str

    def url(self, sub_path: str = "") -> str:
        """s3:// URL of a part of the box, with the bucket as an env reference."""
        tail = (self.prefix + sub_path.strip("/")).strip("/")
        return f"s3://$({self.bucket_var})/{tail}" if tail else f"s3://$({self.bucket_var})"

    def key_prefix(self, sub_path: str = "") -> str:
        tail = (self.prefix + sub_path.strip("/")).strip("/")
        return f"{tail}/" if tail else ""


class StorageProvider(Protocol):
    name: str
    can_mount: bool

    def __init__(self, env: Environment) -> None: ...

    def objects(self, box: Resource[DataBox], module: str) -> list[Emitted]:
        """The objects that provision the box (data-bearing ones marked `keeps_data`)."""

    def access(self, box: Resource[DataBox], bucket_var: str) -> BoxAccess:
        """S3 coordinates of the box for a container of the same namespace."""

    def volume(self, box: Resource[DataBox], volume_name: str) -> dict[str, Any]:
        """A pod volume that mounts the box (only when `can_mount`)."""


def secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def config_env(name: str, config_map: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"configMapKeyRef": {"name": config_map, "key": key}}}


def value_env(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value}


def shared_bucket_access(endpoint: str, bucket: str, region: str, secret: str, prefix: str, bucket_var: str) -> BoxAccess:
    """Access to a box kept under a prefix of a bucket the environment names."""
    return BoxAccess(
        env=(
            value_env("AWS_ENDPOINT_URL_S3", endpoint),
            secret_env("AWS_ACCESS_KEY_ID", secret, "AWS_ACCESS_KEY_ID"),
            secret_env("AWS_SECRET_ACCESS_KEY", secret, "AWS_SECRET_ACCESS_KEY"),
            value_env("AWS_REGION", region),
            value_env(bucket_var, bucket),
        ),
        bucket_var=bucket_var,
        prefix=prefix,
    )
