"""Units under the CLI: quantities, the docstring contract, did-you-mean, source positions, the loader."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from mlcc.model.contract import parse_contract
from mlcc.frontend.loader import parse_source
from mlcc.model import DataBox
from mlcc.model.quantity import parse_quantity
from mlcc.syntax.source import Document, Location, SourceFile
from mlcc.diagnostics.suggest import closest, did_you_mean

# --- quantity.parse_quantity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("1", Decimal(1)),
        ("0", Decimal(0)),
        ("1.5", Decimal("1.5")),
        (".5", Decimal("0.5")),
        ("1k", Decimal(1000)),
        ("256M", Decimal(256 * 10**6)),
        ("1G", Decimal(10**9)),
        ("1E", Decimal(10**18)),
        ("256Mi", Decimal(256 * 2**20)),
        ("1Gi", Decimal(2**30)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("1Ei", Decimal(2**60)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("2e-3", Decimal("0.002")),
    ],
)
def test_parse_quantity(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "not a Kubernetes quantity"),
        ("G", "not a Kubernetes quantity"),
        (" 1G", "not a Kubernetes quantity"),
        ("1 G", "not a Kubernetes quantity"),
        ("-1", "not a Kubernetes quantity"),
        ("1.2.3", "not a Kubernetes quantity"),
        ("1Gb", "unknown suffix 'Gb'"),
        ("1mi", "unknown suffix 'mi'"),
        ("1e", "unknown suffix 'e'"),
        ("1e999999999", "exponent"),
    ],
)
def test_parse_quantity_rejects(text, why):
    with pytest.raises(ValueError, match=why):
        parse_quantity(text)


def _capacity(value):
    box = {"apiVersion": "unified-platform.cs.hse.ru/v1", "kind": "DataBox", "metadata": {"name": "b", "namespace": "n"}}
    box["spec"] = {"s3DefaultStorage": {"capacity": value}}
    return DataBox.model_validate(box).spec.s3_default_storage.capacity


def test_numeric_quantities_keep_every_digit():
    assert _capacity(123456789) == "123456789"
    assert _capacity(2.5) == "2.5"
    assert parse_quantity(_capacity(10**12)) == 10**12


@pytest.mark.parametrize(("value", "why"), [("256m", "milli-bytes"), ("0", "greater than zero"), ("0.5", "less than one byte"), (True, "quantity")])
def test_byte_quantities_reject_slips(value, why):
    with pytest.raises(ValidationError, match=why):
        _capacity(value)


# --- contract.parse_contract -------------------------------------------------------------------------

DOCSTRING = """Classify flowers.

    :param parameters: ignored here
    :param inputs.features: four measurements per flower
    :type inputs.features: FP32 or fp64
    :param inputs.threshold: minimum probability
    :type inputs.threshold: FP32, optional
    :param outputs.species: the predicted species
    :type outputs.species: str | BYTES
    """


def test_parse_contract_inputs_and_outputs():
    contract, problems = parse_contract(DOCSTRING)
    assert problems == []
    features, threshold = contract.inputs
    assert (features.name, features.datatypes, features.optional) == ("features", ("FP32", "FP64"), False)
    assert features.description == "four measurements per flower"
    assert (threshold.name, threshold.datatypes, threshold.optional) == ("threshold", ("FP32",), True)
    (species,) = contract.outputs
    assert (species.name, species.datatypes, species.description) == ("species", ("str", "BYTES"), "the predicted species")


def test_parse_contract_without_declarations_is_empty():
    contract, problems = parse_contract("Just prose, no fields.")
    assert (contract.inputs, contract.outputs, problems) == ((), (), [])


def test_parse_contract_unknown_datatype_points_at_the_type_text():
    line = "    :type inputs.FP: FP"
    _, problems = parse_contract(f"Doc.\n    :param inputs.FP: x\n{line}\n")
    (problem,) = problems
    assert "unknown datatype 'FP'" in problem.message
    assert problem.line == 2
    assert line[problem.column :] == "FP"  # the type, not the "FP" inside the name
    assert problem.length == 2


def test_parse_contract_param_without_type():
    _, problems = parse_contract("Doc.\n\n    :param outputs.y: the y\n")
    (problem,) = problems
    assert "no `:type outputs.y:` line" in problem.message
    assert (problem.line, problem.column) == (2, 4)


def test_parse_contract_repeated_param():
    _, problems = parse_contract(":param inputs.x: a\n:param inputs.x: b\n:type inputs.x: FP32\n")
    assert [(p.line, p.message) for p in problems] == [(1, ":param inputs.x: is given twice")]


def test_parse_contract_empty_type():
    _, problems = parse_contract(":param inputs.x: a\n:type inputs.x:\n")
    assert len(problems) == 1 and "(empty)" in problems[0].message


# --- suggest.did_you_mean ----------------------------------------------------------------------------


def test_did_you_mean_a_near_name():
    assert did_you_mean("capacty", ["capacity"], "field") == "did you mean 'capacity'?"


def test_did_you_mean_ignores_case_first():
    assert did_you_mean("s3defaultstorage", ["s3DefaultStorage", "s3DefaultStorages"]) == "did you mean 's3DefaultStorage'?"


def test_did_you_mean_lists_known_names_when_nothing_is_near():
    assert did_you_mean("zzz", ["users", "models"], "DataBox") == "known DataBox names: 'models', 'users'"


def test_did_you_mean_shortens_long_lists():
    hint = did_you_mean("zzz", [f"box-{i}" for i in range(10)], "DataBox")
    assert hint.endswith(", ...") and hint.count("'box-") == 6


def test_did_you_mean_with_no_candidates():
    assert did_you_mean("x", [], "DataBox") == "no DataBox is defined"
    assert did_you_mean("x", []) is None


def test_closest_needs_some_similarity():
    assert closest("DataBx", ["DataBox", "MLComponent", "APIComponent"]) == "DataBox"
    assert closest("ConfigMap", ["DataBox", "MLComponent", "APIComponent"]) is None


# --- source.Document.locate --------------------------------------------------------------------------

TEXT = """\
apiVersion: v1
kind: Thing
spec:
  empty:
  quoted: "a, b"  # comment
  plain: value # comment
  list:
    - first
    - {name: b, value: 'x y'}
  flow: {a: 1, b: [1, 2]}
