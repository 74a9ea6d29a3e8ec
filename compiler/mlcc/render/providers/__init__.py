"""Storage providers: one file each, one contract (`StorageProvider`), chosen by the environment."""

from __future__ import annotations

from mlcc.environments import Environment
from mlcc.render.providers.base import BoxAccess, StorageProvider
from mlcc.render.providers.csi_s3 import CsiS3Provider
from mlcc.render.providers.external import ExternalProvider
from mlcc.render.providers.obc import ObcProvider

PROVIDERS: dict[str, type[StorageProvider]] = {
    "obc": ObcProvider,
    "csi-s3": CsiS3Provider,
    "external": ExternalProvider,
}


def provider_for(env: Environment) -> StorageProvider:
    return PROVIDERS[env.spec.storage.provider](env)


__all__ = ["BoxAccess", "StorageProvider", "provider_for", "PROVIDERS"]
