"""Objects of one shape share a validation (verify.py); the verdict is always the full validator's."""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mlcc.k8s import verify

ROOT = Path(__file__).resolve().parents[2]
OBJECTS = [
    YAML(typ="safe").load(p.read_text())
    for p in sorted((ROOT / "rendered").rglob("*.yaml"))
    if p.name != "kustomization.yaml" and "/argocd/" not in p.as_posix()
]
CORE = [o for o in OBJECTS if verify._kubernetes_validator(o["apiVersion"], o["kind"]) is not None]


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, (*prefix, i))


def set_at(obj, path, value):
    for part in path[:-1]:
        obj = obj[part]
    obj[path[-1]] = value


NEW_VALUES = st.one_of(st.text(max_size=6), st.sampled_from(["v1", "apps/v1", "Deployment", "TCP", ""]),
                       st.integers(-3, 70000), st.booleans(), st.none(), st.builds(dict), st.builds(list), st.builds(lambda: {"bogus": 1}))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_memoised_verdict_equals_full_validation(data):
    for obj in CORE:  # the memo holds every rendered shape
        assert verify._kubernetes_errors(obj) == []
    obj = copy.deepcopy(data.draw(st.sampled_from(CORE)))
    for _ in range(data.draw(st.integers(1, 3))):
        candidates = [p for p in paths(obj) if p]
        set_at(obj, data.draw(st.sampled_from(candidates)), data.draw(NEW_VALUES))
    kind = verify._kubernetes_validator(str(obj.get("apiVersion")), str(obj.get("kind")))
    memoised = verify._kubernetes_errors(obj)
    if kind is None:
        assert memoised and "no Kubernetes" in memoised[0]
    else:  # invalid objects are always validated in full: same verdict, real messages
        assert memoised == verify._errors(kind.validator, obj)
