"""How the runtime gets into the developer's container: copy, pip or image (environment's choice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlcc.environments import Environment
from mlcc.render.security import container_security_context

# The runtime image keeps a self-contained copy of the runtime here (see runtime-image/Dockerfile).
RUNTIME_SITE = "/opt/mlcc-runtime/site"
# Where that copy lands in the developer's container.
RUNTIME_MOUNT = "/mlcc-runtime"
RUNTIME_VOLUME = "mlcc-runtime"
SERVE_COMMAND = ["python", "-m", "mlcc_runtime", "serve"]


@dataclass(frozen=True)
class Injection:
    command: list[str]
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    env: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)


def inject(env: Environment, developer_image: str, registry_url: str | None) -> Injection:
    runtime = env.spec.runtime
    if runtime.injection == "image":
        return Injection(command=SERVE_COMMAND)
    volume = {"name": RUNTIME_VOLUME, "emptyDir": {"sizeLimit": "256Mi"}}
    mount = {"name": RUNTIME_VOLUME, "mountPath": RUNTIME_MOUNT}
    if runtime.injection == "copy":
        installer = {
            "name": "install-runtime",
            "image": runtime.image,
            "command": ["cp", "-a", f"{RUNTIME_SITE}/.", f"{RUNTIME_MOUNT}/"],
        }
    else:  # pip: the developer's own Python installs the runtime, so compiled wheels match it
        if registry_url is None:
            raise ValueError("pip injection needs spec.mlService.packageRegistryName")
        installer = {
            "name": "install-runtime",
            "image": developer_image,
            "command": [
                "python", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check",
                "--target", RUNTIME_MOUNT, "--index-url", registry_url, runtime.package,
            ],
            "env": [{"name": "HOME", "value": "/tmp"}],
        }
    installer.update(
        {
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
            "securityContext": container_security_context(),
            "volumeMounts": [mount, {"name": "tmp", "mountPath": "/tmp"}],
        }
    )
    return Injection(
        command=SERVE_COMMAND,
        init_containers=[installer],
        env=[{"name": "PYTHONPATH", "value": RUNTIME_MOUNT}],
        volumes=[volume],
        mounts=[{**mount, "readOnly": True}],
    )
