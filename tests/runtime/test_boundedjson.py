"""The piecewise request decoder (``boundedjson``) against the one-call decoder: the same values
for every document (inputs[*].data flattened as ``tensors.flatten`` would), the same verdict on
broken ones, its charges stop it, and the functions still get plain lists."""

from __future__ import annotations

import json
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mlcc_runtime import boundedjson as bj
from mlcc_runtime.errors import ApiError
from mlcc_runtime.tensors import flatten, nested_shape

SCALARS = st.one_of(st.integers(-300, 300), st.integers(-2**63, 2**64 - 1),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
                    st.booleans(), st.none())
NUMBERS = st.one_of(st.integers(-300, 300), st.floats(allow_nan=False, allow_infinity=False))


def _nested(element: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(element, lambda inner: st.lists(inner, max_size=4), max_leaves=30)


JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=25)
DATA = st.one_of(st.lists(_nested(NUMBERS), max_size=6), st.lists(_nested(SCALARS), max_size=6),
                 _nested(JSON), st.lists(st.lists(NUMBERS, min_size=3, max_size=3), max_size=5))
DOCS = st.fixed_dictionaries(
    {"inputs": st.lists(st.fixed_dictionaries({"name": st.text(max_size=3), "data": DATA},
                                              optional={"shape": JSON}), max_size=3)},
    optional={"parameters": JSON, "other": JSON})


@pytest.fixture(autouse=True)
def _tiny_slices(monkeypatch) -> None:
    monkeypatch.setattr(bj, "SMALL", 0)  # every body takes the piecewise path
    monkeypatch.setattr(bj, "CHUNK", 16)  # and is cut into many slices


def _dump(value: object, rnd: random.Random) -> bytes:
    return json.dumps(value, indent=rnd.choice([None, 1]),
                      separators=rnd.choice([(",", ":"), (" , ", " : ")])).encode()


def _expected(doc: dict) -> dict:
    """What the decoder returns: orjson's value, with nested inputs[*].data flattened."""
    out = dict(doc)
    inputs = []
    for tensor in doc.get("inputs", []):
        tensor = dict(tensor) if type(tensor) is dict else tensor
        if type(tensor) is dict:
            data = tensor.get("data")
            if type(data) is list and data and type(data[0]) is list:
                tensor["data"] = bj.Flattened(flatten(data), nested_shape(data))
        inputs.append(tensor)
    if type(doc.get("inputs")) is list:
        out["inputs"] = inputs
    return out


def _decode(body: bytes) -> object:
    try:
        return bj.loads_request(body, lambda n: None)
    except ApiError as exc:
        assert exc.status == 400, exc.message
        return "invalid"


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(DOCS, st.randoms())
def test_same_values_as_the_one_call_decoder(doc: dict, rnd: random.Random) -> None:
    body = _dump(doc, rnd)
    assert _decode(body) == _expected(orjson.loads(body))


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(DOCS, st.randoms())
def test_same_verdict_on_broken_bodies(doc: dict, rnd: random.Random) -> None:
    body = _dump(doc, rnd)
    at = rnd.randrange(len(body))
    broken = body[:at] + bytes([rnd.choice(b',[]{}:"0 -e.tx')]) + body[at + 1:]
    try:
        reference = orjson.loads(broken)
    except ValueError:
        assert _decode(broken) == "invalid", broken
        return
    if type(reference) is dict:
        assert _decode(broken) == _expected(reference), broken
    else:
        assert _decode(broken) == "invalid"


@pytest.mark.parametrize("body", [
    b'{"inputs": [{"data": [1, 2, 3, ]}]}',  # trailing comma
    b'{"inputs": [{"data": [1, 2,                         ]}]}',
    b'{"inputs": [{"data": [[1, 2], [3, 4], ]}]}',
    b'{"inputs": [{"data": [[1, 2],, [3, 4]]}]}',
    b'{"inputs": [{"data": [[1, 2,], [3, 4]]}]}',  # two wrongs the bracket-free path could miss
    b'{"inputs": [{"data": [1, [2,]3]}]}',
    b'{"inputs": [{"data": [[1, 2] [3, 4]]}]}',
    b'{"inputs": [{"data": [1 2]}]}',
    b'{"inputs": [{"data": [1, 2]]}',
    b'{"inputs": [{"data": ["a", "b",]}]}',
    b'{"inputs": [{"data": [true, false, ]}]}',
    b'{"inputs": [{"data": [1e, 2]}]}',
    b'{"inputs": [{"data": [01, 2]}]}',
    b'{"inputs": [{"data": [1, 2]}]} x',
    b'[{"inputs": []}]',
    b'{"inputs": [{"data": [' + b"[" * 300 + b"]" * 300 + b"]}]}",  # deeper than MAX_DEPTH
    b'{"inputs": "' + b"x" * 100,
])
def test_broken_bodies_answer_400(body: bytes) -> None:
    assert _decode(body) == "invalid"


def test_long_runs_cross_many_slices() -> None:
    rows = [[i, -i, i / 3, 1e300] for i in range(2000)]
    body = orjson.dumps({"inputs": [{"name": "x", "data": rows},
                                    {"name": "s", "data": [f"s{i}\u00e9\"," for i in range(999)]},
                                    {"name": "b", "data": [i % 3 == 0 for i in range(999)]}]})
    doc = _decode(body)
    assert doc == _expected(orjson.loads(body))
    assert doc["inputs"][0]["data"].shape == [2000, 4]


def test_charges_stop_the_decode_within_a_slice() -> None:
    body = b'{"inputs": [{"name": "x", "data": [' + b"1.5," * 200_000 + b"1.5]}]}"
    allowance = 1_000_000
    taken = []

    def charge(n: int) -> None:
        if sum(taken) + n > allowance:
            raise ApiError(413, "over")
        taken.append(n)

    with pytest.raises(ApiError) as caught:
        bj.loads_request(body, charge)
    assert caught.value.status == 413
    assert sum(taken) <= allowance
    full = []
    bj.loads_request(body, full.append)
    # the charge is an upper bound of what the values take: a pointer and a float per value
    assert sum(full) >= 200_001 * (8 + 24)


def test_small_bodies_take_one_call_charged_by_their_size(monkeypatch) -> None:
    monkeypatch.setattr(bj, "SMALL", 16 * 1024)
    charged = []
    doc = bj.loads_request(b'{"inputs": [{"name": "x", "data": [[1, 2]]}]}', charged.append)
    assert doc["inputs"][0]["data"] == [[1, 2]]  # tensors.flatten flattens it later
    assert charged == [len(b'{"inputs": [{"name": "x", "data": [[1, 2]]}]}') * bj.SMALL_RATIO]
