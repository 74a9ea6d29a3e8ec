"""Output that real controllers accept and run as intended, not only output that schemas accept.

Each test states the behaviour of a controller, CNI or the kubelet that the rendered objects rely
on, with the upstream source of that fact. None of it was run against a cluster (none is
available here): the tests check the objects against those documented behaviours, and the
runtime's own parser for the settings mlcc renders into it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mlcc.k8s.verify import CRD_SCHEMAS, UNSERVED, check_object, strict_schema
from mlcc.model import serving
from mlcc.model.quantity import parse_quantity
from mlcc.render.providers.storage.csi_s3 import REBIND_PATCH, rebind_command
from rendertools import OVERLAYS, REPO, SYNC_WAVE, VARIANTS, Tree, env_value, feature, mlcc_inprocess, pod_spec

IRIS, TEXTSTATS, OIDC_NS = "pu-alice-pa-iris", "pu-bob-pa-textstats", "pu-carol-pa-oidc"
CUSTOM_GROUPS = ("argoproj.io", "objectbucket.io", "external-secrets.io", "gateway.networking.k8s.io",
                 "gateway.envoyproxy.io", "bitnami.com", "keda.sh", "http.keda.sh", "monitoring.coreos.com")
DEV = yaml.safe_load((OVERLAYS / "dev" / "environment.yaml").read_text())["spec"]


@pytest.fixture(scope="module")
def tree(variants) -> Tree:
    return variants.tree


def every_object(golden: Tree, tree: Tree):
    for source in (golden, tree):
        for env in source.envs():
            for obj in source.objects(env):
                yield env, obj


def runtime_args(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], argv: list[str]):
    """The runtime's own command-line parser, fed the environment a container would see."""
    from mlcc_runtime.cli import build_parser

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return build_parser().parse_args(argv)


# --- 1. every custom object against its upstream CRD schema, made strict -----------------


def test_every_rendered_object_of_every_overlay_validates_strictly(golden: Tree, tree: Tree) -> None:
    """An API server prunes unknown fields of a custom object (or, with strict field validation,
    refuses them); kubeconform's strict mode fails them. Every object mlcc renders — the committed
    overlays and every variant, among them OIDC on Gateway API (SecurityPolicy extAuth) — passes
    the upstream schema with `additionalProperties: false` wherever the schema lists properties.
    Source: the CRDs' openAPIV3Schema as published in datreeio/CRDs-catalog (vendored, see
    compiler/mlcc/data/crd-schemas/README.md); kubeconform README, `-strict`."""
    kinds = set()
    for env, obj in every_object(golden, tree):
        key = (obj["apiVersion"], obj["kind"])
        if key[0].split("/")[0] in CUSTOM_GROUPS:
            assert key in CRD_SCHEMAS, f"{key} has no vendored schema"
        assert check_object(obj) == [], f"{env}: {obj['kind']}/{obj['metadata']['name']}"
        kinds.add(obj["kind"])
    assert {"SecurityPolicy", "HTTPRoute", "ObjectBucketClaim", "ExternalSecret", "SealedSecret", "Application"} <= kinds
    oidc = [p for env in tree.envs() if feature(env, "style") == "gateway"
            for p in tree.of_kind("SecurityPolicy", env, OIDC_NS) if "extAuth" in p["spec"]]
    assert oidc, "no OIDC SecurityPolicy was checked"


