"""How long and how much an MLComponent's runtime serves, and what the objects around it derive
from that: route timeouts, the pod's termination grace period, the FILE scratch space.

The runtime's limits come from the component (`spec.mlService.inference.serving`) or the
runtime's defaults; what the objects around it need is derived from the same figures here, so
they cannot disagree (a route that cuts a request the runtime still allows, a kill before the
drain ends, a download cap larger than the folder it fills).
"""

from __future__ import annotations

from mlcc.model.databox import DataBox
from mlcc.model.environment import Environment
from mlcc.model.mlcomponent import MLComponent
from mlcc.model.quantity import parse_quantity

# The runtime's defaults (runtime-image/README.md, "Configuration").
DEFAULT_INFERENCE_TIMEOUT = 60  # MLCC_INFERENCE_TIMEOUT: seconds before a request answers 504
DEFAULT_INFERENCE_THREADS = 4  # MLCC_INFERENCE_THREADS: functions running at once
DEFAULT_MAX_INPUT_BYTES = 1024**3  # MLCC_MAX_INPUT_BYTES: FILE bytes one request may download
DRAIN_SECONDS = 2  # MLCC_DRAIN_SECONDS: after SIGTERM, serve on with readiness 503 this long
# After the drain the runtime gives in-flight requests the inference timeout plus this much
# before it exits (runtime-image/README.md, "Shutdown").
SHUTDOWN_MARGIN = 5
# A proxy waits this much longer than the runtime, so the caller gets the runtime's own JSON 504
# rather than the proxy's.
ROUTE_MARGIN = 5


# A component may switch the runtime's limit off (timeoutSeconds: 0); what the limit bounds
# elsewhere (routes, the grace period) then takes the longest limit a component may set.
LONGEST_TIMEOUT = 3600


def inference_timeout(component: MLComponent) -> int:
    """Seconds one request may run the component's function before the runtime answers 504
    (MLCC_INFERENCE_TIMEOUT, `spec.mlService.inference.serving.timeoutSeconds`); LONGEST_TIMEOUT
    for a component without a limit (0). The one place that answers it: the routes and the
    grace period derive from it."""
    return component.spec.ml_service.inference.serving.timeout_seconds or LONGEST_TIMEOUT


def inference_threads(component: MLComponent) -> int:
    """Requests whose function runs at once in one worker process (MLCC_INFERENCE_THREADS,
    `serving.threads`)."""
    return component.spec.ml_service.inference.serving.threads


def cpu_limit(component: MLComponent, env: Environment) -> str:
    """The container's cpu limit: the component's, else the environment's default."""
    return component.spec.image.resource_limits.cpu or env.spec.resources.default_cpu


def workers(component: MLComponent, env: Environment) -> int:
    """Worker processes serving the component's port (MLCC_WORKERS): `serving.workers`, else one
    per whole CPU of the cpu limit (cpu: 2 → 2, 1500m → 1, 500m → 1). A Python process runs
    Python code on one core at a time; more processes than whole cores would only contend."""
    given = component.spec.ml_service.inference.serving.workers
    if given is not None:
        return given
    return max(1, int(parse_quantity(cpu_limit(component, env))))  # int() of a positive Decimal: floor


def concurrent_requests(component: MLComponent, env: Environment) -> int:
    """Requests one pod runs at once: each worker runs `threads` of them. The scratch space holds
    the files of that many, and a concurrency autoscaler aims at it by default."""
    return workers(component, env) * inference_threads(component)


def route_timeout(component: MLComponent) -> int:
    """Seconds a proxy (Envoy, nginx) waits for the component's answer."""
    return inference_timeout(component) + ROUTE_MARGIN


def termination_grace(component: MLComponent) -> int:
    """terminationGracePeriodSeconds: the kubelet sends SIGKILL this long after SIGTERM.

    The runtime drains (readiness 503 while still serving) for DRAIN_SECONDS, then lets in-flight
    requests run for the inference timeout plus SHUTDOWN_MARGIN; the grace period covers all of
    it, so a rollout never kills a request the runtime allows: 2 + 60 + 5 = 67 s by default.
    """
    return DRAIN_SECONDS + inference_timeout(component) + SHUTDOWN_MARGIN


def max_input_bytes(component: MLComponent, file_box: DataBox) -> int:
    """MLCC_MAX_INPUT_BYTES: the FILE inputs of one request are objects of the file box, so they
    never need more than the box holds; the runtime's 1 GiB default caps larger boxes."""
    return min(DEFAULT_MAX_INPUT_BYTES, int(parse_quantity(file_box.spec.s3_default_storage.capacity)))


def scratch_bytes(component: MLComponent, file_box: DataBox, env: Environment) -> int:
    """sizeLimit of the `inference-files` emptyDir: each request whose function runs holds a
    folder there with its FILE inputs (at most `max_input_bytes`) and the outputs it writes
    (budgeted at as much again). The kubelet evicts a pod whose emptyDir outgrows its sizeLimit;
    bounded this way, a node's disk is protected and the requests the pod's workers run at once fit."""
    return 2 * concurrent_requests(component, env) * max_input_bytes(component, file_box)


# The runtime's memory rule (runtime-image/mlcc_runtime/memory.py): the runtime itself takes about
# BASELINE; half of the rest is the budget of request bodies and their decoded values, and a body
# decodes into at most DECODE_RATIO times its size. The default body cap is the budget over that
# ratio, clamped, so that no accepted body can take the pod past its memory limit.
MiB = 1024 * 1024
BASELINE_BYTES = 64 * MiB
DECODE_RATIO = 16
MIN_BUDGET = 16 * MiB
MIN_MAX_BODY, DEFAULT_MAX_BODY = 1 * MiB, 64 * MiB


def max_body_bytes(component: MLComponent, memory_limit: str, workers: int = 1) -> int:
    """MLCC_MAX_BODY_BYTES: `serving.maxBodyBytes`, else derived from the container's memory
    limit as the runtime derives it, so the route's body cap and the runtime's agree. With
    several worker processes each counts with its share of the limit (the runtime divides it by
    MLCC_WORKERS), so the cap is the one share's."""
    given = component.spec.ml_service.inference.serving.max_body_bytes
    if given is not None:
        return int(parse_quantity(given))
    share = int(parse_quantity(memory_limit)) // max(1, workers)
    budget = max(MIN_BUDGET, (share - BASELINE_BYTES) // 2)
    return max(MIN_MAX_BODY, min(DEFAULT_MAX_BODY, budget // DECODE_RATIO))


# What a cpu autoscaler aims at when the component names no target: 80 % of the cpu request.
DEFAULT_CPU_TARGET = 80


def scale_target(component: MLComponent, env: Environment) -> int:
    """The load per replica an autoscaler scales at (`scaling.target`): by default, for
    concurrency the requests a pod runs at once — beyond them requests queue — and for cpu
    DEFAULT_CPU_TARGET percent of the request."""
    scaling = component.spec.scaling
    assert scaling is not None
    if scaling.target is not None:
        return scaling.target
    return DEFAULT_CPU_TARGET if scaling.metric == "cpu" else concurrent_requests(component, env)


def fixed_replicas(component: MLComponent, env: Environment) -> int:
    """Replicas of a component no autoscaler scales: its `replicas`, else the environment's; with
    `scaling` and no autoscaler, `minReplicas` (at least one): the floor the component says it
    needs, and never more than a cluster without an autoscaler was sized for."""
    spec = component.spec
    if spec.scaling is not None:
        return max(1, spec.scaling.min_replicas)
    return env.spec.replicas if spec.replicas is None else spec.replicas
