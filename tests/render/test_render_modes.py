"""Each storage provider, mount strategy, runtime injection mode, route style and secret-store
choice renders valid objects that do what the environment asked for.

The build itself verifies every object (Kubernetes OpenAPI strict, vendored CRD schemas, Pod
Security restricted) before writing, so a successful build of every variant is the validity
proof; the tests here read the YAML and check the behaviour of each mode.
"""

from __future__ import annotations

import re

import pytest

from mlcc.k8s.pss import violations
from rendertools import (
    runtime_config,
    DATA_KINDS,
    EXT_AUTH,
    OIDC,
    RUNTIME_IMAGE,
    SYNC_OPTIONS,
    SYNC_WAVE,
    VARIANTS,
    WAVE_OF_KIND,
    Tree,
    containers,
    env_value,
    feature,
    pod_spec,
    registry_url,
)

ENVS = sorted(VARIANTS)
IRIS, TEXTSTATS, OIDC_NS = "pu-alice-pa-iris", "pu-bob-pa-textstats", "pu-carol-pa-oidc"
NAMESPACES = [IRIS, TEXTSTATS, OIDC_NS]
IRIS_LIKE = [IRIS, OIDC_NS]  # modules whose component is iris-mlcmp
IRIS_IMAGE = "registry.example.com/lab/iris:1f3c9a2"
MODELS_SUBPATH = "users/developer/file_groups/models"


def variants_with(key: str, value) -> list[str]:
    chosen = [name for name in ENVS if feature(name, key) == value]
    assert chosen, f"no variant has {key}={value}"
    return chosen


@pytest.fixture(scope="module")
def tree(variants) -> Tree:
    return variants.tree


def iris_deployment(tree: Tree, env: str, ns: str = IRIS) -> dict:
    return tree.get(env, ns, "Deployment", "iris-mlcmp")


def main_container(deployment: dict) -> dict:
    return pod_spec(deployment)["containers"][0]


def init_container(deployment: dict, name: str) -> dict | None:
    return next((c for c in pod_spec(deployment).get("initContainers", []) if c["name"] == name), None)


# --- every variant ------------------------------------------------------------------


def test_every_variant_builds_every_module(tree: Tree) -> None:
    assert tree.envs() == ENVS
    for env in ENVS:
        assert [f.name for f in tree.folders(env)] == ["argocd", *NAMESPACES]
        apps = tree.of_kind("Application", env, "argocd")
        assert sorted(a["spec"]["destination"]["namespace"] for a in apps) == NAMESPACES
        for app in apps:
            assert app["spec"]["source"]["path"] == f"rendered/{env}/{app['spec']['destination']['namespace']}"
            assert "CreateNamespace=true" in app["spec"]["syncPolicy"]["syncOptions"]
            assert app["spec"]["syncPolicy"]["automated"]["prune"] is True


def assert_restricted(deployment: dict) -> None:
    spec = pod_spec(deployment)
    assert list(violations(spec)) == [], deployment["metadata"]["name"]
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert isinstance(pod["runAsUser"], int) and pod["runAsUser"] > 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    for container in containers(deployment):
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False, container["name"]
        assert ctx["capabilities"]["drop"] == ["ALL"], container["name"]
        assert "add" not in ctx["capabilities"]
        assert ctx["readOnlyRootFilesystem"] is True, container["name"]
        assert ctx["runAsNonRoot"] is True
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
        assert not ctx.get("privileged")
        # A read-only root needs a writable /tmp.
        assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"]), container["name"]
        assert container["resources"]["limits"] and container["resources"]["requests"]
    assert all(set(v) - {"name"} <= {"emptyDir", "persistentVolumeClaim", "configMap", "csi"} for v in spec["volumes"])


@pytest.mark.parametrize("env", ENVS)
def test_deployments_meet_pod_security_restricted(tree: Tree, env: str) -> None:
    deployments = tree.of_kind("Deployment", env)
    assert len(deployments) == 6  # (inference + file API) x 3 modules
    for deployment in deployments:
        assert_restricted(deployment)
        assert deployment["spec"]["replicas"] == 2