def test_strict_check_rejects_a_field_at_the_wrong_level(tree: Tree) -> None:
    """The bug this caught: Envoy Gateway's SecurityPolicy has `headersToBackend` under
    `extAuth.http` (api/v1alpha1/ext_auth_types.go, HTTPExtAuthService). One level up, the
    lenient catalog schema would let it pass, and the API server would drop it: the user header
    would never reach the runtime."""
    import jsonschema

    env = next(e for e in tree.envs() if feature(e, "style") == "gateway")
    policy = tree.get(env, OIDC_NS, "SecurityPolicy", "iris-api")
    assert check_object(policy) == []
    wrong = copy.deepcopy(policy)
    wrong["spec"]["extAuth"]["http"].pop("headersToBackend")
    wrong["spec"]["extAuth"]["http"]["headersToBakend"] = ["X-Auth-Request-User"]  # a typo one level down
    problems = check_object(wrong)
    assert any("headersToBakend" in p for p in problems), problems
    # The catalog files leave the top level of each kind open: there only the strict check
    # catches a misspelt field, which an API server would prune (and the route would have no rules).
    route = tree.get(env, IRIS, "HTTPRoute", "iris-api")
    odd = copy.deepcopy(route)
    odd["sepc"] = odd.pop("spec")
    odd["spec"] = {"parentRefs": route["spec"]["parentRefs"]}
    schema_file = CRD_SCHEMAS[("gateway.networking.k8s.io/v1", "HTTPRoute")]
    lenient = json.loads(resources.files("mlcc").joinpath("data/crd-schemas", schema_file).read_text())
    assert not list(jsonschema.Draft7Validator(lenient).iter_errors(odd)), "the upstream schema alone is lenient here"
    assert any("'sepc' was unexpected" in p for p in check_object(odd)), check_object(odd)


def test_strict_schema_keeps_what_upstream_leaves_open(golden: Tree) -> None:
    """`x-kubernetes-preserve-unknown-fields` means the controller reads free-form data there
    (an ObjectBucketClaim's additionalConfig goes to the bucket provisioner as it is)."""
    claim = copy.deepcopy(golden.get("dev", IRIS, "ObjectBucketClaim", "box-models"))
    claim["spec"]["additionalConfig"]["bucketPolicy"] = "anything"
    assert check_object(claim) == []
    claim["spec"]["bucketSize"] = "1G"
    assert check_object(claim)
    schema = {"type": "object", "properties": {"a": {"type": "object", "properties": {"properties": {"type": "string"}}}}}
    strict = strict_schema(schema)
    assert strict["additionalProperties"] is False and strict["properties"]["a"]["additionalProperties"] is False
    assert strict["properties"]["a"]["properties"]["properties"] == {"type": "string"}  # a field, not a schema


def test_vendored_schemas_are_the_upstream_files_named_in_the_readme() -> None:
    folder = resources.files("mlcc").joinpath("data/crd-schemas")
    readme = folder.joinpath("README.md").read_text()
    listed = dict(re.findall(r"\| `([^`]+\.json)` \|[^|]+\|[^|]+\| `([0-9a-f]{64})` \|", readme))
    assert set(listed) == set(CRD_SCHEMAS.values())
    for name, digest in listed.items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest, name
        shared = REPO.parent / "shared" / "crd-schemas" / name
        if shared.is_file():  # the copy this was vendored from, where it exists
            assert shared.read_bytes() == folder.joinpath(name).read_bytes(), name


def test_a_version_the_controller_no_longer_serves_is_refused() -> None:
    """External Secrets Operator 0.17.0 "stops serving v1beta1 apis" (its release notes): an
    external-secrets.io/v1beta1 ExternalSecret a module carries would be a 404 at sync."""
    carried = {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret", "metadata": {"name": "x"},
               "spec": {"secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"}}}
    (problem,) = check_object(carried)
    assert "external-secrets.io/v1" in problem and ("external-secrets.io/v1beta1", "ExternalSecret") in UNSERVED
    assert check_object({**carried, "apiVersion": "external-secrets.io/v1"}) == []


# --- 2. egress to an in-cluster object store by selector --------------------------------


