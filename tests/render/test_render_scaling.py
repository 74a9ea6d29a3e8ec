"""Scaling, GPUs, batching and monitoring, built for an `hpa` and a `keda` environment.

One module (iris) holds a GPU component that batches and scales on concurrency, a CPU
component that scales on cpu (or, in the scale-to-zero build, from zero on requests through
KEDA's HTTP add-on), and a file API; a second module (textstats) has a fixed `replicas`. Every
environment scrapes with PodMonitors. The build verifies each object against the Kubernetes
1.31 schemas and the vendored upstream CRD schemas made strict; the tests check that again for
every object and then read what the objects say.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlcc.k8s.verify import CRD_SCHEMAS, check_object
from rendertools import API, OVERLAYS, Tree, copy_modules, mlcc_inprocess, pod_spec, runtime_config, write_env

IRIS, TEXTSTATS = "pu-alice-pa-iris", "pu-bob-pa-textstats"
PROMETHEUS = "http://prometheus-operated.monitoring:9090"
GPU = {
    "nodeSelector": {"nvidia.com/gpu.present": "true"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "runtimeClassName": "nvidia",
}
MONITORING = {"podMonitor": True, "labels": {"release": "kube-prometheus-stack"}}
KEDA = {"provider": "keda", "keda": {"prometheusAddress": PROMETHEUS}}
EXT_AUTH = {"name": "oauth2-proxy", "namespace": "auth-system", "port": 4180}


def _overlay(name: str) -> dict[str, Any]:
    spec = yaml.safe_load((OVERLAYS / name / "environment.yaml").read_text())["spec"]
    if spec["routes"]["style"] == "gateway":
        spec["routes"]["gateway"]["extAuthService"] = EXT_AUTH
    return spec


def _envs(autoscalers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Environments named after their autoscaler: the dev overlay's (ingress) or prod's (gateway)."""
    found = {}
    for name, autoscaling in autoscalers.items():
        base = _overlay("prod" if name.endswith("gateway") else "dev")
        found[name] = {**base, "autoscaling": autoscaling, "gpu": GPU, "monitoring": MONITORING}
    return found


def _cpu_component(scaling: str) -> str:
    return f"""apiVersion: {API}
kind: MLComponent
metadata:
  name: iris-cpu
  namespace: {IRIS}
spec:
  image:
    existingImageName: registry.example.com/lab/iris:1f3c9a2
    resourceLimits:
      cpu: 500m
      memory: 512Mi
  mlService:
    packageRegistryName: python-package-registry
    inference:
      model:
        modelBox: model-box
        modelPath: /home/app/models/iris.joblib
      examples: examples.json
      serving:
        workers: 3
      entryPoint:
        pythonPath: .
        pythonFunction: iris.predict.inference
  connectedBoxes:
    - name: model-box
      path: /home/app/models
      mountS3Box:
        s3BoxName: models
        subPath: users/developer/file_groups/models
  scaling:
{scaling}---
apiVersion: {API}
kind: APIComponent
metadata:
  name: iris-cpu-api
  namespace: {IRIS}
spec:
  published: true
  mlComponent:
    name: iris-cpu
  restfulApi:
    path: iris-cpu
    auth:
      basic:
        credentials: iris-apis-cred
"""


def make_repo(root: Path, cpu_scaling: str, envs: dict[str, dict[str, Any]]) -> Path:
    modules = copy_modules(root)
    component = modules / "iris" / "iris-mlcmp.yaml"
    text = component.read_text()
    limits = "      cpu: 500m\n      memory: 256M\n"
    batching = "      entryPoint:\n"
    assert limits in text and text.count(batching) == 1
    text = text.replace(limits, '      cpu: "2"\n      memory: 2Gi\n      nvidia.com/gpu: 1\n')
    text = text.replace(batching, "      batching:\n        maxBatchSize: 32\n        maxLatencyMs: 5\n" + batching)
    component.write_text(text + "  scaling:\n    minReplicas: 1\n    maxReplicas: 4\n    metric: concurrency\n")
    (modules / "iris" / "iris-cpu.yaml").write_text(_cpu_component(cpu_scaling))
    textstats = modules / "textstats" / "textstats-mlcmp.yaml"
    textstats.write_text(textstats.read_text() + "  replicas: 3\n")
    for name, spec in envs.items():
        write_env(root / "overlays", name, spec)
    return root