def test_golden_deployments_meet_pod_security_restricted(golden: Tree) -> None:
    deployments = golden.of_kind("Deployment")
    assert len(deployments) == 8  # (inference + file API) x 2 modules x dev, prod
    for deployment in deployments:
        assert_restricted(deployment)


@pytest.mark.parametrize("env", ENVS)
def test_env_references_resolve_in_order(tree: Tree, env: str) -> None:
    """`$(VAR)` in an env value only works for a VAR defined earlier in the same list, and in a
    command for any VAR of the container: every reference mlcc writes must resolve."""
    ref = re.compile(r"\$\((\w+)\)")
    for deployment in tree.of_kind("Deployment", env):
        for container in containers(deployment):
            defined: list[str] = []
            for var in container.get("env", []):
                for used in ref.findall(var.get("value", "")):
                    assert used in defined, f"{container['name']}: {var['name']} uses $({used}) before it is set"
                defined.append(var["name"])
            names = set(defined)
            for word in container.get("command", []) + container.get("args", []):
                for used in ref.findall(word):
                    assert used in names, f"{container['name']}: command uses undefined $({used})"


@pytest.mark.parametrize("env", ENVS)
def test_services_and_probes_target_named_ports(tree: Tree, env: str) -> None:
    for ns in IRIS_LIKE:
        deployment = iris_deployment(tree, env, ns)
        service = tree.get(env, ns, "Service", "iris-mlcmp")
        assert service["spec"]["ports"] == [{"name": "http", "port": 8002, "targetPort": "http", "protocol": "TCP"}]
        assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        main = main_container(deployment)
        assert main["ports"] == [{"name": "http", "containerPort": 8002, "protocol": "TCP"}]
        assert main["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
        assert main["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": "http"}
        assert main["resources"]["limits"] == {"cpu": "500m", "memory": "256M"}
        assert {"name": "LOG_LEVEL", "value": "INFO"} in main["env"]
        account = tree.get(env, ns, "ServiceAccount", "iris-mlcmp")
        assert account["automountServiceAccountToken"] is False
        assert pod_spec(deployment)["serviceAccountName"] == "iris-mlcmp"


# --- storage providers ----------------------------------------------------------------


@pytest.mark.parametrize("env", variants_with("provider", "obc"))
def test_obc_provider_claims_a_bucket_per_box(tree: Tree, env: str) -> None:
    claims = tree.of_kind("ObjectBucketClaim", env, IRIS)
    assert sorted(c["metadata"]["name"] for c in claims) == ["box-models", "box-users"]
    storage_class = VARIANTS[env]["storage"]["obc"]["storageClassName"]
    for claim in claims:
        assert claim["spec"]["storageClassName"] == storage_class
        assert claim["spec"]["additionalConfig"] == {"maxSize": "1G"}
        assert claim["spec"]["generateBucketName"].startswith(IRIS)
    assert not tree.of_kind("PersistentVolumeClaim", env) and not tree.of_kind("PersistentVolume", env)
    # Consumers read the bucket coordinates the provisioner publishes under the claim's name.
    files = main_container(tree.get(env, IRIS, "Deployment", "files-users"))
    assert env_value(files, "MLCC_BOX_BUCKET") == {"configMapKeyRef": {"name": "box-users", "key": "BUCKET_NAME"}}
    assert env_value(files, "AWS_ACCESS_KEY_ID") == {"secretKeyRef": {"name": "box-users", "key": "AWS_ACCESS_KEY_ID"}}


@pytest.mark.parametrize("env", variants_with("provider", "csi-s3"))
def test_csi_s3_provider_binds_a_volume_per_box(tree: Tree, env: str) -> None:
    config = VARIANTS[env]["storage"]["csiS3"]
    for box in ("models", "users"):
        claim = tree.get(env, IRIS, "PersistentVolumeClaim", f"box-{box}")
        volume = tree.get(env, IRIS, "PersistentVolume", f"{IRIS}.{box}")
        assert claim["spec"]["volumeName"] == volume["metadata"]["name"]
        assert volume["spec"]["claimRef"] == {"namespace": IRIS, "name": f"box-{box}"}
        assert claim["spec"]["resources"]["requests"]["storage"] == volume["spec"]["capacity"]["storage"] == "1G"
        assert claim["spec"]["storageClassName"] == volume["spec"]["storageClassName"] == config.get("storageClassName", "")
        assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
        assert volume["spec"]["csi"]["volumeHandle"] == f"{config['bucket']}/{IRIS}/{box}"
        node_secret = {"name": "csi-s3-secret", "namespace": "kube-system"}
        for ref in ("controllerPublishSecretRef", "nodeStageSecretRef", "nodePublishSecretRef"):
            assert volume["spec"]["csi"][ref] == node_secret, ref
        assert "namespace" not in volume["metadata"]  # cluster-scoped
    # S3 access to the same prefix the volume shows.
    files = main_container(tree.get(env, IRIS, "Deployment", "files-users"))
    assert env_value(files, "AWS_ENDPOINT_URL_S3") == config["endpoint"]
    assert env_value(files, "MLCC_BOX_BUCKET") == config["bucket"]
    assert f"users=s3://$(MLCC_BOX_BUCKET)/{IRIS}/users" in files["command"]
    assert not tree.of_kind("ObjectBucketClaim", env)


@pytest.mark.parametrize("env", variants_with("provider", "external"))
def test_external_provider_uses_a_prefix_of_the_existing_bucket(tree: Tree, env: str) -> None:
    config = VARIANTS[env]["storage"]["external"]
    for kind in ("ObjectBucketClaim", "PersistentVolumeClaim", "PersistentVolume"):
        assert not tree.of_kind(kind, env)
    files = main_container(tree.get(env, IRIS, "Deployment", "files-users"))
    assert env_value(files, "AWS_ENDPOINT_URL_S3") == config["endpoint"]
    assert env_value(files, "AWS_REGION") == config["region"]
    assert env_value(files, "MLCC_BOX_BUCKET") == config["bucket"]
    secret = config["credentials"]["secretName"]
    assert env_value(files, "AWS_SECRET_ACCESS_KEY") == {"secretKeyRef": {"name": secret, "key": "AWS_SECRET_ACCESS_KEY"}}
    assert f"users=s3://$(MLCC_BOX_BUCKET)/{IRIS}/users" in files["command"]
    config_map = runtime_config(tree, env, IRIS)
    assert config_map["data"]["MLCC_FILES_PREFIX"] == f"{IRIS}/users/"


# --- mount strategies -------------------------------------------------------------------


@pytest.mark.parametrize("env", variants_with("mount", "csi"))
def test_csi_mount_is_a_claim_volume_with_subpath(tree: Tree, env: str) -> None:
    deployment = iris_deployment(tree, env)
    volume = next(v for v in pod_spec(deployment)["volumes"] if v["name"] == "box-model-box")
    assert volume == {"name": "box-model-box", "persistentVolumeClaim": {"claimName": "box-models"}}
    mount = next(m for m in main_container(deployment)["volumeMounts"] if m["name"] == "box-model-box")
    assert mount == {"name": "box-model-box", "mountPath": "/home/app/models", "readOnly": True, "subPath": MODELS_SUBPATH}
    assert init_container(deployment, "sync-model-box") is None
    # The copy box is never mounted: it is reached over S3.
    assert not any(v.get("persistentVolumeClaim", {}).get("claimName") == "box-users" for v in pod_spec(deployment)["volumes"])


@pytest.mark.parametrize("env", variants_with("mount", "sync"))
def test_sync_mount_is_an_init_container_filling_an_emptydir(tree: Tree, env: str) -> None:
    deployment = iris_deployment(tree, env)
    sync = init_container(deployment, "sync-model-box")
    assert sync is not None
    assert sync["image"] == RUNTIME_IMAGE
    assert sync["command"][:2] == ["mlcc-runtime", "sync"]
    source, target = sync["command"][2:]
    prefix = "" if feature(env, "provider") == "obc" else f"{IRIS}/models/"
    assert source == f"s3://$(MLCC_BOX_BUCKET)/{prefix}{MODELS_SUBPATH}"
    assert {"name": "box-model-box", "mountPath": target} in sync["volumeMounts"]
    volume = next(v for v in pod_spec(deployment)["volumes"] if v["name"] == "box-model-box")
    assert "emptyDir" in volume
    mount = next(m for m in main_container(deployment)["volumeMounts"] if m["name"] == "box-model-box")
    assert mount == {"name": "box-model-box", "mountPath": "/home/app/models", "readOnly": True}
    # The sync runs after the runtime is installed, before the service starts.
    names = [c["name"] for c in pod_spec(deployment)["initContainers"]]
    assert names[-1] == "sync-model-box"


# --- runtime injection ----------------------------------------------------------------


@pytest.mark.parametrize("env", variants_with("injection", "copy"))
def test_copy_injection_copies_the_runtime_site_into_a_shared_volume(tree: Tree, env: str) -> None:
    for ns in IRIS_LIKE:
        deployment = iris_deployment(tree, env, ns)
        installer = init_container(deployment, "install-runtime")
        assert installer["image"] == RUNTIME_IMAGE
        assert installer["command"] == ["cp", "-a", "/opt/mlcc-runtime/site/.", "/mlcc-runtime/"]
        assert {"name": "mlcc-runtime", "mountPath": "/mlcc-runtime"} in installer["volumeMounts"]
        main = main_container(deployment)
        assert main["image"] == IRIS_IMAGE
        assert env_value(main, "PYTHONPATH") == "/mlcc-runtime"
        assert {"name": "mlcc-runtime", "mountPath": "/mlcc-runtime", "readOnly": True} in main["volumeMounts"]
        assert {"name": "mlcc-runtime", "emptyDir": {"sizeLimit": "256Mi"}} in pod_spec(deployment)["volumes"]
        assert main["command"] == ["python", "-m", "mlcc_runtime", "serve"]


@pytest.mark.parametrize("env", variants_with("injection", "pip"))
def test_pip_injection_installs_from_the_environment_registry_with_the_developer_python(tree: Tree, env: str) -> None:
    deployment = iris_deployment(tree, env)
    installer = init_container(deployment, "install-runtime")
    assert installer["image"] == IRIS_IMAGE  # the developer's own Python: wheels match it
    command = installer["command"]
    assert command[:4] == ["python", "-m", "pip", "install"]
    assert command[command.index("--index-url") + 1] == registry_url(env)
    assert command[command.index("--target") + 1] == "/mlcc-runtime"
    assert command[-1].startswith("mlcc-runtime")
    assert env_value(installer, "HOME") == "/tmp"  # pip needs a writable home on a read-only root
    main = main_container(deployment)
    assert env_value(main, "PYTHONPATH") == "/mlcc-runtime"
    assert main["command"] == ["python", "-m", "mlcc_runtime", "serve"]


@pytest.mark.parametrize("env", variants_with("injection", "image"))
def test_image_injection_runs_the_runtime_already_in_the_image(tree: Tree, env: str) -> None:
    deployment = iris_deployment(tree, env)
    assert init_container(deployment, "install-runtime") is None
    main = main_container(deployment)
    assert main["image"] == IRIS_IMAGE
    assert main["command"] == ["python", "-m", "mlcc_runtime", "serve"]
    assert not any(e["name"] == "PYTHONPATH" for e in main["env"])
    assert not any(v["name"] == "mlcc-runtime" for v in pod_spec(deployment)["volumes"])


# --- runtime ConfigMap -----------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_runtime_configmap_is_content_named_and_referenced(tree: Tree, env: str) -> None:
    for ns in IRIS_LIKE:
        config_map = runtime_config(tree, env, ns)
        name = config_map["metadata"]["name"]
        assert re.fullmatch(r"iris-mlcmp-runtime-[0-9a-f]{10}", name)
        assert (tree.root / env / ns / "configmap-iris-mlcmp-runtime.yaml").is_file()  # stable file name
        main = main_container(iris_deployment(tree, env, ns))
        assert {"configMapRef": {"name": name}} in main["envFrom"]
        data = config_map["data"]
        assert data["MLCC_FUNCTION"] == "iris.predict.inference"
        assert data["MLCC_PORT"] == "8002"
        assert data["MLCC_MODEL_KEY"] == "/home/app/models/iris.joblib"
        assert data["MLCC_FILES_PATH"] == "/home/app/users/tmp"
        # identityPassThrough: the header the route fills with the caller's identity.
        expected = OIDC["oidc"].get("userHeader", "X-Auth-Request-User") if ns == OIDC_NS else "Authorization"
        assert data["MLCC_USER_HEADER"] == expected


def test_configmap_name_follows_its_content(tree: Tree) -> None:
    """Environments that differ in what the runtime is told get different names; ones that
    tell it the same thing share the name."""
    names = {env: runtime_config(tree, env, IRIS)["metadata"]["name"] for env in ENVS}
    by_prefix: dict[str, set[str]] = {}
    for env in ENVS:
        data = runtime_config(tree, env, IRIS)["data"]
        by_prefix.setdefault(data["MLCC_FILES_PREFIX"], set()).add(names[env])
    assert all(len(group) == 1 for group in by_prefix.values())
    assert len(set(names.values())) == len(by_prefix)


# --- routes ---------------------------------------------------------------------------


@pytest.mark.parametrize("env", variants_with("style", "ingress"))
def test_ingress_routes_strip_the_prefix_and_check_basic_auth(tree: Tree, env: str) -> None:
    assert not tree.of_kind("HTTPRoute", env) and not tree.of_kind("SecurityPolicy", env)
    domain = f"{env}.example.com"
    for name, path, rewrite, service, port in (
        ("iris-api", f"/{IRIS}/iris(/|$)(.*)", "/$2", "iris-mlcmp", 8002),
        ("files-api", f"/{IRIS}/files/users(/|$)(.*)", "/files/users/$2", "files-users", 8080),
    ):
        ingress = tree.get(env, IRIS, "Ingress", name)
        notes = ingress["metadata"]["annotations"]
        assert notes["nginx.ingress.kubernetes.io/rewrite-target"] == rewrite
        assert notes["nginx.ingress.kubernetes.io/use-regex"] == "true"
        assert notes["nginx.ingress.kubernetes.io/auth-type"] == "basic"
        assert notes["nginx.ingress.kubernetes.io/auth-secret"] == "iris-apis-cred"
        (rule,) = ingress["spec"]["rules"]
        assert rule["host"] == domain
        (http_path,) = rule["http"]["paths"]
        assert http_path["path"] == path
        assert http_path["backend"] == {"service": {"name": service, "port": {"number": port}}}
        # The rewrite turns /<ns>/iris/predict into /predict.
        match = re.fullmatch(path, f"/{IRIS}/iris/predict" if name == "iris-api" else f"/{IRIS}/files/users/a/b.txt")
        assert match and rewrite.replace("$2", match.group(2)) in ("/predict", "/files/users/a/b.txt")
        tls = VARIANTS[env]["routes"].get("tlsSecretName")
        assert ingress["spec"].get("tls") == ([{"hosts": [domain], "secretName": tls}] if tls else None)


@pytest.mark.parametrize("env", variants_with("style", "ingress"))
def test_ingress_oidc_uses_the_environment_auth_endpoint(tree: Tree, env: str) -> None:
    notes = tree.get(env, OIDC_NS, "Ingress", "iris-api")["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/auth-url"] == OIDC["oidc"]["authUrl"]
    assert notes["nginx.ingress.kubernetes.io/auth-signin"] == OIDC["oidc"]["signinUrl"]
    assert notes["nginx.ingress.kubernetes.io/auth-response-headers"] == "X-Auth-Request-User"
    assert "nginx.ingress.kubernetes.io/auth-secret" not in notes


@pytest.mark.parametrize("env", variants_with("style", "gateway"))
def test_gateway_routes_rewrite_the_prefix_and_attach_a_security_policy(tree: Tree, env: str) -> None:
    assert not tree.of_kind("Ingress", env)
    gateway = VARIANTS[env]["routes"]["gateway"]
    for name, prefix, replaced, service, port in (
        ("iris-api", f"/{IRIS}/iris", "/", "iris-mlcmp", 8002),
        ("files-api", f"/{IRIS}/files/users", "/files/users", "files-users", 8080),
    ):
        route = tree.get(env, IRIS, "HTTPRoute", name)
        (parent,) = route["spec"]["parentRefs"]
        assert (parent["name"], parent["namespace"]) == (gateway["name"], gateway["namespace"])
        assert parent.get("sectionName") == gateway.get("sectionName")
        assert route["spec"]["hostnames"] == [f"{env}.example.com"]
        (rule,) = route["spec"]["rules"]
        assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": prefix}}]
        assert rule["filters"] == [
            {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": replaced}}}
        ]
        assert rule["backendRefs"] == [{"name": service, "port": port}]
        policy = tree.get(env, IRIS, "SecurityPolicy", name)
        assert policy["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": name}]
        assert policy["spec"]["basicAuth"] == {"users": {"name": "iris-apis-cred"}}


@pytest.mark.parametrize("env", variants_with("style", "gateway"))
def test_gateway_oidc_checks_sessions_with_the_external_auth_service(tree: Tree, env: str) -> None:
    policy = tree.get(env, OIDC_NS, "SecurityPolicy", "iris-api")
    ext = policy["spec"]["extAuth"]
    assert ext["http"]["backendRefs"] == [EXT_AUTH]
    # Under extAuth.http, as Envoy Gateway's CRD has it (at extAuth itself it would be pruned).
    assert ext["http"]["headersToBackend"] == ["X-Auth-Request-User"]
    assert "headersToBackend" not in ext
    assert "basicAuth" not in policy["spec"]


@pytest.mark.parametrize("env", ENVS)
def test_unpublished_api_gets_no_route(tree: Tree, env: str) -> None:
    names = {o["metadata"]["name"] for o in tree.objects(env, OIDC_NS)}
    assert "iris-old-api" not in names
    assert "old-cred" not in names  # nor a secret for its auth
    routes = [o for o in tree.objects(env, OIDC_NS) if o["kind"] in ("Ingress", "HTTPRoute")]
    assert sorted(r["metadata"]["name"] for r in routes) == ["files-api", "iris-api"]


@pytest.mark.parametrize("env", ENVS)
def test_network_policy_lets_only_the_route_controller_in(tree: Tree, env: str) -> None:
    policies = {p["metadata"]["name"]: p for p in tree.of_kind("NetworkPolicy", env, IRIS)}
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (allow,) = policies["allow-from-gateway"]["spec"]["ingress"]
    routes = VARIANTS[env]["routes"]
    controller = (
        routes.get("ingress", {}).get("controllerNamespace", "ingress-nginx")
        if routes["style"] == "ingress"
        else routes["gateway"].get("controllerNamespace", "envoy-gateway-system")
    )
    assert allow["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": controller}}}]
    namespace = tree.get(env, IRIS, "Namespace", IRIS)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


