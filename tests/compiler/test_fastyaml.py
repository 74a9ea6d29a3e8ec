"""The libyaml fast path reads every file it accepts exactly as ruamel.yaml does: values, types, positions."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mlcc.syntax.fastyaml import load_documents

ROOT = Path(__file__).resolve().parents[2]
TRICKY = ["yes", "no", "on", "012", "0o12", "0x1F", "1_000", "1e3", ".5", "+1", "-0", "null", "Null", "~", "",
          "true", "False", "2001-12-14", ".inf", "a: b", "#x", " lead", "trail ", "ü", "=", "<<", "- x", "{x}"]
scalars = st.one_of(
    st.sampled_from(TRICKY), st.text(max_size=12), st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
)
keys = st.one_of(st.sampled_from(TRICKY), st.text(min_size=1, max_size=8))
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=20)


def ruamel_documents(text: str) -> list:
    return [d for d in YAML(typ="rt").load_all(text) if d is not None]


def assert_same(fast, slow, path=()):
    if isinstance(slow, dict):
        assert isinstance(fast, dict) and list(fast) == list(slow), path
        for key in slow:
            assert fast.lc.key(key) == tuple(slow.lc.key(key)), (path, key)
            if not isinstance(slow[key], (dict, list)) and slow[key] is not None:
                assert fast.lc.value(key) == tuple(slow.lc.value(key)), (path, key)
            assert_same(fast[key], slow[key], (*path, key))
    elif isinstance(slow, list):
        assert isinstance(fast, list) and len(fast) == len(slow), path
        for i, (a, b) in enumerate(zip(fast, slow)):
            assert fast.lc.item(i) == tuple(slow.lc.item(i)), (path, i)
            assert_same(a, b, (*path, i))
    else:
        assert fast == slow and type(fast) in (type(slow), *type(slow).__mro__), (path, fast, slow)


def check(text: str) -> None:
    fast = load_documents(text, 64)
    if fast is None:
        return  # the ruamel path takes it
    slow = ruamel_documents(text)
    assert len(fast) == len(slow)
    for (root, _), other in zip(fast, slow):
        assert_same(root, other)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, st.booleans(), st.booleans())
def test_random_documents_read_the_same(tree, flow, crlf):
    yaml = YAML(typ="rt")
    yaml.default_flow_style = flow
    buffer = io.StringIO()
    yaml.dump({"root": tree}, buffer)
    text = buffer.getvalue()
    check(text.replace("\n", "\r\n") if crlf else text)


@pytest.mark.parametrize("folder", ["modules", "overlays", "tests/compiler/cases"])
def test_every_manifest_of_the_repository_reads_the_same(folder):
    for path in sorted((ROOT / folder).rglob("*.y*ml")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        try:
            ruamel_documents(text)
        except Exception:
            assert load_documents(text, 64) is None, f"{path}: the fast path accepts what ruamel rejects"
            continue
        check(text)


@pytest.mark.parametrize("text", ["a: &x 1\nb: *x\n", "a: !!str 1\n", "a: 1\na: 2\n", "<<: {a: 1}\n", "a: 0x1F\n", "a: [1\n"])
def test_unusual_files_take_the_ruamel_path(text):
    assert load_documents(text, 64) is None


def test_too_deep_documents_take_the_ruamel_path():
    assert load_documents("a: " + "[" * 70 + "]" * 70 + "\n", 64) is None