def line_of(path: Path, text: str) -> int:
    """The line (1-based) of the one line of `path` that is `text` once stripped."""
    (line,) = [i for i, found in enumerate(path.read_text().splitlines(), 1) if found.strip() == text]
    return line


def build(root: Path) -> Tree:
    run = mlcc_inprocess("build", "modules", "-o", "out", "--no-cache", cwd=root)
    assert run.code == 0, run.text
    return Tree(root / "out")


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """hpa (ingress) and keda (Gateway API): iris-cpu scales on cpu from 2 to 5."""
    root = make_repo(tmp_path_factory.mktemp("scaled"), "    minReplicas: 2\n    maxReplicas: 5\n    metric: cpu\n",
                     _envs({"hpa": {"provider": "hpa"}, "keda-gateway": KEDA}))
    return build(root)


@pytest.fixture(scope="module")
def to_zero(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """keda with ingress and with Gateway API: iris-cpu scales from zero on 20 requests/s a replica."""
    root = make_repo(tmp_path_factory.mktemp("to-zero"),
                     "    minReplicas: 0\n    maxReplicas: 3\n    metric: rps\n    target: 20\n",
                     _envs({"keda-ingress": KEDA, "keda-gateway": KEDA}))
    return build(root)


SCALING_GROUPS = ("autoscaling", "keda.sh", "http.keda.sh", "monitoring.coreos.com")


@pytest.mark.parametrize("which", ["scaled", "to_zero"])
def test_every_object_validates_against_its_upstream_schema_made_strict(which: str, request: pytest.FixtureRequest) -> None:
    tree: Tree = request.getfixturevalue(which)
    kinds = set()
    for env in tree.envs():
        for obj in tree.objects(env):
            group = obj["apiVersion"].split("/")[0]
            if "." in group and group != "networking.k8s.io":
                assert (obj["apiVersion"], obj["kind"]) in CRD_SCHEMAS, obj["kind"]
            assert check_object(obj) == [], f"{env}: {obj['kind']}/{obj['metadata']['name']}"
            kinds.add(obj["kind"])
    expected = {"scaled": {"HorizontalPodAutoscaler", "ScaledObject", "PodMonitor"},
                "to_zero": {"HTTPScaledObject", "ScaledObject", "PodMonitor"}}[which]
    assert expected <= kinds


def test_strict_schemas_refuse_a_misplaced_field(scaled: Tree) -> None:
    """The vendored schemas are closed where upstream lists properties: a typo fails."""
    scaled_object = copy.deepcopy(scaled.get("keda-gateway", IRIS, "ScaledObject", "iris-mlcmp"))
    scaled_object["spec"]["minReplicas"] = scaled_object["spec"].pop("minReplicaCount")  # the HPA's spelling
    assert any("minReplicas" in p for p in check_object(scaled_object))
    monitor = copy.deepcopy(scaled.get("hpa", IRIS, "PodMonitor", "iris-mlcmp"))
    monitor["spec"]["podMetricsEndpoints"][0]["targetport"] = "http"
    assert check_object(monitor)


# --- the autoscalers --------------------------------------------------------------------------


def test_hpa_scales_on_the_runtime_s_in_flight_requests_and_on_cpu(scaled: Tree) -> None:
    hpa = scaled.get("hpa", IRIS, "HorizontalPodAutoscaler", "iris-mlcmp")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "iris-mlcmp"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 4)
    # No target given: the requests one pod runs at once, 2 workers (cpu: "2") × 4 threads.
    assert hpa["spec"]["metrics"] == [{"type": "Pods", "pods": {
        "metric": {"name": "mlcc_requests_in_flight"}, "target": {"type": "AverageValue", "averageValue": "8"}}}]
    cpu = scaled.get("hpa", IRIS, "HorizontalPodAutoscaler", "iris-cpu")
    assert (cpu["spec"]["minReplicas"], cpu["spec"]["maxReplicas"]) == (2, 5)
    assert cpu["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert not scaled.of_kind("ScaledObject", "hpa") and not scaled.of_kind("HTTPScaledObject", "hpa")


def test_keda_scales_on_a_prometheus_query_over_the_runtime_s_metrics(scaled: Tree) -> None:
    so = scaled.get("keda-gateway", IRIS, "ScaledObject", "iris-mlcmp")
    assert so["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "iris-mlcmp"}
    assert (so["spec"]["minReplicaCount"], so["spec"]["maxReplicaCount"]) == (1, 4)
    (trigger,) = so["spec"]["triggers"]
    assert trigger == {"type": "prometheus", "metricType": "AverageValue", "metadata": {
        "serverAddress": PROMETHEUS,
        # Summed over the Deployment's pods; AverageValue divides by the replicas.
        "query": f'sum(mlcc_requests_in_flight{{namespace="{IRIS}",pod=~"iris-mlcmp-[a-z0-9]+-[a-z0-9]+"}})',
        "threshold": "8",
    }}
    cpu = scaled.get("keda-gateway", IRIS, "ScaledObject", "iris-cpu")
    assert cpu["spec"]["triggers"] == [{"type": "cpu", "metricType": "Utilization", "metadata": {"value": "80"}}]
    assert not scaled.of_kind("HorizontalPodAutoscaler", "keda-gateway")


def test_keda_rps_query_is_the_rate_of_the_request_counter(to_zero: Tree, tmp_path: Path) -> None:
    root = make_repo(tmp_path, "    minReplicas: 1\n    maxReplicas: 3\n    metric: rps\n    target: 20\n",
                     _envs({"keda-ingress": KEDA}))
    so = build(root).get("keda-ingress", IRIS, "ScaledObject", "iris-cpu")
    (trigger,) = so["spec"]["triggers"]
    assert trigger["metadata"]["query"] == f'sum(rate(mlcc_requests_total{{namespace="{IRIS}",pod=~"iris-cpu-[a-z0-9]+-[a-z0-9]+"}}[1m]))'
    assert trigger["metadata"]["threshold"] == "20"


@pytest.mark.parametrize("env", ["keda-ingress", "keda-gateway"])
def test_scale_to_zero_goes_through_the_http_add_on(to_zero: Tree, env: str) -> None:
    """minReplicas 0: an HTTPScaledObject (the add-on makes the ScaledObject), matched by a Host
    of the component's own; the route goes to the interceptor and waits for the cold start."""
    hso = to_zero.get(env, IRIS, "HTTPScaledObject", "iris-cpu")
    assert hso["spec"] == {
        "hosts": [f"iris-cpu.{IRIS}"],
        "pathPrefixes": ["/"],
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "iris-cpu", "service": "iris-cpu", "port": 8002},
        "replicas": {"min": 0, "max": 3},
        "scalingMetric": {"requestRate": {"targetValue": 20, "window": "1m", "granularity": "1s"}},
        "scaledownPeriod": 300,
        "timeouts": {"conditionWait": "120s", "responseHeader": "65s"},
    }
    assert [s["metadata"]["name"] for s in to_zero.of_kind("ScaledObject", env, IRIS)] == ["iris-mlcmp"]
    # Only the interceptor's pods may call it besides the route controller.
    policy = to_zero.get(env, IRIS, "NetworkPolicy", "allow-http-add-on-iris-cpu")
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "iris-cpu", "app.kubernetes.io/component": "inference"}}
    assert policy["spec"]["ingress"] == [{"from": [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/component": "interceptor", "app.kubernetes.io/name": "http-add-on"}},
    }], "ports": [{"protocol": "TCP", "port": "http"}]}]
    assert not [p for p in to_zero.of_kind("NetworkPolicy", env, IRIS) if p["metadata"]["name"] == "allow-http-add-on-iris-mlcmp"]


