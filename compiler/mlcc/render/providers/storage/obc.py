"""ObjectBucketClaim (objectbucket.io/v1alpha1): a bucket per box from Rook-Ceph or NooBaa.

The bucket provisioner creates a ConfigMap and a Secret named like the claim,
holding BUCKET_HOST/BUCKET_PORT/BUCKET_NAME and the AWS key pair.
"""

from __future__ import annotations

from typing import Any

from mlcc.environments import Environment
from mlcc.manifests import Resource
from mlcc.model import DataBox
from mlcc.render.objects import Emitted, Wave, meta
from mlcc.render.providers.base import BoxAccess, config_env, secret_env, value_env


def claim_name(box: str) -> str:
    return f"box-{box}"


class ObcProvider:
    name = "obc"
    can_mount = False

    def __init__(self, env: Environment) -> None:
        self.config = env.spec.storage.obc

    def objects(self, box: Resource[DataBox], module: str) -> list[Emitted]:
        namespace = box.obj.metadata.namespace
        claim = {
            "apiVersion": "objectbucket.io/v1alpha1",
            "kind": "ObjectBucketClaim",
            "metadata": meta(claim_name(box.name), namespace, module, "databox"),
            "spec": {
                "generateBucketName": f"{namespace}-{box.name}"[:50],
                "storageClassName": self.config.storage_class_name,
                "additionalConfig": {"maxSize": box.obj.spec.s3_default_storage.capacity},
            },
        }
        return [Emitted(claim, box.doc.locate(("metadata", "name")), Wave.STORAGE, keeps_data=True)]

    def access(self, box: Resource[DataBox], bucket_var: str) -> BoxAccess:
        name = claim_name(box.name)
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
