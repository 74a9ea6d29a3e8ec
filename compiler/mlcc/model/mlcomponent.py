from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from mlcc.model.common import AbsolutePath, DnsLabel, EnvName, Manifest, Strict
from mlcc.model.quantity import ByteQuantity, CpuQuantity

# registry/path:tag or @sha256:digest, as `docker pull` accepts it.
IMAGE_PATTERN = r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$"
PYTHON_DOTTED = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"
RELATIVE_PATH = r"^(?!/)(?!.*(^|/)\.\.(/|$))[^\x00]*$"
BOX_SUBPATH = r"^(?!/)(?!.*(^|/)\.\.(/|$))[A-Za-z0-9._/-]*$"


# An extended resource (`nvidia.com/gpu`): a domain, '/', a name, as Kubernetes names them.
EXTENDED_RESOURCE = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)


def _extended_name(name: str) -> str:
    if "/" not in name:
        # Neither cpu nor memory nor <domain>/<name>: an unknown field, with did-you-mean.
        raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
    domain = name.split("/", 1)[0]
    if not EXTENDED_RESOURCE.match(name) or len(domain) > 253:
        raise PydanticCustomError(
            "extended_resource",
            "'{name}' is not an extended resource name: use <domain>/<name>, e.g. nvidia.com/gpu",
            {"name": name},
        )
    if domain == "kubernetes.io" or domain.endswith(".kubernetes.io"):
        raise PydanticCustomError(
            "extended_resource", "'{name}': the kubernetes.io domain is Kubernetes' own, not an extended resource", {"name": name}
        )
    return name


ExtendedName = Annotated[str, AfterValidator(_extended_name)]
ExtendedCount = Annotated[int, Field(ge=1, le=1024)]


class ResourceLimits(Strict):
    """cpu and memory, and any extended resource `<domain>/<name>: <integer>` (`nvidia.com/gpu: 1`):
    an extended resource is requested as much as it is limited, as Kubernetes requires."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"propertyNames": {"anyOf": [
        {"enum": ["cpu", "memory"]}, {"pattern": EXTENDED_RESOURCE.pattern}]}})
    __pydantic_extra__: dict[ExtendedName, ExtendedCount] = Field(init=False)  # type: ignore[assignment]

    cpu: CpuQuantity | None = None
    memory: ByteQuantity | None = None

    @model_validator(mode="before")
    @classmethod
    def _unknown_once(cls, data: Any) -> Any:
        """An unknown key (`cpus`) is reported once, as an unknown field: its value is not also
        checked as an extended resource's count."""
        if isinstance(data, dict):
            return {k: (1 if isinstance(k, str) and k not in ("cpu", "memory") and "/" not in k else v) for k, v in data.items()}
        return data

    @property
    def extended(self) -> dict[str, int]:
        """The extended resources asked for, by name."""
        return dict(sorted((self.__pydantic_extra__ or {}).items()))


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
    workers: Annotated[int, Field(ge=1, le=64)] | None = Field(
        None,
        description="worker processes serving the port, each with its own copy of the model and `threads` "
        "threads; default: the whole CPUs of the cpu limit (cpu: 2 → 2, 500m → 1)",
    )


class Batching(Strict):
    """Concurrent requests merged along the first dimension into one call of the function, and split back."""

    max_batch_size: Annotated[int, Field(ge=1, le=65536)] = Field(
        description="most rows (first-dimension entries) one call of the function receives"
    )
    max_latency_ms: Annotated[int, Field(ge=0, le=60000)] = Field(
        description="longest a request waits for others to join its batch, in milliseconds"
    )


class Inference(Strict):
    file_exchange: FileExchange | None = None
    model: ModelRef | None = None
    entry_point: EntryPoint
    serving: Serving = Field(default_factory=Serving)
    batching: Batching | None = Field(
        None, description="merge concurrent requests into one call of the function (off when absent)"
    )
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


ScaleMetric = Literal["concurrency", "rps", "cpu"]
# The metric scale to zero can wake on: a request arriving (KEDA's HTTP add-on counts them).
REQUEST_METRICS = ("concurrency", "rps")


class Scaling(Strict):
    """Replicas that follow the load, after KServe's minReplicas / maxReplicas / scaleMetric /
    scaleTarget; the environment's autoscaler (`spec.autoscaling.provider`) acts on it."""

    min_replicas: Annotated[int, Field(ge=0, le=1000)] = Field(
        1, description="fewest replicas; 0 scales to zero when idle (needs KEDA's HTTP add-on)"
    )
    max_replicas: Annotated[int, Field(ge=1, le=1000)] = Field(description="most replicas")
    metric: ScaleMetric = Field(
        "concurrency",
        description="what a replica's load is: `concurrency` (requests in flight), `rps` (requests per second) "
        "or `cpu` (utilization of the cpu request, %)",
    )
    target: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None,
        description="the load per replica to scale at; default: concurrency — the requests a replica runs at once "
        "(workers × threads), cpu — 80 (%); rps needs one",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "Scaling":
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas ({self.min_replicas}) is more than maxReplicas ({self.max_replicas})")
        if self.metric == "rps" and self.target is None:
            raise ValueError("metric rps needs a target: the requests per second one replica serves")
        if self.min_replicas == 0 and self.metric not in REQUEST_METRICS:
            raise ValueError(
                f"minReplicas 0 wakes on requests: metric must be concurrency or rps, not {self.metric} "
                "(no pod runs to use CPU while scaled to zero)"
            )
        return self


class MLComponentSpec(Strict):
    image: Image
    env: list[EnvVar] = Field(default_factory=list)
    env_from: list[EnvFromSource] = Field(default_factory=list)
    service_port: Annotated[int, Field(ge=1, le=65535)] = 8002
    ml_service: MLService
    connected_boxes: list[ConnectedBox] = Field(default_factory=list)
    replicas: Annotated[int, Field(ge=0, le=1000)] | None = Field(
        None, description="a fixed number of replicas (default: the environment's `replicas`); see also `scaling`"
    )
    scaling: Scaling | None = Field(
        None, description="replicas that follow the load, through the environment's autoscaler (instead of `replicas`)"
    )

    @model_validator(mode="after")
    def _replicas_or_scaling(self) -> "MLComponentSpec":
        if self.replicas is not None and self.scaling is not None:
            raise ValueError("set `replicas` (a fixed number) or `scaling` (replicas that follow the load), not both")
        return self


class MLComponent(Manifest):
    """A synchronous inference service around the developer's `inference` function."""

    kind: Literal["MLComponent"]
    spec: MLComponentSpec

