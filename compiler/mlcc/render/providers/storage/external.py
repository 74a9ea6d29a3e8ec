"""An existing bucket the platform runs: each box is the prefix <namespace>/<box>/ of it."""

from __future__ import annotations

from typing import Any

from mlcc.frontend.manifests import Resource
from mlcc.k8s.objects import Emitted
from mlcc.model import DataBox
from mlcc.model.environment import Environment
from mlcc.render.providers.storage.shared_bucket import SharedBucketProvider


class ExternalProvider(SharedBucketProvider):
    name = "external"
    can_mount = False

    def __init__(self, env: Environment) -> None:
        assert env.spec.storage.external is not None  # the environment model guarantees it
        super().__init__(env, env.spec.storage.external)

    def objects(self, box: Resource[DataBox], module: str) -> list[Emitted]:
        return []  # the bucket exists; credentials come from the environment's Secret

    def volume(self, box: Resource[DataBox], volume_name: str) -> dict[str, Any]:
        raise NotImplementedError("external buckets cannot be mounted; the environment must use mount: sync")
