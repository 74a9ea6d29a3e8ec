"""Output verification catches emitter bugs: schema violations (Kubernetes strict, vendored
CRDs), Pod Security "restricted" violations and kinds it cannot check."""

from __future__ import annotations

import copy

import pytest

from mlcc.k8s.pss import violations
from mlcc.k8s.verify import check_object
from rendertools import Tree

IRIS = "pu-alice-pa-iris"


@pytest.fixture(scope="module")
def deployment(golden: Tree) -> dict:
    return golden.get("dev", IRIS, "Deployment", "iris-mlcmp")


@pytest.fixture(scope="module")
def http_route(golden: Tree) -> dict:
    return golden.get("prod", IRIS, "HTTPRoute", "iris-api")


def mutated(obj: dict, change) -> dict:
    clone = copy.deepcopy(obj)
    change(clone)
    return clone


def pod(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def test_every_golden_object_verifies(golden: Tree) -> None:
    objects = golden.objects()
    assert len(objects) > 60
    for obj in objects:
        assert check_object(obj) == [], f"{obj['kind']}/{obj['metadata']['name']}"


def test_unknown_field_on_a_deployment(deployment: dict) -> None:
    bad = mutated(deployment, lambda d: pod(d)["containers"][0].__setitem__("imagePullPolicyy", "Always"))
    problems = check_object(bad)
    assert problems and any("imagePullPolicyy" in p for p in problems), problems


def test_unknown_top_level_field_and_wrong_type(deployment: dict) -> None:
    assert check_object(mutated(deployment, lambda d: d["spec"].__setitem__("replica", 2)))
    assert check_object(mutated(deployment, lambda d: d["spec"].__setitem__("replicas", "two")))


def test_bad_enum_on_an_httproute(http_route: dict) -> None:
    bad = mutated(http_route, lambda r: r["spec"]["rules"][0]["matches"][0]["path"].__setitem__("type", "Prefix"))
    problems = check_object(bad)
    assert problems and any("Prefix" in p for p in problems), problems


def test_bad_rewrite_type_on_an_httproute(http_route: dict) -> None:
    def change(route: dict) -> None:
        route["spec"]["rules"][0]["filters"][0]["urlRewrite"]["path"]["type"] = "ReplaceFullPrefix"

    assert check_object(mutated(http_route, change))


def test_pss_privilege_escalation(deployment: dict) -> None:
    bad = mutated(deployment, lambda d: pod(d)["initContainers"][0]["securityContext"].__setitem__("allowPrivilegeEscalation", True))
    assert any("Pod Security" in p and "allowPrivilegeEscalation" in p for p in check_object(bad))
    assert list(violations(pod(bad))) == ["container 'install-runtime': allowPrivilegeEscalation is not false"]


def test_pss_host_path_volume(deployment: dict) -> None:
    bad = mutated(deployment, lambda d: pod(d)["volumes"].append({"name": "host", "hostPath": {"path": "/var/run"}}))
    problems = check_object(bad)
    assert any("Pod Security" in p and "hostPath" in p for p in problems), problems


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda p: p["securityContext"].__setitem__("runAsUser", 0), "UID 0"),
        (lambda p: p.__setitem__("hostNetwork", True), "hostNetwork"),
        (lambda p: p["containers"][0]["securityContext"].__setitem__("runAsNonRoot", False), "runAsNonRoot"),
        (lambda p: p["containers"][0]["securityContext"]["capabilities"].__setitem__("drop", []), "drop ALL"),
        (lambda p: p["containers"][0]["securityContext"]["capabilities"].__setitem__("add", ["SYS_ADMIN"]), "SYS_ADMIN"),
        (lambda p: p["containers"][0]["securityContext"].__setitem__("privileged", True), "privileged"),
        (lambda p: p["containers"][0]["securityContext"].__setitem__("readOnlyRootFilesystem", False), "readOnlyRootFilesystem"),
        (lambda p: p["containers"][0]["securityContext"].__setitem__("seccompProfile", {"type": "Unconfined"}), "seccomp"),
        (lambda p: p["containers"][0]["ports"][0].__setitem__("hostPort", 8002), "hostPort"),
        (lambda p: p["securityContext"].__setitem__("sysctls", [{"name": "kernel.msgmax", "value": "1"}]), "sysctls"),
        (lambda p: p["securityContext"].__setitem__("seLinuxOptions", {"type": "spc_t"}), "seLinuxOptions"),
        (lambda p: p["containers"][0]["securityContext"].__setitem__("procMount", "Unmasked"), "procMount"),
        (lambda p: p["containers"][0]["securityContext"].__setitem__("appArmorProfile", {"type": "Unconfined"}), "AppArmor"),
        (lambda p: p.__setitem__("ephemeralContainers", [{"name": "debug", "image": "busybox"}]), "'debug'"),
    ],
)
def test_pss_rules(deployment: dict, change, expected: str) -> None:
    bad = mutated(deployment, lambda d: change(pod(d)))
    found = list(violations(pod(bad)))
    assert any(expected in v for v in found), found
    assert any(expected in p for p in check_object(bad))


