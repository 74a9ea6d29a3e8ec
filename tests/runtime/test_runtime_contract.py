"""Docstring contract parsing and the tensor leniency rules, on their own."""

from __future__ import annotations

import pytest

from fixtures import echo_fn
from mlcc_runtime import contract
from mlcc_runtime.errors import ApiError
from mlcc_runtime.tensors import flatten, normalize_input, normalize_output

IRIS_DOC = '''Classify iris flowers from their sepal and petal measurements.

    :param inputs.features: measurements in cm, four per flower: sepal length, sepal width,
        petal length, petal width; flat list, shape [N, 4]
    :type inputs.features: FP32
    :param outputs.class: predicted class index, shape [N]
    :type outputs.class: INT32
    :param outputs.species: predicted species name, shape [N]
    :type outputs.species: str
    :returns: (outputs, model)
    '''


def test_docstring_contract_with_continuation_lines_and_shapes() -> None:
    c = contract.parse_docstring(IRIS_DOC)
    assert c.summary == "Classify iris flowers from their sepal and petal measurements."
    assert list(c.inputs) == ["features"]
    features = c.inputs["features"]
    assert features.datatypes == {"FP32"} and not features.optional
    assert features.description.endswith("petal length, petal width; flat list, shape [N, 4]")
    assert features.shape == (-1, 4)
    assert list(c.outputs) == ["class", "species"]
    assert c.outputs["species"].primary == "str"


def test_alternative_and_optional_types() -> None:
    c = contract.of(echo_fn.scale)
    assert c.inputs["x"].datatype_order == ("FP32", "FP64")
    assert c.inputs["factor"].optional and c.inputs["label"].optional
    assert not c.inputs["x"].optional


def test_unknown_declared_type_is_reported() -> None:
    with pytest.raises(ValueError, match="inputs.x.*unknown datatype 'FLOAT'"):
        contract.parse_docstring(":param inputs.x: x\n:type inputs.x: FLOAT")


def test_no_contract_accepts_anything() -> None:
    c = contract.of(echo_fn.echo)
    assert not c.inputs
    c.check_inputs([{"name": "anything", "datatype": "INT32", "data": [1], "shape": [1]}])


@pytest.mark.parametrize("tensor, message", [
    ({"name": "nope", "datatype": "FP32", "data": [1.0], "shape": [1]}, "unknown input 'nope'"),
    ({"name": "x", "datatype": "str", "data": ["a"], "shape": [1]}, "datatype str"),
    ({"name": "label", "datatype": "str", "data": ["a"], "shape": [1]}, "missing required"),
])
def test_contract_rejections(tensor: dict, message: str) -> None:
    with pytest.raises(ApiError, match=message) as err:
        contract.of(echo_fn.scale).check_inputs([tensor])
    assert err.value.status == 400


def test_numeric_widening_but_no_narrowing() -> None:
    c = contract.of(echo_fn.scale)
    c.check_inputs([{"name": "x", "datatype": "INT64", "data": [1], "shape": [1]}])
    c.check_inputs([{"name": "x", "datatype": "FP64", "data": [1.0], "shape": [1]}])
    narrow = contract.parse_docstring(":param inputs.n: n\n:type inputs.n: INT32")
    with pytest.raises(ApiError):
        narrow.check_inputs([{"name": "n", "datatype": "FP32", "data": [1.5], "shape": [1]}])


@pytest.mark.parametrize("shape, data, expected", [
    (None, [1.0, 2.0], [2]),
    (0, [1.0, 2.0], [2]),
    (2, [1.0, 2.0], [2]),
    ([1, 2], [1.0, 2.0], [1, 2]),
    (None, [[1.0, 2.0], [3.0, 4.0]], [2, 2]),
    ([4], [[1.0, 2.0], [3.0, 4.0]], [4]),
])
def test_lenient_shapes(shape: object, data: list, expected: list) -> None:
    raw = {"name": "x", "datatype": "FP32", "data": data}
    if shape is not None:
        raw["shape"] = shape
    t = normalize_input(raw, 0)
    assert t["shape"] == expected
    assert t["data"] == flatten(data)


@pytest.mark.parametrize("raw, message", [
    ({"name": "x", "datatype": "FP32", "data": [1.0], "shape": [2]}, "needs 2 values, got 1"),
    ({"name": "x", "datatype": "FP32", "data": [1.0], "shape": "1"}, "shape must be"),
    ({"name": "x", "datatype": "FLOAT", "data": [1.0]}, "unknown datatype"),
    ({"name": "x", "datatype": "INT32", "data": [1.5]}, "INT32 data must hold integers"),
    ({"name": "x", "datatype": "INT32", "data": [True]}, "integers"),
    ({"name": "x", "datatype": "FP32", "data": ["1"]}, "numbers"),
    ({"name": "", "datatype": "FP32", "data": [1]}, "'name'"),
    ({"name": "x", "datatype": "FP32"}, "'data' is missing"),
])
def test_invalid_inputs(raw: dict, message: str) -> None:
    with pytest.raises(ApiError, match=message) as err:
        normalize_input(raw, 0)
    assert err.value.status == 400


def test_outputs_from_numpy_arrays() -> None:
    np = pytest.importorskip("numpy")
    out = normalize_output({"name": "p", "datatype": "FP32", "data": np.ones((2, 3))}, 0)
    assert out["shape"] == [2, 3] and out["data"] == [1.0] * 6
    out = normalize_output({"name": "c", "data": [1, 2]}, 0)
    assert out["datatype"] == "INT64"