---
other: 1
---
just a scalar
"""


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    documents, problems = parse_source(SourceFile(Path("f.yaml"), TEXT))
    assert problems == []
    return documents


def _at(documents, path, *, key=False, index=0) -> tuple[int, int, int]:
    loc = documents[index].locate(path, key=key)
    assert loc.file == "f.yaml"
    return loc.line, loc.column, loc.length


def test_locate_scalar_value_and_key(documents):
    assert _at(documents, ("kind",)) == (2, 7, 5)
    assert _at(documents, ("kind",), key=True) == (2, 1, 4)


def test_locate_value_length_stops_at_comment_and_keeps_quotes(documents):
    assert _at(documents, ("spec", "quoted")) == (5, 11, 6)
    assert _at(documents, ("spec", "plain")) == (6, 10, 5)


def test_locate_a_mapping_points_at_its_key(documents):
    assert _at(documents, ("spec",)) == (3, 1, 4)


def test_locate_empty_value_points_at_its_key(documents):
    assert _at(documents, ("spec", "empty")) == (4, 3, 5)


def test_locate_list_items_and_flow_style(documents):
    assert _at(documents, ("spec", "list", 0)) == (8, 7, 5)
    assert _at(documents, ("spec", "list", 1, "value")) == (9, 24, 5)
    assert _at(documents, ("spec", "list", 1, "value"), key=True) == (9, 17, 5)
    assert _at(documents, ("spec", "flow", "b", 1)) == (10, 23, 1)


def test_locate_missing_field_points_at_the_deepest_existing_key(documents):
    assert _at(documents, ("spec", "missing", "deeper")) == (3, 1, 4)
    assert _at(documents, ("nope",)) == (1, 1, 1)


def test_locate_empty_path_is_the_document_start(documents):
    assert _at(documents, ()) == (1, 1, 1)
    assert _at(documents, (), index=1) == (12, 1, 1)


def test_locate_in_a_later_document_counts_lines_from_the_file_start(documents):
    assert _at(documents, ("other",), index=1) == (12, 8, 1)


def test_a_scalar_document_knows_its_line(documents):
    assert documents[2].root == "just a scalar"
    assert documents[2].locate(()) == Location("f.yaml", 14, 1, 1)


# --- loader.parse_source -----------------------------------------------------------------------------


def _parse(text: str):
    documents, problems = parse_source(SourceFile(Path("f.yaml"), text))
    return documents, [(p.code, p.location.line) for p in problems]


def test_a_syntax_error_does_not_hide_the_next_documents():
    documents, problems = _parse("a: 1\n---\nb: {c: 2\n---\nd: 4\n---\ne: [\n---\nf: 6\n")
    assert [dict(d.root) for d in documents] == [{"a": 1}, {"d": 4}, {"f": 6}]
    assert problems == [("MLCC101", 4), ("MLCC101", 8)]


def test_a_duplicate_key_is_reported_and_the_document_kept():
    documents, problems = _parse("a: 1\nb: 2\na: 3\n---\nc: 4\n")
    assert problems == [("MLCC102", 3)]
    assert [dict(d.root) for d in documents] == [{"a": 1, "b": 2}, {"c": 4}]


def test_an_alias_bomb_is_refused_quickly():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdef", "bcdefg"):  # 10**7 values once expanded
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 10)}]")
    started = time.monotonic()
    documents, problems = _parse("\n".join(lines) + "\n---\nok: 1\n")
    assert time.monotonic() - started < 2
    assert problems == [("MLCC101", 1)]
    assert [dict(d.root) for d in documents] == [{"ok": 1}]


def test_a_recursive_alias_is_refused():
    _, problems = _parse("a: &a [*a]\n")
    assert problems == [("MLCC101", 1)]


def test_deep_nesting_is_refused():
    _, problems = _parse("a: " + "[" * 100 + "]" * 100 + "\n")
    assert [code for code, _ in problems] == ["MLCC101"]


def test_a_few_aliases_are_fine():
    documents, problems = _parse("base: &base {cpu: 1}\nlimits: *base\n")
    assert problems == [] and documents[0].root["limits"] == {"cpu": 1}
