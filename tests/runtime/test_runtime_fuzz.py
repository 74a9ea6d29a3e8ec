"""Schema-based fuzzing: schemathesis drives every operation of the generated OpenAPI document
against a real server; hypothesis throws arbitrary bytes at the binary framing. No input may
produce a 5xx, and every answer must match the document."""

from __future__ import annotations

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rt_support import make_service
from fixtures import echo_fn
from mlcc_runtime.app import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


# Loaded over ASGI: schemathesis runs the app's lifespan once and keeps it for the session.
APP = create_app(make_service(echo_fn.typed_echo))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_every_operation_conforms(case) -> None:
    if case.path == "/metrics":
        pytest.skip("Prometheus text format, not JSON")
    case.call_and_validate(checks=CHECKS)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)
_tensor = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "n", "s", "d", "zz"]),
     "datatype": st.sampled_from(["FP32", "FP64", "INT32", "INT64", "BOOL", "BYTES", "str",
                                  "dict", "FILE", "UINT8", "FP16", "junk"])},
    optional={"shape": st.one_of(st.just(0), st.integers(-2, 5), st.lists(st.integers(-1, 4),
                                                                           max_size=3)),
              "data": _json_values,
              "parameters": st.dictionaries(st.sampled_from(["binary_data_size", "content_type"]),
                                            st.integers(-2, 16) | st.text(max_size=4),
                                            max_size=2)},
)


@pytest.fixture(scope="module")
def fuzz_client():
    from starlette.testclient import TestClient

    with TestClient(create_app(make_service(echo_fn.typed_echo)),
                    raise_server_exceptions=False) as client:
        yield client


@given(inputs=st.lists(_tensor, max_size=3), tail=st.binary(max_size=24),
       header_delta=st.integers(-3, 3), binary_out=st.booleans())
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_binary_framing_never_breaks_the_server(fuzz_client, inputs, tail, header_delta,
                                                binary_out) -> None:
    head = orjson.dumps({"inputs": inputs, "parameters": {"binary_data_output": binary_out}})
    response = fuzz_client.post(
        "/v2/models/model/infer", content=head + tail,
        headers={"Inference-Header-Content-Length": str(len(head) + header_delta)})
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code == 422:  # only for a tensor without the protocol's shape
        assert any("shape" not in t for t in inputs), response.text
    if response.status_code != 200:
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]


@given(body=_json_values)
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_predict_accepts_or_rejects_any_json_cleanly(fuzz_client, body) -> None:
    response = fuzz_client.post("/predict", content=orjson.dumps(body))
    assert response.status_code in (200, 400), response.text
