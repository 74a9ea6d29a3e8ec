"""What the providers whose boxes share one bucket of the environment have in common (csi-s3,
external): each box is the prefix `<namespace>/<box>/` of the bucket, reached with the
environment's credentials Secret (a key per module with `{namespace}` in its remote key)."""

from __future__ import annotations

from typing import Any

from mlcc.frontend.manifests import Resource
from mlcc.model import DataBox
from mlcc.model.environment import Environment, S3Endpoint
from mlcc.render.providers.base import EnvVar, secret_env, value_env
from mlcc.render.providers.storage.contract import (
    BoxAccess,
    BoxLocation,
    SharedCredentials,
    in_cluster_egress,
    public_endpoint_env,
)


class SharedBucketProvider:
    def __init__(self, env: Environment, config: S3Endpoint) -> None:
        self.env = env
        self.config = config

    @staticmethod
    def prefix(box: Resource[DataBox]) -> str:
        """The box's key prefix in the bucket, without the trailing '/'."""
        return f"{box.obj.metadata.namespace}/{box.name}"

    def access(self, box: Resource[DataBox], bucket_var: str) -> BoxAccess:
        c, secret = self.config, self.config.credentials.secret_name
        return BoxAccess(
            env=(
                value_env("AWS_ENDPOINT_URL_S3", c.endpoint),
                secret_env("AWS_ACCESS_KEY_ID", secret, "AWS_ACCESS_KEY_ID"),
                secret_env("AWS_SECRET_ACCESS_KEY", secret, "AWS_SECRET_ACCESS_KEY"),
                value_env("AWS_REGION", c.region),
                value_env(bucket_var, c.bucket),
            ),
            bucket_var=bucket_var,
            prefix=self.prefix(box) + "/",
        )

    def shared_credentials(self) -> SharedCredentials | None:
        credentials = self.config.credentials
        return SharedCredentials(credentials.secret_name, credentials.remote_key)  # {namespace}: per module

    def egress(self) -> list[dict[str, Any]]:
        return in_cluster_egress(self.env.spec.storage)

    def presigning_env(self) -> tuple[EnvVar, ...]:
        return public_endpoint_env(self.env)

    def location(self, box: Resource[DataBox]) -> BoxLocation | None:
        c = self.config
        return BoxLocation(c.endpoint, c.bucket, self.prefix(box) + "/", c.region)