def test_ingress_reaches_the_interceptor_through_an_external_name_service(to_zero: Tree) -> None:
    ingress = to_zero.get("keda-ingress", IRIS, "Ingress", "iris-cpu-api")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/upstream-vhost"] == f"iris-cpu.{IRIS}"
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == str(120 + 65)
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "route-iris-cpu-api", "port": {"number": 8080}}
    upstream = to_zero.get("keda-ingress", IRIS, "Service", "route-iris-cpu-api")
    assert upstream["spec"] == {"type": "ExternalName", "externalName": "keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local",
                                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}
    # The component that never scales to zero keeps its direct route.
    direct = to_zero.get("keda-ingress", IRIS, "Ingress", "iris-api")
    assert direct["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "iris-mlcmp"
    assert "nginx.ingress.kubernetes.io/upstream-vhost" not in direct["metadata"]["annotations"]


def test_gateway_route_names_the_interceptor_in_its_namespace_and_rewrites_the_host(to_zero: Tree) -> None:
    (rule,) = to_zero.get("keda-gateway", IRIS, "HTTPRoute", "iris-cpu-api")["spec"]["rules"]
    assert rule["backendRefs"] == [{"name": "keda-add-ons-http-interceptor-proxy", "port": 8080, "namespace": "keda"}]
    (rewrite,) = rule["filters"]
    assert rewrite["urlRewrite"]["hostname"] == f"iris-cpu.{IRIS}"
    assert rewrite["urlRewrite"]["path"] == {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}
    assert rule["timeouts"] == {"request": f"{120 + 65}s"}


# --- replicas: the autoscaler's, never Argo CD's ------------------------------------------------


@pytest.mark.parametrize("which", ["scaled", "to_zero"])
def test_autoscaled_deployments_have_no_replicas_and_fixed_ones_do(which: str, request: pytest.FixtureRequest) -> None:
    tree: Tree = request.getfixturevalue(which)
    for env in tree.envs():
        for name in ("iris-mlcmp", "iris-cpu"):
            assert "replicas" not in tree.get(env, IRIS, "Deployment", name)["spec"], (env, name)
        assert tree.get(env, TEXTSTATS, "Deployment", "textstats-mlcmp")["spec"]["replicas"] == 3  # spec.replicas
        # The file API keeps the environment's replicas (dev: 1, prod: 2).
        expected = 2 if env.endswith("gateway") else 1
        assert tree.get(env, IRIS, "Deployment", "files-users")["spec"]["replicas"] == expected


def test_budgets_and_spread_follow_the_most_replicas_that_may_run(scaled: Tree, to_zero: Tree) -> None:
    for tree in (scaled, to_zero):
        for env in tree.envs():
            for ns, name in ((IRIS, "iris-mlcmp"), (IRIS, "iris-cpu"), (TEXTSTATS, "textstats-mlcmp")):
                deployment = tree.get(env, ns, "Deployment", name)
                (budget,) = [b for b in tree.of_kind("PodDisruptionBudget", env, ns) if b["metadata"]["name"] == name]
                assert budget["spec"] == {"maxUnavailable": 1, "selector": deployment["spec"]["selector"],
                                          "unhealthyPodEvictionPolicy": "AlwaysAllow"}
                assert pod_spec(deployment)["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"


def test_none_runs_min_replicas_fixed_and_lint_says_so(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "    minReplicas: 2\n    maxReplicas: 5\n    metric: cpu\n", _envs({"fixed": {"provider": "none"}}))
    run = mlcc_inprocess("lint", "--format", "json", "modules", cwd=root)
    assert run.code == 0, run.text
    iris = root / "modules" / "iris"
    assert sorted((d["code"], Path(d["file"]).name, d["line"]) for d in run.json() if d["code"] == "MLCC707") == [
        ("MLCC707", "iris-cpu.yaml", line_of(iris / "iris-cpu.yaml", "scaling:")),
        ("MLCC707", "iris-mlcmp.yaml", line_of(iris / "iris-mlcmp.yaml", "scaling:"))]
    tree = build(root)
    assert tree.get("fixed", IRIS, "Deployment", "iris-mlcmp")["spec"]["replicas"] == 1
    assert tree.get("fixed", IRIS, "Deployment", "iris-cpu")["spec"]["replicas"] == 2
    assert not tree.of_kind("HorizontalPodAutoscaler", "fixed") and not tree.of_kind("ScaledObject", "fixed")


# --- lint: what the environment cannot do, at its line --------------------------------------------


@pytest.mark.parametrize("autoscaling", [{"provider": "hpa"}, {"provider": "none"}])
def test_min_replicas_zero_without_keda_fails_lint_at_its_line(tmp_path: Path, autoscaling: dict) -> None:
    root = make_repo(tmp_path, "    minReplicas: 0\n    maxReplicas: 3\n", _envs({"here": autoscaling}))
    run = mlcc_inprocess("lint", "--format", "json", "modules", cwd=root)
    assert run.code == 1
    (problem,) = [d for d in run.json() if d["severity"] == "error"]
    where = root / "modules" / "iris" / "iris-cpu.yaml"
    assert (problem["code"], Path(problem["file"]).name, problem["line"]) == ("MLCC705", "iris-cpu.yaml", line_of(where, "minReplicas: 0"))
    assert "environment 'here'" in problem["message"]
    build_run = mlcc_inprocess("build", "modules", "-o", "out", cwd=root)
    assert build_run.code == 1 and "MLCC705" in build_run.err and not (root / "out").exists()


def test_a_gpu_without_gpu_nodes_fails_lint_at_its_line(tmp_path: Path) -> None:
    envs = _envs({"gpus": {"provider": "hpa"}, "cpus": {"provider": "hpa"}})
    del envs["cpus"]["gpu"]
    root = make_repo(tmp_path, "    minReplicas: 1\n    maxReplicas: 3\n", envs)
    run = mlcc_inprocess("lint", "--format", "json", "modules", cwd=root)
    assert run.code == 1
    (problem,) = [d for d in run.json() if d["severity"] == "error"]
    where = root / "modules" / "iris" / "iris-mlcmp.yaml"
    assert (problem["code"], Path(problem["file"]).name, problem["line"]) == ("MLCC706", "iris-mlcmp.yaml", line_of(where, "nvidia.com/gpu: 1"))
    assert "environment 'cpus'" in problem["message"] and "nvidia.com/gpu" in problem["message"]


# --- GPUs: the extended resource, and the GPU nodes for GPU components only ----------------------


@pytest.mark.parametrize("which", ["scaled", "to_zero"])
def test_gpu_scheduling_applies_only_to_gpu_components(which: str, request: pytest.FixtureRequest) -> None:
    tree: Tree = request.getfixturevalue(which)
    for env in tree.envs():
        gpu_pod = pod_spec(tree.get(env, IRIS, "Deployment", "iris-mlcmp"))
        assert {k: gpu_pod[k] for k in GPU} == GPU
        (container,) = gpu_pod["containers"]
        # Extended resources are requested exactly as limited (Kubernetes refuses anything else).
        assert container["resources"]["limits"]["nvidia.com/gpu"] == container["resources"]["requests"]["nvidia.com/gpu"] == "1"
        assert container["resources"]["limits"]["cpu"] == "2"
        for ns, name in ((IRIS, "iris-cpu"), (IRIS, "files-users"), (TEXTSTATS, "textstats-mlcmp"), (TEXTSTATS, "files-users")):
            pod = pod_spec(tree.get(env, ns, "Deployment", name))
            assert not set(GPU) & set(pod), (env, name)
            assert all("nvidia.com/gpu" not in c["resources"]["limits"] for c in pod["containers"])


# --- the runtime's settings: workers from the cpu limit, batching when asked ---------------------


def test_runtime_config_has_workers_and_batching(scaled: Tree) -> None:
    for env in scaled.envs():
        configs = {c["metadata"]["name"].rsplit("-runtime-", 1)[0]: c["data"]
                   for c in scaled.of_kind("ConfigMap", env, IRIS) if "MLCC_FUNCTION" in c.get("data", {})}
        gpu, cpu = configs["iris-mlcmp"], configs["iris-cpu"]
        assert gpu["MLCC_WORKERS"] == "2"  # cpu: "2"
        assert (gpu["MLCC_MAX_BATCH_SIZE"], gpu["MLCC_MAX_BATCH_LATENCY_MS"]) == ("32", "5")
        assert cpu["MLCC_WORKERS"] == "3"  # serving.workers overrides the 500m limit's 1
        assert "MLCC_MAX_BATCH_SIZE" not in cpu and "MLCC_MAX_BATCH_LATENCY_MS" not in cpu
        assert runtime_config(scaled, env, TEXTSTATS)["data"]["MLCC_WORKERS"] == "1"  # 250m


def test_scratch_space_holds_the_files_of_every_worker(scaled: Tree) -> None:
    """The FILE scratch of a pod holds inputs and outputs of each request its workers run at once."""
    (config,) = [c["data"] for c in scaled.of_kind("ConfigMap", "hpa", IRIS)
                 if c["metadata"]["name"].startswith("iris-mlcmp-runtime-")]
    volumes = {v["name"]: v for v in pod_spec(scaled.get("hpa", IRIS, "Deployment", "iris-mlcmp"))["volumes"]}
    from mlcc.model.quantity import parse_quantity

    scratch = int(parse_quantity(volumes["inference-files"]["emptyDir"]["sizeLimit"]))
    assert scratch == 2 * 2 * int(config["MLCC_INFERENCE_THREADS"]) * int(config["MLCC_MAX_INPUT_BYTES"])


@pytest.mark.parametrize(("cpu", "workers"), [("2", 2), ("500m", 1), ("1500m", 1), ("3.9", 3), (4, 4), ("100m", 1)])
def test_workers_are_the_whole_cpus_of_the_limit(cpu: Any, workers: int) -> None:
    from mlcc.model.environment import DEFAULT
    from mlcc.model.mlcomponent import MLComponent
    from mlcc.model.serving import workers as workers_of

    component = MLComponent.model_validate({
        "apiVersion": API, "kind": "MLComponent", "metadata": {"name": "c", "namespace": "n"},
        "spec": {"image": {"existingImageName": "r/i:1", "resourceLimits": {"cpu": cpu}},
                 "mlService": {"inference": {"entryPoint": {"pythonFunction": "a.b"}}}}})
    assert workers_of(component, DEFAULT) == workers


# --- monitoring ------------------------------------------------------------------------------------


def test_a_pod_monitor_per_runtime_deployment_and_prometheus_may_scrape(scaled: Tree) -> None:
    for env in scaled.envs():
        for ns in (IRIS, TEXTSTATS):
            deployments = {d["metadata"]["name"]: d for d in scaled.of_kind("Deployment", env, ns)}
            monitors = {m["metadata"]["name"]: m for m in scaled.of_kind("PodMonitor", env, ns)}
            assert set(monitors) == set(deployments)  # inference and file API alike
            for name, monitor in monitors.items():
                assert monitor["spec"]["selector"] == deployments[name]["spec"]["selector"]
                assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "http", "path": "/metrics"}]
                assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
                ports = [p["name"] for c in pod_spec(deployments[name])["containers"] for p in c["ports"]]
                assert "http" in ports
            policy = scaled.get(env, ns, "NetworkPolicy", "allow-from-prometheus")
            assert policy["spec"]["podSelector"] == {}
            assert policy["spec"]["ingress"][0]["from"] == [{
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}]


