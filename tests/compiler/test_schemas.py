"""The committed schema/: current, valid for the examples, and CRDs Kubernetes accepts as structural."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from compiler_support import CASES, MODULES, SCHEMA, run_mlcc
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from mlcc.model import KINDS

OWN_KINDS = sorted(KINDS)


def _documents(path: Path) -> list[dict]:
    return [d for d in YAML(typ="safe", pure=True).load_all(path.read_text(encoding="utf-8")) if d is not None]


def _manifests(folder: Path) -> list[tuple[str, dict]]:
    return [
        (f"{path.relative_to(folder.parent)}#{i}", doc)
        for path in sorted(folder.glob("*.yaml"))
        for i, doc in enumerate(_documents(path))
        if doc.get("kind") in KINDS
    ]


def _validator(kind: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA / f"{kind.lower()}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


EXAMPLES = [m for module in ("iris", "textstats") for m in _manifests(MODULES / module)]


def test_committed_schemas_are_current():
    run = run_mlcc("schema", "-o", "schema", "--check")
    assert run.code == 0, run.out + run.err


def test_schema_check_notices_a_stale_file(tmp_path):
    assert run_mlcc("schema", "-o", tmp_path, "--check").code == 1
    assert run_mlcc("schema", "-o", tmp_path).code == 0
    assert run_mlcc("schema", "-o", tmp_path, "--check").code == 0
    for kind in OWN_KINDS:
        assert (tmp_path / f"{kind.lower()}.json").read_text() == (SCHEMA / f"{kind.lower()}.json").read_text()
    stale = tmp_path / "databox.json"
    stale.write_text(stale.read_text().replace("capacity", "capacit"))
    run = run_mlcc("schema", "-o", tmp_path, "--check")
    assert run.code == 1 and "databox.json" in run.out


def test_examples_cover_every_kind():
    assert {doc["kind"] for _, doc in EXAMPLES} == set(KINDS)


@pytest.mark.parametrize(("where", "doc"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_example_manifest_validates_against_its_schema(where, doc):
    errors = [e.message for e in _validator(doc["kind"]).iter_errors(doc)]
    assert errors == []


@pytest.mark.parametrize("case", ["000-valid-module", "001-valid-flow-style"])
def test_valid_cases_validate_against_the_schemas(case):
    for where, doc in _manifests(CASES / case):
        assert [e.message for e in _validator(doc["kind"]).iter_errors(doc)] == [], where


def _example(kind: str) -> dict:
    return copy.deepcopy(next(doc for _, doc in EXAMPLES if doc["kind"] == kind))


BROKEN = {
    "unknown field": ("MLComponent", lambda d: d["spec"]["image"].update(existingImageNmae="x")),
    "env value not a string": ("MLComponent", lambda d: d["spec"]["env"][0].update(value=0.5)),
    "servicePort as a string": ("MLComponent", lambda d: d["spec"].update(servicePort="8002")),
    "bad quantity": ("DataBox", lambda d: d["spec"]["s3DefaultStorage"].update(capacity="1Gb")),
    "bad name": ("DataBox", lambda d: d["metadata"].update(name="Models_Box")),
    "wrong apiVersion": ("DataBox", lambda d: d.update(apiVersion="unified-platform.cs.hse.ru/v2")),
    "missing restfulApi": ("APIComponent", lambda d: d["spec"].pop("restfulApi")),
    "restfulApi.path with a slash": ("APIComponent", lambda d: d["spec"]["restfulApi"].update(path="/iris")),
}


@pytest.mark.parametrize("what", sorted(BROKEN))
def test_broken_manifest_does_not_validate(what):
    kind, breakage = BROKEN[what]
    doc = _example(kind)
    assert list(_validator(kind).iter_errors(doc)) == []
    breakage(doc)
    assert list(_validator(kind).iter_errors(doc)) != []


def test_examples_point_editors_at_the_schemas():
    """`# yaml-language-server: $schema=...` lines name files that exist."""
    for path in sorted(MODULES.glob("*/*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, path
        target = (path.parent / match[1]).resolve()
        assert target.is_file(), path
        assert target.name == f"{_documents(path)[0]['kind'].lower()}.json"


# --- CRDs ------------------------------------------------------------------------------------------


def _crd(kind: str) -> dict:
    (crd,) = _documents(SCHEMA / "crds" / f"{kind.lower()}.yaml")
    return crd


def _nodes(node: dict, path: str = "openAPIV3Schema"):
    """Every schema node under `node`, with a readable path."""
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from _nodes(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from _nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _nodes(node["additionalProperties"], f"{path}{{}}")


def test_crd_files_are_exactly_the_kinds():
    assert sorted(p.stem for p in (SCHEMA / "crds").glob("*.yaml")) == [k.lower() for k in OWN_KINDS]


@pytest.mark.parametrize("kind", OWN_KINDS)
def test_crd_header(kind):
    crd = _crd(kind)
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1" and crd["kind"] == "CustomResourceDefinition"
    spec = crd["spec"]
    assert spec["group"] == "unified-platform.cs.hse.ru" and spec["scope"] == "Namespaced"
    assert spec["names"]["kind"] == kind
    assert crd["metadata"]["name"] == f"{spec['names']['plural']}.{spec['group']}"
    (version,) = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1", True, True)


@pytest.mark.parametrize("kind", OWN_KINDS)
def test_crd_schema_is_structural(kind):
    schema = _crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert "$ref" not in json.dumps(schema)
    for path, node in _nodes(schema):
        assert "type" in node or node.get("x-kubernetes-int-or-string") is True, path
        assert not ("additionalProperties" in node and "properties" in node), path
        assert not {"anyOf", "oneOf", "allOf", "not", "const", "$defs", "title"} & set(node), path
        if node.get("type") == "object":
            assert "properties" in node or "additionalProperties" in node or path.endswith(".metadata"), path
        if node.get("type") == "array":
            assert isinstance(node.get("items"), dict), path


@pytest.mark.parametrize("kind", OWN_KINDS)
def test_crd_schema_accepts_the_examples(kind):
    """The CRD schema (checked as JSON Schema) admits what mlcc lint admits."""
    schema = _crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    validator = Draft202012Validator(_as_json_schema(schema))
    for where, doc in EXAMPLES:
        if doc["kind"] == kind:
            assert [e.message for e in validator.iter_errors(doc)] == [], where


def _as_json_schema(node):
    """x-kubernetes-int-or-string → a JSON Schema type union, so jsonschema can check it."""
    if isinstance(node, dict):
        node = {k: _as_json_schema(v) for k, v in node.items()}
        if node.pop("x-kubernetes-int-or-string", False):
            node["type"] = ["integer", "number", "string"]
        return node
    if isinstance(node, list):
        return [_as_json_schema(v) for v in node]
    return node