# --- secrets ----------------------------------------------------------------------------


@pytest.mark.parametrize("env", variants_with("store", True))
def test_secret_store_renders_external_secrets_for_every_credential(tree: Tree, env: str) -> None:
    store = VARIANTS[env]["secretStore"]
    storage = VARIANTS[env]["storage"]
    shared = (storage.get("csiS3") or storage.get("external") or {}).get("credentials", {})
    secrets = {s["metadata"]["name"]: s for s in tree.of_kind("ExternalSecret", env, IRIS)}
    # S3 credentials only when the environment says where the store keeps them.
    assert sorted(secrets) == sorted(["iris-apis-cred", *([shared["secretName"]] if "remoteKey" in shared else [])])
    for name, secret in secrets.items():
        assert secret["spec"]["secretStoreRef"] == {"kind": store["kind"], "name": store["name"]}
        assert secret["spec"]["target"]["name"] == name
    template = store.get("keyTemplate", "mlcc/{namespace}/{name}")
    key = template.format(namespace=IRIS, name="iris-apis-cred")
    assert secrets["iris-apis-cred"]["spec"]["dataFrom"] == [{"extract": {"key": key}}]
    if "remoteKey" in shared:
        assert secrets[shared["secretName"]]["spec"]["dataFrom"] == [{"extract": {"key": shared["remoteKey"]}}]
        assert "template" not in secrets[shared["secretName"]]["spec"]["target"]