def test_pod_level_settings_are_inherited_by_containers(deployment: dict) -> None:
    """seccomp and runAsNonRoot set only on the pod still satisfy the profile."""
    def change(d: dict) -> None:
        for container in [*pod(d)["initContainers"], *pod(d)["containers"]]:
            del container["securityContext"]["seccompProfile"]
            del container["securityContext"]["runAsNonRoot"]

    assert list(violations(pod(mutated(deployment, change)))) == []


def test_unknown_kind_cannot_be_verified() -> None:
    problems = check_object({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}})
    assert problems and "Widget" in problems[0]


def test_crd_objects_are_checked_against_their_schemas(golden: Tree) -> None:
    claim = golden.get("dev", IRIS, "ObjectBucketClaim", "box-models")
    assert check_object(mutated(claim, lambda c: c["spec"].__setitem__("bucketSize", "1G")))
    app = golden.get("dev", "argocd", "Application", f"dev-{IRIS}")
    assert check_object(mutated(app, lambda a: a["spec"]["syncPolicy"].__setitem__("automated", "yes")))
    secret = golden.get("prod", IRIS, "ExternalSecret", "iris-apis-cred")
    assert check_object(mutated(secret, lambda s: s["spec"]["secretStoreRef"].__setitem__("kind", "Vault")))


def test_shape_only_kinds_still_need_a_name_and_spec(golden: Tree) -> None:
    policy = golden.get("prod", IRIS, "SecurityPolicy", "iris-api")
    assert check_object(policy) == []
    assert check_object(mutated(policy, lambda p: p["metadata"].pop("name")))
    assert check_object(mutated(policy, lambda p: p.pop("spec")))



def test_cached_kubernetes_check_agrees_with_kubernetes_validate(golden: Tree, deployment: dict) -> None:
    """verify.py loads each Kubernetes schema once; it must judge exactly as the library does."""
    import kubernetes_validate

    from mlcc.k8s.verify import CRD_SCHEMAS, KUBERNETES_VERSION, UNSERVED, _kubernetes_errors

    core = [o for o in golden.objects() if (o["apiVersion"], o["kind"]) not in {*CRD_SCHEMAS, *UNSERVED}]
    broken = [
        mutated(deployment, lambda d: pod(d)["containers"][0].__setitem__("imagePullPolicyy", "Always")),
        mutated(deployment, lambda d: d["spec"].__setitem__("replicas", "two")),
        mutated(deployment, lambda d: d["metadata"].__setitem__("labels", ["x"])),
    ]
    assert {o["kind"] for o in core} >= {"Deployment", "Service", "ConfigMap", "Ingress", "Namespace", "NetworkPolicy"}
    for obj in core + broken:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            expected = []
        except kubernetes_validate.ValidationError as exc:
            expected = [exc.message]
        got = _kubernetes_errors(obj)
        assert [g.rsplit(" (at ", 1)[0] for g in got] == expected
    assert _kubernetes_errors({"apiVersion": "v1", "kind": "Gizmo"})


# --- what the API server rejects although the schema allows it -------------------------

LONG = "x" * 64


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["metadata"]["labels"].__setitem__("app.kubernetes.io/name", LONG), "label value"),
        (lambda d: d["metadata"]["labels"].__setitem__("bad key!", "v"), "qualified name"),
        (lambda d: d["spec"]["template"]["metadata"]["labels"].__setitem__("app.kubernetes.io/name", "other"), "does not match"),
        (lambda d: pod(d)["initContainers"][0].__setitem__("name", "sync-" + LONG), "DNS label"),
        (lambda d: pod(d)["initContainers"][0].__setitem__("name", "inference"), "used twice"),
        (lambda d: pod(d)["volumes"][0].__setitem__("name", "Box_Models"), "volume name"),
        (lambda d: pod(d)["containers"][0]["volumeMounts"].append({"name": "nope", "mountPath": "/nope"}), "undeclared volume"),
        (lambda d: pod(d)["containers"][0]["volumeMounts"].append({"name": "tmp", "mountPath": "/tmp"}), "two volumes"),
        (lambda d: pod(d)["containers"][0]["ports"][0].__setitem__("name", "http-inference-port"), "IANA"),
        (lambda d: d["metadata"].__setitem__("name", "Iris_MLCmp"), "DNS subdomain"),
    ],
)
def test_api_server_rules_on_a_deployment(deployment: dict, change, expected: str) -> None:
    problems = check_object(mutated(deployment, change))
    assert any(expected in p for p in problems), problems


def test_service_name_must_start_with_a_letter(golden: Tree) -> None:
    service = golden.get("dev", IRIS, "Service", "iris-mlcmp")
    problems = check_object(mutated(service, lambda s: s["metadata"].__setitem__("name", "1iris")))
    assert any("Service name" in p for p in problems), problems
    problems = check_object(mutated(service, lambda s: s["spec"]["selector"].__setitem__("app.kubernetes.io/name", LONG)))
    assert any("label value" in p for p in problems), problems
