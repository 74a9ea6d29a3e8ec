from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from mlcc.model.common import AbsolutePath, DnsLabel, EnvName, Manifest, Strict
from mlcc.model.quantity import ByteQuantity, CpuQuantity

# registry/path:tag or @sha256:digest, as `docker pull` accepts it.
IMAGE_PATTERN = r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$"
PYTHON_DOTTED = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"
RELATIVE_PATH = r"^(?!/)(?!.*(^|/)\.\.(/|$))[^\x00]*$"
BOX_SUBPATH = r"^(?!/)(?!.*(^|/)\.\.(/|$))[A-Za-z0-9._/-]*$"


class ResourceLimits(Strict):
    cpu: CpuQuantity | None = None
    memory: ByteQuantity | None = None


class Image(Strict):
    existing_image_name: Annotated[str, Field(pattern=IMAGE_PATTERN, max_length=512)]
    resource_limits: ResourceLimits = Field(default_factory=ResourceLimits)


class EnvVar(Strict):
    name: EnvName
    value: str = ""


class EnvSourceRef(Strict):
    name: DnsLabel
    optional: bool = False


class EnvFromSource(Strict):
    """Kubernetes envFrom: exactly one of configMapRef / secretRef."""

    prefix: EnvName | None = None
    config_map_ref: EnvSourceRef | None = None
    secret_ref: EnvSourceRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "EnvFromSource":
        if (self.config_map_ref is None) == (self.secret_ref is None):
            raise ValueError("set exactly one of configMapRef or secretRef")
        return self


class FileExchange(Strict):
    file_box: DnsLabel
    inference_files_path: AbsolutePath


class ModelRef(Strict):
    model_box: DnsLabel
    model_path: AbsolutePath


class EntryPoint(Strict):
    python_path: Annotated[str, Field(pattern=RELATIVE_PATH)] = "."
    python_function: Annotated[str, Field(pattern=PYTHON_DOTTED)]


class Serving(Strict):
    """How the runtime serves this component (mlcc's extension; the defaults suit small models)."""

    timeout_seconds: Annotated[int, Field(ge=0, le=3600)] = Field(
        60, description="seconds one request may run before it answers 504; 0: no limit (routes and rollouts follow it)"
    )
    threads: Annotated[int, Field(ge=1, le=256)] = Field(
        4, description="threads running the inference function concurrently"
    )
    max_body_bytes: ByteQuantity | None = Field(
        None, description="largest request body accepted (413 above it); default: derived from the memory limit"
    )


class Inference(Strict):
    file_exchange: FileExchange | None = None
    model: ModelRef | None = None
    entry_point: EntryPoint
    serving: Serving = Field(default_factory=Serving)
    examples: Annotated[str, Field(pattern=RELATIVE_PATH, max_length=1024)] | None = Field(
        None,
        description="JSON file of example requests, relative to the module folder: the runtime warms up with "
        "the first before it reports ready; all of them document the API and feed `mlcc run --smoke`",
    )


class MLService(Strict):
    package_registry_name: DnsLabel | None = None
    inference: Inference


class S3BoxRef(Strict):
    s3_box_name: DnsLabel
    sub_path: Annotated[str, Field(pattern=BOX_SUBPATH)] = ""


class ConnectedBox(Strict):
    """A DataBox attached to the component: mounted at `path`, or copied per request."""

    name: DnsLabel
    path: AbsolutePath | None = None
    mount_s3_box: S3BoxRef | None = None
    copy_s3_box: S3BoxRef | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "ConnectedBox":
        if (self.mount_s3_box is None) == (self.copy_s3_box is None):
            raise ValueError("set exactly one of mountS3Box or copyS3Box")
        if self.mount_s3_box is not None and self.path is None:
            raise ValueError("a mountS3Box box needs `path`, the mount point in the container")
        return self

    @property
    def box_ref(self) -> S3BoxRef:
        return self.mount_s3_box or self.copy_s3_box  # type: ignore[return-value]


class MLComponentSpec(Strict):
    image: Image
    env: list[EnvVar] = Field(default_factory=list)
    env_from: list[EnvFromSource] = Field(default_factory=list)
    service_port: Annotated[int, Field(ge=1, le=65535)] = 8002
    ml_service: MLService
    connected_boxes: list[ConnectedBox] = Field(default_factory=list)


class MLComponent(Manifest):
    """A synchronous inference service around the developer's `inference` function."""

    kind: Literal["MLComponent"]
    spec: MLComponentSpec