@pytest.mark.parametrize("env", variants_with("store", True))
def test_basic_auth_secret_has_the_key_the_route_controller_reads(tree: Tree, env: str) -> None:
    """ingress-nginx reads the htpasswd file from `auth`; Envoy Gateway from `.htpasswd`."""
    target = tree.get(env, IRIS, "ExternalSecret", "iris-apis-cred")["spec"]["target"]
    if feature(env, "style") == "gateway":
        assert target["template"] == {"mergePolicy": "Merge", "data": {".htpasswd": "{{ .auth }}"}}
    else:
        assert "template" not in target


@pytest.mark.parametrize("env", variants_with("store", False))
def test_without_secret_store_secrets_are_only_referenced(tree: Tree, env: str) -> None:
    assert not tree.of_kind("ExternalSecret", env)
    notes = tree.get(env, IRIS, "Ingress", "iris-api")["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/auth-secret"] == "iris-apis-cred"


@pytest.mark.parametrize("env", ENVS)
def test_a_sealed_secret_the_module_carries_is_passed_through(tree: Tree, env: str) -> None:
    sealed = tree.get(env, OIDC_NS, "SealedSecret", "iris-apis-cred")
    assert sealed["metadata"]["namespace"] == OIDC_NS
    assert not any(s["metadata"]["name"] == "iris-apis-cred" for s in tree.of_kind("ExternalSecret", env, OIDC_NS))