def test_in_cluster_store_is_reached_by_pod_selector_on_its_target_port(golden: Tree) -> None:
    """Calico and Cilium enforce egress policy after the Service address is translated to a pod
    address and target port (Kubernetes docs, Network Policies: whether rewriting happens before
    or after policy is not defined; projectcalico/calico#2088: policy is in terms of pods, not
    Services; Cilium docs, "Layer 3 Examples": CIDR rules are for peers that are not endpoints,
    so they never select Cilium-managed pods). Rook's RGW pods listen on 8080 behind a Service
    on 80 (rook/rook pkg/operator/ceph/object/config.go, rgwPortInternalPort = 8080) and carry
    `app: rook-ceph-rgw, rook_object_store: <store>`. So the rule names the pods and port 8080;
    a rule for 0.0.0.0/0:80/443 alone leaves every S3 call hanging."""
    store = DEV["storage"]["inCluster"]
    for ns in (IRIS, TEXTSTATS):
        policy = golden.get("dev", ns, "NetworkPolicy", "allow-egress-storage")
        rules = policy["spec"]["egress"]
        selected = [r for r in rules if any("podSelector" in peer for peer in r["to"])]
        assert selected == [{
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": store["namespace"]}},
                    "podSelector": {"matchLabels": store["podLabels"]}}],
            "ports": [{"protocol": "TCP", "port": 8080}],
        }]
        assert policy["spec"]["podSelector"] == {} and policy["spec"]["policyTypes"] == ["Egress"]


@pytest.mark.parametrize("env", [e for e in sorted(VARIANTS) if feature(e, "provider") != "obc"])
def test_store_outside_the_cluster_keeps_cidr_rules(tree: Tree, env: str) -> None:
    """A store outside the cluster has no pods to select: ipBlock rules reach it."""
    rules = tree.get(env, IRIS, "NetworkPolicy", "allow-egress-storage")["spec"]["egress"]
    assert rules == [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                      "ports": [{"protocol": "TCP", "port": 80}, {"protocol": "TCP", "port": 443}]}]


def test_no_cidrs_means_no_cidr_rule(scratch: Path) -> None:
    """An egress rule with an empty `to` allows every destination (NetworkPolicyEgressRule:
    "If this field is empty or missing, this rule matches all destinations"): an environment
    that lists no CIDRs gets no CIDR rule, only the in-cluster store's."""
    path = scratch / "overlays" / "dev" / "environment.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["spec"]["network"] = {"egressCidrs": []}
    path.write_text(yaml.safe_dump(doc))
    run = mlcc_inprocess("build", "modules", "-o", "out", "--env", "dev", cwd=scratch)
    assert run.code == 0, run.text
    rules = Tree(scratch / "out").get("dev", IRIS, "NetworkPolicy", "allow-egress-storage")["spec"]["egress"]
    assert len(rules) == 1 and "podSelector" in rules[0]["to"][0]


# --- 3. pre-signed URLs for the address clients use -----------------------------------------


