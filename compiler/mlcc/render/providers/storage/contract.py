"""The storage-provider contract.

A provider turns a DataBox into the objects that create its storage, and tells consumers how to
reach it: `access` gives S3 coordinates as container env vars (for copy boxes, init-container
syncs and the file API); `volume` gives a CSI volume when the provider can mount a box directly;
`shared_credentials` names the Secret every module needs when boxes live in a bucket the
environment owns; `egress` gives the NetworkPolicy egress rules that reach an in-cluster store;
`presigning_env` tells the file API which address to sign its URLs for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mlcc.frontend.manifests import Resource
from mlcc.k8s.objects import Emitted
from mlcc.model import DataBox
from mlcc.model.environment import Environment, Storage
from mlcc.render.providers.base import EnvVar, value_env

# The runtime's file API signs its URLs for this address instead of AWS_ENDPOINT_URL_S3.
PUBLIC_ENDPOINT_VAR = "MLCC_S3_PUBLIC_ENDPOINT"


class StorageError(ValueError):
    """The environment's store cannot serve what the module asks for."""


@dataclass(frozen=True)
class BoxAccess:
    """How a container reaches a box over S3.

    `env` defines, in order, the AWS conventions (AWS_ENDPOINT_URL_S3,
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) and `bucket_var`;
    later values may refer to it as `$(bucket_var)`. `prefix` is the box's key
    prefix inside the bucket ('' or ending in '/').
    """

    env: tuple[EnvVar, ...]
    bucket_var: str
    prefix: str

    def url(self, sub_path: str = "") -> str:
        """s3:// URL of a part of the box, with the bucket as an env reference."""
        tail = (self.prefix + sub_path.strip("/")).strip("/")
        return f"s3://$({self.bucket_var})/{tail}" if tail else f"s3://$({self.bucket_var})"

    def key_prefix(self, sub_path: str = "") -> str:
        tail = (self.prefix + sub_path.strip("/")).strip("/")
        return f"{tail}/" if tail else ""


@dataclass(frozen=True)
class BoxLocation:
    """Where a box's objects are, for a client outside the cluster (`mlcc model push`)."""

    endpoint: str | None  # None: the S3 client's default (AWS)
    bucket: str
    prefix: str  # '' or ending in '/'
    region: str | None = None


@dataclass(frozen=True)
class SharedCredentials:
    """A Secret of S3 credentials each module namespace needs, and its key in the secret store."""

    secret_name: str
    remote_key: str | None


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

    def location(self, box: Resource[DataBox]) -> BoxLocation | None:
        """Where the box's objects are; None when only the cluster knows (a generated bucket name)."""

    def shared_credentials(self) -> SharedCredentials | None:
        """The credentials Secret of a bucket the environment owns; None when each box brings its own."""

    def egress(self) -> list[dict[str, Any]]:
        """NetworkPolicy egress rules that reach the store's pods when it runs in the cluster
        ([] for a store outside it: the environment's network CIDRs cover that)."""

    def presigning_env(self) -> tuple[EnvVar, ...]:
        """What the file API needs to sign URLs outside clients can use (raises StorageError)."""


def in_cluster_egress(storage: Storage) -> list[dict[str, Any]]:
    """Egress to an in-cluster store, by namespace and pod labels, on the ports its pods listen on.

    Calico and Cilium evaluate egress after kube-proxy (or Cilium's socket load balancer) has
    translated the Service address to a pod address and target port: a rule must name the pods
    and their port (Rook's RGW: 8080 behind a Service on 80). A CIDR rule does not help either:
    Cilium's CIDR rules never select pods it manages.
    """
    store = storage.in_cluster
    if store is None:
        return []
    return [
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": store.namespace}},
                    "podSelector": {"matchLabels": dict(sorted(store.pod_labels.items()))},
                }
            ],
            "ports": [{"protocol": "TCP", "port": port} for port in store.ports],
        }
    ]


def public_endpoint_env(env: Environment) -> tuple[EnvVar, ...]:
    """MLCC_S3_PUBLIC_ENDPOINT when the environment declares a public S3 address; an error when
    the store runs in the cluster without one (URLs signed for a Service address work for no
    outside client); nothing when the store's own endpoint is the public one."""
    storage = env.spec.storage
    if storage.public_endpoint is not None:
        return (value_env(PUBLIC_ENDPOINT_VAR, storage.public_endpoint),)
    if storage.in_cluster is not None:
        raise StorageError(
            f"environment '{env.name}' keeps boxes in an in-cluster object store (storage.inCluster) and names no "
            "storage.publicEndpoint: the file API's pre-signed URLs would point at an address no client outside "
            "the cluster can reach"
        )
    return ()
