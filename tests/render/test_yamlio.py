"""mlcc's YAML writer is byte-identical to PyYAML's for anything it writes itself."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mlcc.syntax import yamlio

ROOT = Path(__file__).resolve().parents[2]
TRICKY = ["yes", "on", "0755", "1e3", "012", "", " x", "x ", "a: b", "- x", "#", "null", "~", "$(VAR)", "*x", "&y",
          "'q'", '"dq"', "a\nb", "a\n", "ü", "\t", "k" * 200, "=", "<<", "[x]", "{x}", "%x", "@x", "`x"]
scalars = st.one_of(st.sampled_from(TRICKY), st.text(max_size=10), st.integers(), st.booleans(), st.none())
keys = st.one_of(st.sampled_from(TRICKY), st.text(min_size=1, max_size=10))
objects = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=25
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, objects, max_size=5))
def test_random_objects_are_written_exactly_as_pyyaml_writes_them(obj):
    assert yamlio.dump_yaml(obj) == yamlio.dump_all([obj])


def test_every_rendered_object_is_written_exactly_as_pyyaml_writes_it():
    loader = YAML(typ="safe")
    files = sorted((ROOT / "rendered").rglob("*.yaml"))
    assert files
    for path in files:
        obj = loader.load(path.read_text())
        assert yamlio.dump_yaml(obj) == yamlio.dump_all([obj]) == path.read_text(), path