def test_file_api_signs_urls_for_the_public_endpoint(golden: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside the pod the store is `http://$(BUCKET_HOST):$(BUCKET_PORT)` (the Service the OBC
    provisioner names), which no client outside the cluster resolves. The file API gets the
    environment's public endpoint, and the runtime signs for it (`mlcc-runtime files
    --public-endpoint` / MLCC_S3_PUBLIC_ENDPOINT, runtime-image/README.md)."""
    for ns in (IRIS, TEXTSTATS):
        files = pod_spec(golden.get("dev", ns, "Deployment", "files-users"))["containers"][0]
        assert env_value(files, "MLCC_S3_PUBLIC_ENDPOINT") == DEV["storage"]["publicEndpoint"]
    args = runtime_args(monkeypatch, {"MLCC_S3_PUBLIC_ENDPOINT": DEV["storage"]["publicEndpoint"]},
                        ["files", "--box", "users=s3://b/p"])
    assert args.public_endpoint == DEV["storage"]["publicEndpoint"]


def test_file_api_over_an_in_cluster_store_without_public_endpoint_is_a_build_error(scratch: Path) -> None:
    path = scratch / "overlays" / "dev" / "environment.yaml"
    text = path.read_text()
    assert "publicEndpoint:" in text
    path.write_text(re.sub(r"\n\s*publicEndpoint: \S+", "", text))
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=scratch)
    assert run.code == 1, run.text
    found = [d for d in run.diagnostics() if d["code"] == "MLCC702"]
    assert {(d["file"], d["line"]) for d in found} == {("modules/iris/files-api.yaml", "11"), ("modules/textstats/files-api.yaml", "11")}, run.err
    assert all("publicEndpoint" in d["message"] for d in found)
    assert not (scratch / "out").exists()


# --- 4. route timeouts from the inference timeout ------------------------------------------


def test_routes_wait_as_long_as_the_runtime_allows(golden: Tree, tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    """Envoy's route timeout defaults to 15 s (envoy api v3 RouteAction.timeout), which Envoy
    Gateway applies unless the HTTPRoute rule sets `timeouts.request` (Gateway API GEP-1742);
    ingress-nginx waits 60 s for the backend (proxy-read-timeout / proxy-send-timeout,
    ingress-nginx docs, ConfigMap defaults). The runtime answers 504 itself after
    MLCC_INFERENCE_TIMEOUT (60 s); the proxies wait 5 s longer so that answer reaches the caller."""
    args = runtime_args(monkeypatch, {}, ["serve", "--function", "a.b"])
    assert args.timeout == serving.DEFAULT_INFERENCE_TIMEOUT
    wait = serving.DEFAULT_INFERENCE_TIMEOUT + serving.ROUTE_MARGIN
    for source in (golden, tree):
        for env in source.envs():
            for route in source.of_kind("HTTPRoute", env):
                (rule,) = route["spec"]["rules"]
                if route["metadata"]["name"] == "files-api":
                    assert "timeouts" not in rule  # answers at once with a pre-signed URL
                else:
                    assert rule["timeouts"] == {"request": f"{wait}s"}
            for ingress in source.of_kind("Ingress", env):
                notes = ingress["metadata"]["annotations"]
                if ingress["metadata"]["name"] != "files-api":
                    assert notes["nginx.ingress.kubernetes.io/proxy-read-timeout"] == str(wait)
                    assert notes["nginx.ingress.kubernetes.io/proxy-send-timeout"] == str(wait)
    assert golden.of_kind("HTTPRoute", "prod") and golden.of_kind("Ingress", "dev")


# --- 5. the grace period covers drain + inference timeout + margin ---------------------------


def test_termination_grace_covers_the_runtime_shutdown(golden: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kubelet sends SIGKILL terminationGracePeriodSeconds after SIGTERM (Kubernetes docs,
    Pod Lifecycle, "Termination of Pods"; default 30 s). On SIGTERM the runtime keeps serving
    with readiness 503 for MLCC_DRAIN_SECONDS (2), then gives in-flight requests
    MLCC_INFERENCE_TIMEOUT + 5 s (runtime-image/README.md, "Shutdown"): 2 + 60 + 5 = 67 s."""
    args = runtime_args(monkeypatch, {}, ["serve", "--function", "a.b"])
    assert (args.drain_seconds, args.timeout) == (serving.DRAIN_SECONDS, serving.DEFAULT_INFERENCE_TIMEOUT)
    assert serving.DRAIN_SECONDS + serving.DEFAULT_INFERENCE_TIMEOUT + serving.SHUTDOWN_MARGIN == 67
    for env in golden.envs():
        for deployment in golden.of_kind("Deployment", env):
            grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
            expected = 67 if deployment["metadata"]["labels"]["app.kubernetes.io/component"] == "inference" else 30
            assert grace == expected, deployment["metadata"]["name"]


@pytest.mark.parametrize("timeout, wait, grace", [(120, 125, 127), (0, 3605, 3607)])
def test_a_component_timeout_moves_routes_and_grace_with_it(scratch: Path, timeout: int, wait: int, grace: int) -> None:
    """`serving.timeoutSeconds` is the runtime's MLCC_INFERENCE_TIMEOUT: both proxies and the
    grace period follow it (0, no limit in the runtime, takes the longest limit a component may
    set, 3600 s: a grace period and nginx's timeouts must be finite)."""
    path = scratch / "modules" / "iris" / "iris-mlcmp.yaml"
    text = path.read_text()
    assert "    inference:\n" in text
    path.write_text(text.replace("    inference:\n", f"    inference:\n      serving:\n        timeoutSeconds: {timeout}\n", 1))
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=scratch)
    assert run.code == 0, run.text
    out = Tree(scratch / "out")
    (rule,) = out.get("prod", IRIS, "HTTPRoute", "iris-api")["spec"]["rules"]
    assert rule["timeouts"] == {"request": f"{wait}s"}
    notes = out.get("dev", IRIS, "Ingress", "iris-api")["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-read-timeout"] == notes["nginx.ingress.kubernetes.io/proxy-send-timeout"] == str(wait)
    for env in ("dev", "prod"):
        assert pod_spec(out.get(env, IRIS, "Deployment", "iris-mlcmp"))["terminationGracePeriodSeconds"] == grace
    # The other module keeps the default.
    assert pod_spec(out.get("dev", TEXTSTATS, "Deployment", "textstats-mlcmp"))["terminationGracePeriodSeconds"] == 67


# --- 6. auth before the route ------------------------------------------------------------------


def test_security_policy_syncs_before_its_route(golden: Tree, tree: Tree) -> None:
    """Argo CD applies a lower sync wave first and waits for it to be healthy before the next
    (Argo CD docs, "Sync Phases and Waves"); Envoy Gateway serves an accepted HTTPRoute at once,
    without auth until a SecurityPolicy targets it. The policy is therefore a wave earlier."""
    pairs = 0
    for env, obj in every_object(golden, tree):
        if obj["kind"] != "SecurityPolicy":
            continue
        source = golden if env in golden.envs() else tree
        (target,) = obj["spec"]["targetRefs"]
        route = source.get(env, obj["metadata"]["namespace"], "HTTPRoute", target["name"])
        assert int(obj["metadata"]["annotations"][SYNC_WAVE]) < int(route["metadata"]["annotations"][SYNC_WAVE])
        pairs += 1
    assert pairs >= 4


# --- 7. two replicas or more: a disruption budget and a spread over nodes ----------------------


def test_replicated_workloads_have_a_budget_and_spread_over_nodes(golden: Tree, tree: Tree) -> None:
    """A PodDisruptionBudget bounds what voluntary evictions (`kubectl drain`, cluster upgrades)
    take at once (Kubernetes docs, "Specifying a Disruption Budget"); without one a drain may
    evict every replica together. topologySpreadConstraints over kubernetes.io/hostname put the
    replicas on different nodes where possible (Kubernetes docs, "Pod Topology Spread
    Constraints": maxSkew, whenUnsatisfiable: ScheduleAnyway keeps it a preference)."""
    checked = 0
    for env, obj in every_object(golden, tree):
        if obj["kind"] != "Deployment":
            continue
        source = golden if env in golden.envs() else tree
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        budgets = [b for b in source.of_kind("PodDisruptionBudget", env, ns) if b["metadata"]["name"] == name]
        spread = pod_spec(obj).get("topologySpreadConstraints")
        if obj["spec"]["replicas"] < 2:
            assert not budgets and spread is None  # a budget for one pod would block every drain
            continue
        (budget,) = budgets
        assert budget["spec"]["selector"] == obj["spec"]["selector"]
        assert budget["spec"]["maxUnavailable"] == 1
        assert budget["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
        assert spread == [{
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": obj["spec"]["selector"], "matchLabelKeys": ["pod-template-hash"],
        }]
        checked += 1
    assert checked >= 4 and golden.of_kind("PodDisruptionBudget", "prod") and not golden.of_kind("PodDisruptionBudget", "dev")


# --- 8. bounded scratch space -------------------------------------------------------------------


def test_scratch_volumes_are_bounded_and_agree_with_the_runtime_cap(golden: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kubelet evicts a pod whose emptyDir outgrows its sizeLimit, and without one an
    emptyDir may fill the node's disk (Kubernetes docs, Volumes, "emptyDir"; "Local ephemeral
    storage"). The synced model box never holds more than its box; the FILE scratch holds, for
    each of the MLCC_INFERENCE_THREADS requests the runtime runs at once, its inputs (at most
    MLCC_MAX_INPUT_BYTES, never more than the file box holds) and as much for its outputs."""
    capacity = int(parse_quantity("1G"))  # both example boxes
    cap = min(capacity, serving.DEFAULT_MAX_INPUT_BYTES)
    for ns, component in ((IRIS, "iris-mlcmp"), (TEXTSTATS, "textstats-mlcmp")):
        deployment = golden.get("dev", ns, "Deployment", component)
        volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
        for volume in volumes.values():
            if "emptyDir" in volume:
                assert "sizeLimit" in volume["emptyDir"], volume["name"]
        runtime_config = next(c for c in golden.of_kind("ConfigMap", "dev", ns) if "MLCC_FUNCTION" in c["data"])["data"]
        assert int(runtime_config["MLCC_MAX_INPUT_BYTES"]) == cap
        threads = int(runtime_config.get("MLCC_INFERENCE_THREADS", serving.DEFAULT_INFERENCE_THREADS))
        scratch = int(parse_quantity(volumes["inference-files"]["emptyDir"]["sizeLimit"]))
        assert scratch == 2 * threads * cap >= cap
        args = runtime_args(monkeypatch, {"MLCC_MAX_INPUT_BYTES": runtime_config["MLCC_MAX_INPUT_BYTES"]},
                            ["serve", "--function", "a.b"])
        assert args.max_input_bytes == cap  # the runtime reads the cap mlcc renders
    iris = {v["name"]: v for v in pod_spec(golden.get("dev", IRIS, "Deployment", "iris-mlcmp"))["volumes"]}
    assert iris["box-model-box"]["emptyDir"] == {"sizeLimit": "1G"}  # the models box's capacity


# --- 9. static csi-s3 volumes: pre-bound, and how a recreated claim gets its volume back --------


def _bound(volume: dict, claim: dict) -> bool:
    """kubernetes/kubernetes pkg/controller/volume/persistentvolume/util/util.go,
    IsVolumeBoundToClaim: name and namespace must match, and the uid too when claimRef has one."""
    ref = volume["spec"].get("claimRef")
    if ref is None or (ref["name"], ref["namespace"]) != (claim["metadata"]["name"], claim["metadata"]["namespace"]):
        return False
    return not ref.get("uid") or ref["uid"] == claim["metadata"]["uid"]


def _merge_patch(target, patch):
    """RFC 7386 JSON merge patch, as `kubectl patch --type merge` applies it."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def test_csi_s3_volume_rebinds_a_recreated_claim_after_the_documented_patch(golden: Tree) -> None:
    """The PV and PVC are pre-bound both ways (claimRef by name without uid, volumeName), so they
    bind only to each other. Binding writes the claim's uid into claimRef; a claim recreated under
    the same name has a new uid, so the Retain-ed PV stays Released (IsVolumeBoundToClaim above)
    and the claim Pending. Argo CD does not remove a field it never set, so mlcc documents one
    command (README) that drops the stale uid; the PV is pre-bound by name again and binds."""
    claim = golden.get("prod", IRIS, "PersistentVolumeClaim", "box-models")
    volume = golden.get("prod", IRIS, "PersistentVolume", f"{IRIS}.models")
    assert claim["spec"]["volumeName"] == volume["metadata"]["name"]
    assert volume["spec"]["claimRef"] == {"namespace": IRIS, "name": "box-models"}  # no uid: any claim of that name
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"

    first = {**claim, "metadata": {**claim["metadata"], "uid": "1111"}}
    live = copy.deepcopy(volume)  # as the controller leaves it after binding the first claim
    live["spec"]["claimRef"].update(uid="1111", resourceVersion="42", kind="PersistentVolumeClaim", apiVersion="v1")
    assert _bound(live, first)
    recreated = {**claim, "metadata": {**claim["metadata"], "uid": "2222"}}
    assert not _bound(live, recreated)  # Released; the claim waits
    patched = _merge_patch(live, json.loads(REBIND_PATCH))
    assert "uid" not in patched["spec"]["claimRef"] and patched["spec"]["csi"] == volume["spec"]["csi"]
    assert _bound(patched, recreated)
    readme = (REPO / "README.md").read_text()
    assert rebind_command("<namespace>.<box>") in readme
