"""ObjectBucketClaim (objectbucket.io/v1alpha1): a bucket per box from Rook-Ceph or NooBaa.

The bucket provisioner creates a ConfigMap and a Secret named like the claim,
holding BUCKET_HOST/BUCKET_PORT/BUCKET_NAME and the AWS key pair.
"""

from __future__ import annotations

from typing import Any

from mlcc.frontend.manifests import Resource
from mlcc.k8s.objects import Emitted, Wave, meta
from mlcc.model import DataBox
from mlcc.model.environment import Environment
from mlcc.render.providers.base import EnvVar, config_env, secret_env, value_env
from mlcc.render.providers.storage.contract import (
    BoxAccess,
    BoxLocation,
    SharedCredentials,
    in_cluster_egress,
    public_endpoint_env,
)


class ObcProvider:
    name = "obc"
    can_mount = False

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.config = env.spec.storage.obc

    @staticmethod
    def claim_name(box: Resource[DataBox]) -> str:
        """The claim, and the ConfigMap and Secret the bucket provisioner names after it."""
        return f"box-{box.name}"

    @staticmethod
    def bucket_name(box: Resource[DataBox]) -> str:
        """The bucket's name prefix (the provisioner appends a random suffix in a cluster)."""
        return f"{box.obj.metadata.namespace}-{box.name}"[:50]

    def objects(self, box: Resource[DataBox], module: str) -> list[Emitted]:
        claim = {
            "apiVersion": "objectbucket.io/v1alpha1",
            "kind": "ObjectBucketClaim",
            "metadata": meta(self.claim_name(box), box.obj.metadata.namespace, module, "databox"),
            "spec": {
                "generateBucketName": self.bucket_name(box),
                "storageClassName": self.config.storage_class_name,
                "additionalConfig": {"maxSize": box.obj.spec.s3_default_storage.capacity},
            },
        }
        return [Emitted(claim, box.doc.locate(("metadata", "name")), Wave.STORAGE, keeps_data=True)]

    def access(self, box: Resource[DataBox], bucket_var: str) -> BoxAccess:
        name = self.claim_name(box)
        host, port = f"{bucket_var}_HOST", f"{bucket_var}_PORT"
        scheme = self.config.endpoint_scheme
        return BoxAccess(
            env=(
                config_env(host, name, "BUCKET_HOST"),
                config_env(port, name, "BUCKET_PORT"),
                value_env("AWS_ENDPOINT_URL_S3", f"{scheme}://$({host}):$({port})"),
                secret_env("AWS_ACCESS_KEY_ID", name, "AWS_ACCESS_KEY_ID"),
                secret_env("AWS_SECRET_ACCESS_KEY", name, "AWS_SECRET_ACCESS_KEY"),
                config_env("AWS_REGION", name, "BUCKET_REGION"),
                config_env(bucket_var, name, "BUCKET_NAME"),
            ),
            bucket_var=bucket_var,
            prefix="",
        )

    def volume(self, box: Resource[DataBox], volume_name: str) -> dict[str, Any]:
        raise NotImplementedError("ObjectBucketClaims cannot be mounted; the environment must use mount: sync")

    def shared_credentials(self) -> SharedCredentials | None:
        return None  # each claim brings its own Secret

    def egress(self) -> list[dict[str, Any]]:
        return in_cluster_egress(self.env.spec.storage)

    def presigning_env(self) -> tuple[EnvVar, ...]:
        return public_endpoint_env(self.env)

    def location(self, box: Resource[DataBox]) -> BoxLocation | None:
        return None  # the provisioner appends a random suffix to the bucket name: ask the cluster
