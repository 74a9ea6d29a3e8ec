"""An existing bucket the platform runs: each box is the prefix <namespace>/<box>/ of it."""

from __future__ import annotations

from typing import Any

from mlcc.model.environment import Environment
from mlcc.render.providers.base import EnvVar
from mlcc.frontend.manifests import Resource
from mlcc.model import DataBox
from mlcc.k8s.objects import Emitted
from mlcc.render.providers.storage.contract import (
    BoxLocation,
    BoxAccess,
    SharedCredentials,
    in_cluster_egress,
    public_endpoint_env,
    shared_bucket_access,
)


class ExternalProvider:
    name = "external"
    can_mount = False

    def __init__(self, env: Environment) -> None:
        self.env = env
        assert env.spec.storage.external is not None  # the environment model guarantees it
        self.config = env.spec.storage.external

    def objects(self, box: Resource[DataBox], module: str) -> list[Emitted]:
        return []  # the bucket exists; credentials come from the environment's Secret

    def access(self, box: Resource[DataBox], bucket_var: str) -> BoxAccess:
        c = self.config
        prefix = f"{box.obj.metadata.namespace}/{box.name}/"
        return shared_bucket_access(c.endpoint, c.bucket, c.region, c.credentials.secret_name, prefix, bucket_var)

    def volume(self, box: Resource[DataBox], volume_name: str) -> dict[str, Any]:
        raise NotImplementedError("external buckets cannot be mounted; the environment must use mount: sync")

    def shared_credentials(self) -> SharedCredentials | None:
        credentials = self.config.credentials
        return SharedCredentials(credentials.secret_name, credentials.remote_key)  # {namespace}: per module

    def egress(self) -> list[dict[str, Any]]:
        return in_cluster_egress(self.env.spec.storage)

    def presigning_env(self) -> tuple[EnvVar, ...]:
        return public_endpoint_env(self.env)

    def location(self, box: Resource[DataBox]) -> BoxLocation | None:
        c = self.config
        return BoxLocation(c.endpoint, c.bucket, f"{box.obj.metadata.namespace}/{box.name}/", c.region)