def test_without_pod_monitor_nothing_is_scraped(tmp_path: Path) -> None:
    envs = _envs({"quiet": {"provider": "hpa"}})
    envs["quiet"]["monitoring"] = {"podMonitor": False}
    tree = build(make_repo(tmp_path, "    minReplicas: 1\n    maxReplicas: 2\n", envs))
    assert not tree.of_kind("PodMonitor", "quiet")
    assert not [p for p in tree.of_kind("NetworkPolicy", "quiet") if p["metadata"]["name"] == "allow-from-prometheus"]


# --- the manifests' shape ----------------------------------------------------------------------------


def _lint_component(tmp_path: Path, image: str = "", spec: str = "") -> list[tuple[str, int, str]]:
    root = make_repo(tmp_path, "    minReplicas: 1\n    maxReplicas: 3\n", _envs({"hpa": {"provider": "hpa"}}))
    path = root / "modules" / "iris" / "iris-cpu.yaml"
    text = path.read_text().replace("      memory: 512Mi\n", "      memory: 512Mi\n" + image, 1)
    path.write_text(text.replace("  scaling:\n", spec + "  scaling:\n", 1) if spec else text)
    run = mlcc_inprocess("lint", "--format", "json", "modules", cwd=root)
    return [(d["code"], d["line"], d["message"]) for d in run.json() if d["severity"] == "error"]


