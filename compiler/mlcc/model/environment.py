"""The Environment kind: a cluster profile a platform team keeps in `overlays/<name>/environment.yaml`.

An environment says how modules become objects on one cluster: the domain, the
route style, the storage provider, registries, the runtime image and how it is
injected, the secret store, replica and resource policy, the autoscaler, the GPU
nodes and how metrics are scraped. With no overlays the
built-in default applies. Environment files are checked like modules.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from mlcc.model.common import DnsLabel, Strict
from mlcc.model.quantity import ByteQuantity, CpuQuantity

DIGEST_PIN = r"^.+@sha256:[a-f0-9]{64}$"
HTTP_URL = r"^https?://"
# Kubernetes label keys ([prefix/]name) and values, as the API server checks them.
LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"
Port = Annotated[int, Field(ge=1, le=65535)]
DEFAULT_RUNTIME_IMAGE = (
    "ghcr.io/mlcc/mlcc-runtime:0.1.0@sha256:0000000000000000000000000000000000000000000000000000000000000000"
)


class Ingress(Strict):
    class_name: str = "nginx"
    controller_namespace: DnsLabel = "ingress-nginx"


class ServiceRef(Strict):
    name: DnsLabel
    namespace: DnsLabel
    port: Annotated[int, Field(ge=1, le=65535)]


class Gateway(Strict):
    """A Gateway API Gateway run by Envoy Gateway (auth through its SecurityPolicy)."""

    name: DnsLabel
    namespace: DnsLabel
    section_name: str | None = None
    controller_namespace: DnsLabel = "envoy-gateway-system"
    # The OIDC session checker (e.g. oauth2-proxy) as a Service, for SecurityPolicy extAuth.
    ext_auth_service: ServiceRef | None = None


class Routes(Strict):
    style: Literal["ingress", "gateway"] = "ingress"
    tls_secret_name: DnsLabel | None = None
    # A cert-manager ClusterIssuer that issues tlsSecretName in each module's namespace (ingress
    # style): cert-manager's ingress-shim makes the Certificate from the Ingress's annotation.
    tls_cluster_issuer: DnsLabel | None = None
    ingress: Ingress = Field(default_factory=Ingress)
    gateway: Gateway | None = None

    @model_validator(mode="after")
    def _gateway_named(self) -> "Routes":
        if self.style == "gateway" and self.gateway is None:
            raise ValueError("route style 'gateway' needs `gateway: {name, namespace}`")
        return self


class Oidc(Strict):
    """An external auth endpoint (e.g. oauth2-proxy) that checks OpenID Connect sessions."""

    auth_url: Annotated[str, Field(pattern=r"^https?://")]
    signin_url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    user_header: str = "X-Auth-Request-User"


class Auth(Strict):
    oidc: Oidc | None = None
    realm: str = "mlcc"


class S3Credentials(Strict):
    """A Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in each module namespace."""

    secret_name: DnsLabel = "mlcc-s3-credentials"
    # Where the secret store keeps it; when set, mlcc renders an ExternalSecret for it.
    # `{namespace}` is filled in: a key per module, scoped to the module's own prefix of the bucket.
    remote_key: str | None = None

NAMESPACE_PLACEHOLDER = "{namespace}"


class S3Endpoint(Strict):
    endpoint: Annotated[str, Field(pattern=r"^https?://")]
    bucket: DnsLabel
    region: str = "us-east-1"
    credentials: S3Credentials = Field(default_factory=S3Credentials)


class Obc(Strict):
    storage_class_name: DnsLabel = "ceph-bucket"
    endpoint_scheme: Literal["http", "https"] = "http"


class CsiS3(S3Endpoint):
    storage_class_name: str = ""
    driver: str = "ru.yandex.s3.csi"
    mounter: str = "geesefs"
    node_secret_name: DnsLabel = "csi-s3-secret"
    node_secret_namespace: DnsLabel = "kube-system"


class InClusterStore(Strict):
    """The object store runs as pods of this cluster (Rook-Ceph RGW, NooBaa, MinIO, ...).

    Modules then reach it through a Service, and CNIs such as Calico and Cilium check egress
    after the Service address is translated to a pod's: the NetworkPolicy must name the store's
    pods and the ports they listen on (not the Service's), which CIDR rules cannot do.
    """

    namespace: DnsLabel = Field(description="namespace the store's pods run in, e.g. rook-ceph")
    pod_labels: Annotated[
        dict[Annotated[str, Field(pattern=LABEL_KEY, max_length=317)], Annotated[str, Field(pattern=LABEL_VALUE, max_length=63)]],
        Field(min_length=1),
    ] = Field(description="labels of the store's pods, e.g. {app: rook-ceph-rgw, rook_object_store: <store>}")
    ports: Annotated[list[Port], Field(min_length=1)] = Field(
        default_factory=lambda: [8080],
        description="ports the store's pods listen on (the Service's targetPort; Rook's RGW: 8080 behind a Service on 80)",
    )


class Storage(Strict):
    provider: Literal["obc", "csi-s3", "external"] = "obc"
    # How mountS3Box boxes reach the container: a CSI volume or an init-container sync.
    mount: Literal["csi", "sync"] = "sync"
    obc: Obc = Field(default_factory=Obc)
    csi_s3: CsiS3 | None = None
    external: S3Endpoint | None = None
    in_cluster: InClusterStore | None = Field(
        None, description="the store runs in this cluster: egress to its pods by selector instead of network.egressCidrs"
    )
    public_endpoint: Annotated[str, Field(pattern=HTTP_URL)] | None = Field(
        None,
        description="the S3 address clients outside the cluster use: file APIs sign their URLs for it "
        "(required to publish a file API over an in-cluster store)",
    )

    @model_validator(mode="after")
    def _provider_configured(self) -> "Storage":
        if self.provider == "csi-s3" and self.csi_s3 is None:
            raise ValueError("storage provider 'csi-s3' needs a `csiS3:` section")
        if self.provider == "external" and self.external is None:
            raise ValueError("storage provider 'external' needs an `external:` section")
        if self.mount == "csi" and self.provider != "csi-s3":
            raise ValueError(f"mount 'csi' needs the csi-s3 provider, not '{self.provider}'")
        return self


class Runtime(Strict):
    image: Annotated[str, Field(pattern=DIGEST_PIN)] = DEFAULT_RUNTIME_IMAGE
    injection: Literal["copy", "pip", "image"] = "copy"
    package: str = "mlcc-runtime==0.1.0"
    # Where the developer's image keeps the module folder (pythonPath is relative to it).
    app_root: Annotated[str, Field(pattern=r"^/")] = "/home/app"
    uid: Annotated[int, Field(ge=1)] = 10001


class SecretStore(Strict):
    kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"
    name: DnsLabel
    # Remote key of a module's credentials Secret; {namespace} and {name} are filled in.
    key_template: str = "mlcc/{namespace}/{name}"


class Resources(Strict):
    default_cpu: CpuQuantity = "1"
    default_memory: ByteQuantity = "512Mi"
    # requests = limits x ratio; 1.0 gives the Guaranteed QoS class.
    request_ratio: Annotated[float, Field(gt=0, le=1)] = 1.0


class ArgoCD(Strict):
    namespace: DnsLabel = "argocd"
    project: str = "default"
    repo_url: str = Field("https://git.example.com/ml/modules.git", alias="repoURL")  # Argo CD's spelling
    target_revision: str = "main"
    path_prefix: str = "rendered"
    destination_server: str = "https://kubernetes.default.svc"


class Network(Strict):
    """Egress to what runs outside the cluster: object stores there, package registries.
    An empty `egressCidrs` allows none (an in-cluster store is reached through storage.inCluster)."""

    egress_cidrs: list[str] = Field(default_factory=lambda: ["0.0.0.0/0"])
    egress_ports: Annotated[list[Port], Field(min_length=1)] = Field(default_factory=lambda: [80, 443])


Labels = dict[Annotated[str, Field(pattern=LABEL_KEY, max_length=317)], Annotated[str, Field(pattern=LABEL_VALUE, max_length=63)]]


class PodsRef(Strict):
    """Pods of another namespace that call the module's pods (a NetworkPolicy admits them)."""

    namespace: DnsLabel
    pod_labels: Labels = Field(default_factory=dict, description="labels of those pods; empty: every pod of the namespace")


class KedaHttpAddOn(Strict):
    """KEDA's HTTP add-on, which wakes a component scaled to zero: its interceptor proxy holds the
    first request until a pod is ready. Defaults: the add-on's Helm chart installed in `keda`."""

    namespace: DnsLabel = "keda"
    interceptor_service: DnsLabel = "keda-add-ons-http-interceptor-proxy"
    interceptor_port: Port = 8080
    interceptor_pod_labels: Labels = Field(
        default_factory=lambda: {"app.kubernetes.io/component": "interceptor", "app.kubernetes.io/name": "http-add-on"},
        description="labels of the interceptor's pods (the NetworkPolicy admits them)",
    )
    cold_start_seconds: Annotated[int, Field(ge=1, le=3600)] = Field(
        120,
        description="how long the interceptor holds a request while the component scales up from zero "
        "(HTTPScaledObject timeouts.conditionWait; the routes wait this much longer)",
    )
    scaledown_seconds: Annotated[int, Field(ge=0, le=86400)] = Field(
        300, description="idle seconds before a component scales back to zero (HTTPScaledObject scaledownPeriod)"
    )


class Keda(Strict):
    prometheus_address: Annotated[str, Field(pattern=HTTP_URL)] = Field(
        description="the Prometheus server KEDA queries for the runtime's metrics, e.g. http://prometheus-operated.monitoring:9090"
    )
    http_add_on: KedaHttpAddOn = Field(default_factory=KedaHttpAddOn)


class Autoscaling(Strict):
    """Who scales components that declare `spec.scaling`."""

    provider: Literal["hpa", "keda", "none"] = Field(
        "none",
        description="hpa: a HorizontalPodAutoscaler (autoscaling/v2); keda: a KEDA ScaledObject on the runtime's "
        "metrics in Prometheus, and scale to zero through KEDA's HTTP add-on; none: no autoscaler, "
        "a component runs minReplicas replicas",
    )
    keda: Keda | None = None

    @model_validator(mode="after")
    def _keda_configured(self) -> "Autoscaling":
        if self.provider == "keda" and self.keda is None:
            raise ValueError("autoscaling provider 'keda' needs `keda: {prometheusAddress}`")
        return self

    @property
    def scales(self) -> bool:
        """Replicas follow the load (an autoscaler runs)."""
        return self.provider != "none"

    @property
    def scales_to_zero(self) -> bool:
        """minReplicas 0 works: a request wakes a component with no pod (KEDA's HTTP add-on)."""
        return self.provider == "keda"


class Toleration(Strict):
    key: Annotated[str, Field(pattern=LABEL_KEY, max_length=317)] | None = None
    operator: Literal["Exists", "Equal"] = "Equal"
    value: Annotated[str, Field(pattern=LABEL_VALUE, max_length=63)] | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = None

    @model_validator(mode="after")
    def _as_kubernetes_checks(self) -> "Toleration":
        # The API server's own rules for a pod's tolerations.
        if self.operator == "Exists" and self.value:
            raise ValueError("operator Exists takes no value")
        if self.key is None and self.operator != "Exists":
            raise ValueError("a toleration without a key needs operator Exists")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise ValueError("tolerationSeconds needs effect NoExecute")
        return self


# Extended resources that are GPUs in every environment: `<domain>/gpu` (nvidia.com/gpu,
# amd.com/gpu) and NVIDIA's MIG slices (nvidia.com/mig-1g.5gb).
GPU_RESOURCE = re.compile(r"^[^/]+/gpu$|^nvidia\.com/mig-[^/]+$")


class Gpu(Strict):
    """GPU nodes: where components that ask for a GPU are scheduled (and only those)."""

    node_selector: Labels = Field(default_factory=dict, description="labels of the GPU nodes, e.g. {nvidia.com/gpu.present: \"true\"}")
    tolerations: list[Toleration] = Field(default_factory=list, description="tolerations of the GPU nodes' taints")
    runtime_class_name: DnsLabel | None = Field(None, description="the RuntimeClass of GPU containers, e.g. nvidia")
    resources: list[Annotated[str, Field(pattern=r"^[a-z0-9.-]+/[A-Za-z0-9._-]+$")]] = Field(
        default_factory=list,
        description="extended resources that also mean a GPU node, besides <domain>/gpu and nvidia.com/mig-* "
        "(e.g. gpu.intel.com/i915)",
    )

    def is_gpu(self, resource: str) -> bool:
        return is_gpu(resource) or resource in self.resources


def is_gpu(resource: str) -> bool:
    """An extended resource that only GPU nodes offer, whatever the environment."""
    return bool(GPU_RESOURCE.match(resource))


def gpus_asked(resources: list[str], env: "Environment") -> list[str]:
    """Those of the extended resources named that need a GPU node in `env`."""
    gpu = env.spec.gpu
    return [name for name in resources if (gpu.is_gpu(name) if gpu else is_gpu(name))]


class Monitoring(Strict):
    pod_monitor: bool = Field(
        False, description="render a Prometheus Operator PodMonitor per runtime Deployment (/metrics on its http port)"
    )
    labels: Labels = Field(
        default_factory=dict, description="labels the Prometheus's podMonitorSelector selects, e.g. {release: kube-prometheus-stack}"
    )
    prometheus: PodsRef = Field(
        default_factory=lambda: PodsRef(namespace="monitoring", pod_labels={"app.kubernetes.io/name": "prometheus"}),
        description="the Prometheus pods that scrape (the NetworkPolicy admits them to the http port)",
    )


class EnvironmentSpec(Strict):
    domain: str = "ml.example.com"
    routes: Routes = Field(default_factory=Routes)
    auth: Auth = Field(default_factory=Auth)
    storage: Storage = Field(default_factory=Storage)
    package_registries: dict[str, Annotated[str, Field(pattern=r"^https?://")]] = Field(
        default_factory=lambda: {"python-package-registry": "https://pypi.org/simple"}
    )
    runtime: Runtime = Field(default_factory=Runtime)
    secret_store: SecretStore | None = None
    replicas: Annotated[int, Field(ge=0, le=1000)] = 1
    resources: Resources = Field(default_factory=Resources)
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    gpu: Gpu | None = Field(None, description="GPU nodes; without it, asking for a GPU is an error")
    monitoring: Monitoring = Field(default_factory=Monitoring)
    cluster_domain: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")] = "cluster.local"
    network: Network = Field(default_factory=Network)
    argocd: ArgoCD = Field(default_factory=ArgoCD)


class Environment(Strict):
    api_version: Literal["unified-platform.cs.hse.ru/v1"]
    kind: Literal["Environment"]
    metadata: "EnvironmentMeta"
    spec: EnvironmentSpec = Field(default_factory=EnvironmentSpec)

    @property
    def name(self) -> str:
        return self.metadata.name


class EnvironmentMeta(Strict):
    name: DnsLabel


Environment.model_rebuild()

DEFAULT = Environment(
    api_version="unified-platform.cs.hse.ru/v1", kind="Environment", metadata=EnvironmentMeta(name="default")
)
