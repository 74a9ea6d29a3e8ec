"""Names mlcc derives from a user's (`box-<name>`, `sync-<name>`, `files-<box>`, label values)
stay within the limits the API server enforces, however long the user's names are."""

from __future__ import annotations

import re
import shutil

import pytest

from mlcc.k8s.verify import check_object
from rendertools import API, OVERLAYS, Tree, copy_modules, mlcc_inprocess

NS = "pu-alice-pa-iris"
COMPONENT = "customer-churn-prediction-gradient-boosting-model-v2-final-xyzw"  # 63
CONNECTED = "the-model-weights-box-connected-under-a-rather-long-name-xx"  # 59
BOX = "end-user-uploads-and-inference-outputs-kept-for-ninety-days"  # 59
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    repo = tmp_path_factory.mktemp("long-names")
    iris = copy_modules(repo, ("iris",)) / "iris"
    assert len(COMPONENT) == 63
    for path in iris.glob("*.yaml"):
        text = path.read_text().replace("iris-mlcmp", COMPONENT).replace("model-box", CONNECTED)
        text = text.replace("name: users", f"name: {BOX}").replace("s3BoxName: users", f"s3BoxName: {BOX}")
        path.write_text(text)
    (repo / "overlays" / "edge").mkdir(parents=True)
    (repo / "overlays" / "edge" / "environment.yaml").write_text(
        f"apiVersion: {API}\nkind: Environment\nmetadata:\n  name: edge\nspec:\n  storage: {{provider: obc, mount: sync}}\n"
    )
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=repo)
    assert run.code == 0, run.text
    return Tree(repo / "out")


def test_long_names_render_valid_objects(tree: Tree) -> None:
    objects = tree.objects("edge", NS)
    assert {o["kind"] for o in objects} >= {"Deployment", "Service", "ConfigMap", "ObjectBucketClaim", "Ingress"}
    for obj in objects:
        assert check_object(obj) == [], f"{obj['kind']}/{obj['metadata']['name']}"
        for value in obj["metadata"].get("labels", {}).values():
            assert len(value) <= 63 and LABEL_VALUE.match(value), value


def test_derived_names_are_bounded_and_consistent(tree: Tree) -> None:
    deployment = tree.get("edge", NS, "Deployment", COMPONENT)
    spec = deployment["spec"]["template"]["spec"]
    names = [c["name"] for c in [*spec["initContainers"], *spec["containers"]]] + [v["name"] for v in spec["volumes"]]
    assert all(len(n) <= 63 for n in names), names
    (sync,) = [c for c in spec["initContainers"] if c["name"].startswith("sync-")]
    (volume,) = [v for v in spec["volumes"] if v["name"].startswith("box-")]
    assert {"name": volume["name"], "mountPath": "/box"} in sync["volumeMounts"]
    assert any(m["name"] == volume["name"] for m in spec["containers"][0]["volumeMounts"])
    # The file API's Service, Deployment and route agree on the bounded name.
    (files,) = [s for s in tree.of_kind("Service", "edge", NS) if s["metadata"]["name"].startswith("files-")]
    name = files["metadata"]["name"]
    assert len(name) <= 63 and name != f"files-{BOX}"
    tree.get("edge", NS, "Deployment", name)
    ingress = tree.get("edge", NS, "Ingress", "files-api")
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == name
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["path"].startswith(f"/{NS}/files/{BOX}(")


def test_bounded_names_are_stable_and_distinct() -> None:
    from mlcc.k8s.objects import bounded, label_value

    assert bounded("box-short") == "box-short"
    a, b = bounded("box-" + "a" * 70), bounded("box-" + "a" * 69 + "b")
    assert a == bounded("box-" + "a" * 70) and a != b and len(a) == len(b) == 63
    assert label_value("My Module") != "My Module" and LABEL_VALUE.match(label_value("My Module"))
    assert label_value("iris") == "iris"


def test_application_names_of_long_namespaces_do_not_collide() -> None:
    from mlcc.model.environment import DEFAULT
    from mlcc.render.argocd import application_name

    a = application_name(DEFAULT, "pu-" + "a" * 56 + "-one")
    b = application_name(DEFAULT, "pu-" + "a" * 56 + "-two")
    assert a != b and len(a) <= 63 and len(b) <= 63
    assert application_name(DEFAULT, "pu-alice-pa-iris") == "default-pu-alice-pa-iris"


def test_persistent_volumes_of_different_modules_never_share_a_name(tmp_path) -> None:
    """PVs are cluster-wide: namespace `a` with box `b-c` and namespace `a-b` with box `c` stay apart."""
    repo = tmp_path / "repo"
    modules = copy_modules(repo, ("iris",))
    shutil.copytree(modules / "iris", modules / "iris2")
    for path in (modules / "iris2").glob("*.yaml"):
        text = path.read_text().replace(f"namespace: {NS}", "namespace: pu-alice-pa")
        path.write_text(text.replace("name: models", "name: iris-models").replace("s3BoxName: models", "s3BoxName: iris-models"))
    run = mlcc_inprocess("build", "modules", "-o", "out", "--env", "prod", "--overlays", OVERLAYS, cwd=repo)
    assert run.code == 0, run.text
    tree = Tree(repo / "out")
    volumes = [o for o in tree.objects("prod") if o["kind"] == "PersistentVolume"]
    names = [v["metadata"]["name"] for v in volumes]
    assert len(names) == len(set(names)) == 4, names
    claims = {(c["metadata"]["namespace"], c["spec"]["volumeName"]) for c in tree.objects("prod") if c["kind"] == "PersistentVolumeClaim"}
    assert {(v["spec"]["claimRef"]["namespace"], v["metadata"]["name"]) for v in volumes} == claims
