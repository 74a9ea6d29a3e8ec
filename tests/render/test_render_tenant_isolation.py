"""One module must not read another's data: storage credentials are per module.

A bucket shared by all modules (csi-s3, external) gets one key per module (`remoteKey` with
`{namespace}`), and a key shared by all is warning MLCC704 at its line. ObjectBucketClaim
environments isolate by bucket: each box is a bucket of its own whose credentials the bucket
provisioner writes into a Secret of the module's namespace (objectbucket.io's claim contract), and
a pod can only reference Secrets of its own namespace (Kubernetes' secretKeyRef has no namespace).
"""

from __future__ import annotations

from pathlib import Path

from rendertools import Tree, mlcc_inprocess, scratch_repo

MODULE_NAMESPACES = ("pu-alice-pa-iris", "pu-bob-pa-textstats")


def _repo(tmp_path: Path, shared_key: bool = False) -> Path:
    scratch_repo(tmp_path, ("iris", "textstats"))
    if shared_key:
        prod = tmp_path / "overlays" / "prod" / "environment.yaml"
        prod.write_text(prod.read_text().replace("remoteKey: platform/s3/modules/{namespace}", "remoteKey: platform/s3/ml-modules"))
    return tmp_path


def _secret_refs(deployment: dict) -> set[str]:
    pod = deployment["spec"]["template"]["spec"]
    names = set()
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        for var in container.get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
    return names


def test_a_shared_bucket_gets_a_key_per_module(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    run = mlcc_inprocess("build", "--env", "prod", "-o", "out", "modules", cwd=repo)
    assert run.code == 0 and "MLCC704" not in run.err, run.text
    tree = Tree(repo / "out")
    keys = {}
    for ns in MODULE_NAMESPACES:
        (secret,) = [s for s in tree.of_kind("ExternalSecret", "prod", ns) if s["metadata"]["name"] == "mlcc-s3-credentials"]
        keys[ns] = secret["spec"]["dataFrom"][0]["extract"]["key"]
    assert keys == {ns: f"platform/s3/modules/{ns}" for ns in MODULE_NAMESPACES}


def test_one_key_for_every_module_is_a_located_warning(tmp_path: Path) -> None:
    repo = _repo(tmp_path, shared_key=True)
    run = mlcc_inprocess("lint", "--format", "json", "modules", cwd=repo)
    (warning,) = [d for d in run.json() if d["code"] == "MLCC704"]
    assert warning["file"].endswith("overlays/prod/environment.yaml")
    line = (repo / "overlays" / "prod" / "environment.yaml").read_text().splitlines()[warning["line"] - 1]
    assert "remoteKey: platform/s3/ml-modules" in line
    assert "{namespace}" in warning["hint"]


def test_object_bucket_claims_isolate_each_box_in_its_namespace(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert mlcc_inprocess("build", "--env", "dev", "-o", "out", "modules", cwd=repo).code == 0
    tree = Tree(repo / "out")
    buckets = set()
    for ns in MODULE_NAMESPACES:
        claims = {c["metadata"]["name"]: c for c in tree.of_kind("ObjectBucketClaim", "dev", ns)}
        buckets |= {c["spec"]["generateBucketName"] for c in claims.values()}
        made_here = set(claims) | {s["spec"]["target"]["name"] for s in tree.of_kind("ExternalSecret", "dev", ns)}
        for deployment in tree.of_kind("Deployment", "dev", ns):
            # every Secret a pod reads is one this namespace's own claims or store make
            assert _secret_refs(deployment) <= made_here, (ns, deployment["metadata"]["name"])
    assert len(buckets) == 4  # two boxes in each of two modules: four buckets, none shared
