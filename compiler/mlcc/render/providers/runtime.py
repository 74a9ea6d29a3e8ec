"""Runtime providers: how the runtime gets into the developer's container (the environment's choice).

- `copy`: an init container copies a self-contained runtime from the runtime image into a volume;
- `pip`: an init container runs the developer's own Python to install the runtime from the
  module's package registry, so compiled wheels match that Python;
- `image`: the developer's image was built on the runtime image and already holds it.
"""

from __future__ import annotations

from typing import Any, Protocol

from mlcc.k8s.security import container_security_context
from mlcc.model.container import RUNTIME_MOUNT, SCRATCH
from mlcc.model.environment import Environment
from mlcc.render.providers.base import WorkloadNeeds, value_env

# The runtime image keeps a self-contained copy of the runtime here (see runtime-image/Dockerfile).
RUNTIME_SITE = "/opt/mlcc-runtime/site"
RUNTIME_VOLUME = "mlcc-runtime"
SERVE_COMMAND = ("python", "-m", "mlcc_runtime", "serve")
_VOLUME = {"name": RUNTIME_VOLUME, "emptyDir": {"sizeLimit": "256Mi"}}
_MOUNT = {"name": RUNTIME_VOLUME, "mountPath": RUNTIME_MOUNT}


class RuntimeProvider(Protocol):
    name: str

    def __init__(self, env: Environment) -> None: ...

    def needs(self, developer_image: str, registry_url: str | None) -> WorkloadNeeds:
        """What the inference container needs to run the runtime (its command included)."""


class ImageRuntime:
    name = "image"

    def __init__(self, env: Environment) -> None:
        self.env = env

    def needs(self, developer_image: str, registry_url: str | None) -> WorkloadNeeds:
        return WorkloadNeeds(command=SERVE_COMMAND)


class CopyRuntime:
    name = "copy"

    def __init__(self, env: Environment) -> None:
        self.env = env

    def needs(self, developer_image: str, registry_url: str | None) -> WorkloadNeeds:
        installer = {
            "name": "install-runtime",
            "image": self.env.spec.runtime.image,
            "command": ["cp", "-a", f"{RUNTIME_SITE}/.", f"{RUNTIME_MOUNT}/"],
        }
        return _installed(installer)


class PipRuntime:
    name = "pip"

    def __init__(self, env: Environment) -> None:
        self.env = env

    def needs(self, developer_image: str, registry_url: str | None) -> WorkloadNeeds:
        if registry_url is None:
            raise ValueError("pip injection needs spec.mlService.packageRegistryName")
        installer = {
            "name": "install-runtime",
            "image": developer_image,
            "command": [
                "python", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check",
                "--target", RUNTIME_MOUNT, "--index-url", registry_url, self.env.spec.runtime.package,
            ],
            "env": [value_env("HOME", SCRATCH)],
        }
        return _installed(installer)


def _installed(installer: dict[str, Any]) -> WorkloadNeeds:
    """The runtime installed into a volume by `installer`, then on the container's PYTHONPATH."""
    installer.update(
        {
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
            "securityContext": container_security_context(),
            "volumeMounts": [dict(_MOUNT), {"name": "tmp", "mountPath": SCRATCH}],
        }
    )
    return WorkloadNeeds(
        command=SERVE_COMMAND,
        env=(value_env("PYTHONPATH", RUNTIME_MOUNT),),
        volumes=(dict(_VOLUME),),
        mounts=({**_MOUNT, "readOnly": True},),
        init_containers=(installer,),
    )