def test_no_plaintext_secret_anywhere(tree: Tree, golden: Tree) -> None:
    for source in (tree, golden):
        for obj in source.objects():
            assert obj["kind"] != "Secret", obj["metadata"]["name"]
            if obj["kind"] != "ConfigMap":
                assert "stringData" not in obj and "data" not in obj, f"{obj['kind']}/{obj['metadata']['name']}"
            for deployment in [obj] if obj["kind"] == "Deployment" else []:
                for container in containers(deployment):
                    for var in container.get("env", []):
                        if re.search(r"SECRET|PASSWORD|TOKEN|_KEY_ID", var["name"]):
                            assert "value" not in var, f"{var['name']} is inlined in {container['name']}"


# --- Argo CD: waves and pruning ---------------------------------------------------------


def _all_trees(tree: Tree, golden: Tree):
    for source in (tree, golden):
        for folder in source.folders():
            if folder.name != "argocd":
                yield folder, source.objects(folder.parent.name, folder.name)


def test_data_bearing_objects_are_never_pruned(tree: Tree, golden: Tree) -> None:
    seen = set()
    for folder, objects in _all_trees(tree, golden):
        for obj in objects:
            option = obj["metadata"].get("annotations", {}).get(SYNC_OPTIONS)
            if obj["kind"] in DATA_KINDS:
                seen.add(obj["kind"])
                assert option == "Prune=false,Delete=false", f"{folder}: {obj['kind']}/{obj['metadata']['name']}"
            elif obj["kind"] in ("Deployment", "Service", "ConfigMap", "Ingress", "HTTPRoute"):
                assert option is None, f"{folder}: {obj['kind']}/{obj['metadata']['name']}"
    assert seen == DATA_KINDS


def test_sync_waves_order_storage_config_workloads_routes(tree: Tree, golden: Tree) -> None:
    stages = ["storage", "config", "workload", "route"]
    for folder, objects in _all_trees(tree, golden):
        waves: dict[str, set[int]] = {stage: set() for stage in stages}
        namespace_wave = None
        for obj in objects:
            wave = int(obj["metadata"]["annotations"][SYNC_WAVE])
            if obj["kind"] == "Namespace":
                namespace_wave = wave
            for stage in stages:
                if obj["kind"] in WAVE_OF_KIND[stage]:
                    waves[stage].add(wave)
        present = [s for s in stages if waves[s]]
        assert present[-3:] == ["config", "workload", "route"], folder
        for earlier, later in zip(present, present[1:]):
            assert max(waves[earlier]) < min(waves[later]), f"{folder}: {earlier} {waves[earlier]} !< {later} {waves[later]}"
        assert namespace_wave is not None and namespace_wave < min(min(w) for w in waves.values() if w)