def test_resource_limits_take_extended_resources_and_nothing_else(tmp_path: Path) -> None:
    found = _lint_component(tmp_path / "a", '      cpus: 2\n      example.com/fpga: "1"\n      kubernetes.io/x: 1\n      amd.com/gpu: 0.5\n')
    first = 12  # the line after `memory: 512Mi`
    assert [(c, line) for c, line, _ in found] == [("MLCC201", first), ("MLCC203", first + 1), ("MLCC203", first + 2), ("MLCC203", first + 3)]
    assert "unknown field 'cpus'" in found[0][2]
    assert "expected an integer" in found[1][2] and "kubernetes.io domain" in found[2][2]


def test_replicas_and_scaling_are_exclusive(tmp_path: Path) -> None:
    ((code, _, message),) = _lint_component(tmp_path, spec="  replicas: 2\n")
    assert code == "MLCC203" and "not both" in message


@pytest.mark.parametrize(("scaling", "says"), [
    ({"maxReplicas": 2, "minReplicas": 3}, "more than maxReplicas"),
    ({"maxReplicas": 2, "metric": "rps"}, "needs a target"),
    ({"maxReplicas": 2, "minReplicas": 0, "metric": "cpu"}, "concurrency or rps"),
])
def test_scaling_is_consistent(scaling: dict, says: str) -> None:
    from pydantic import ValidationError

    from mlcc.model.mlcomponent import Scaling

    with pytest.raises(ValidationError, match=says):
        Scaling.model_validate(scaling)


def test_body_cap_is_one_worker_s_share_as_the_runtime_counts(scaled: Tree) -> None:
    """The runtime gives each of MLCC_WORKERS processes its share of the memory limit and derives
    its body cap from that share; the rendered cap and the route's must be that share's too."""
    from mlcc_runtime.memory import max_body_for

    from mlcc.model.quantity import parse_quantity

    (config,) = [c["data"] for c in scaled.of_kind("ConfigMap", "hpa", IRIS)
                 if c["metadata"]["name"].startswith("iris-mlcmp-runtime-")]
    share = int(parse_quantity("2Gi")) // 2  # memory 2Gi, cpu "2": 2 workers
    assert int(config["MLCC_MAX_BODY_BYTES"]) == max_body_for(share) < max_body_for(int(parse_quantity("2Gi")))
    route = scaled.get("hpa", IRIS, "Ingress", "iris-api")["metadata"]["annotations"]
    assert route["nginx.ingress.kubernetes.io/proxy-body-size"] == config["MLCC_MAX_BODY_BYTES"]
